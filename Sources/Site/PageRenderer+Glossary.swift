import Foundation
import Markdown

/// `glossary.html`: the glossary in the page's language, with the term in the course's other
/// languages and a link to the lesson that introduces it.
extension PageRenderer {
    static let glossaryPath = "glossary.html"

    func glossary() -> String {
        let path = Self.glossaryPath
        let language = course.config.language
        let languages = course.config.languages.isEmpty ? [] : course.config.languages.filter { $0.code != language }
        var lessons: [String: (title: String, path: String, order: Int)] = [:]
        var order = 0
        for chapter in course.chapters {
            for lesson in chapter.lessons {
                lessons[String(SiteBuilder.contentPath(lesson.file, root: course.contentRoot).dropLast(3))] = (
                    lesson.title, lesson.path, order
                )
                order += 1
            }
        }
        let entries = Self.sortedGlossary(course.glossary, language: language, byLesson: language != course.defaultLanguage) {
            lessons[$0.lesson]?.order ?? Int.max
        }
        let rows = entries.map { entry -> [String: Any] in
            let lesson = lessons[entry.lesson]
            return [
                "id": "term-" + HeadingSlugger.slug(entry.terms[course.defaultLanguage] ?? entry.terms[language] ?? ""),
                "term": entry.terms[language] ?? "", "definition": entry.definitions[language] ?? "",
                "others": languages.map { ["code": $0.code, "term": entry.terms[$0.code] ?? ""] },
                "lessonTitle": lesson?.title ?? entry.lesson, "lessonURL": lesson.map { URLPaths.relative(from: path, to: $0.path) } ?? ""
            ]
        }
        let context: [String: Any] = [
            "entries": rows, "otherLanguages": languages.map { ["code": $0.code, "name": $0.name] },
            "breadcrumbs": [["title": course.config.title, "url": "index.html"]]
        ]
        return page(
            path: path, kind: "glossary", title: theme.string("glossary_title"), description: nil, template: "glossary", context: context)
    }

    /// The default language's glossary in alphabetical order; a translation's by the lesson that
    /// introduces each term (the course's order), which needs no collation of its script.
    static func sortedGlossary(
        _ entries: [GlossaryEntry], language: String, byLesson: Bool, lessonOrder: (GlossaryEntry) -> Int
    ) -> [GlossaryEntry] {
        entries.sorted { a, b in
            let (ta, tb) = (a.terms[language] ?? "", b.terms[language] ?? "")
            if byLesson, lessonOrder(a) != lessonOrder(b) { return lessonOrder(a) < lessonOrder(b) }
            return ta.localizedCaseInsensitiveCompare(tb) == .orderedAscending
        }
    }
}
