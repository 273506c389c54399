import Foundation
import Markdown

/// Builds the template contexts for every page and renders them through the theme. Contexts
/// are plain dictionaries (swift-mustache reads them without reflection).
struct PageRenderer {
    let course: Course
    let theme: Theme
    /// Rendered bodies by page path (lessons, and chapters that have an introduction).
    let bodies: [String: RenderedBody]
    /// Reading order: each chapter page, then its lessons.
    let readingOrder: [Link]
    private let orderIndex: [String: Int]

    init(course: Course, theme: Theme, bodies: [String: RenderedBody]) {
        self.course = course
        self.theme = theme
        self.bodies = bodies
        readingOrder = course.chapters.flatMap { chapter in
            [Link(title: chapter.title, path: chapter.path)] + chapter.lessons.map { Link(title: $0.title, path: $0.path) }
        }
        var index: [String: Int] = [:]
        for (i, link) in readingOrder.enumerated() { index[link.path] = i }
        orderIndex = index
    }

    /// Above this many lessons the sidebar lists only the current chapter's lessons, so page
    /// size does not grow with the square of the course.
    static let fullSidebarLimit = 200

    struct Link {
        var title: String
        var path: String
    }

    // MARK: Pages

    func home() -> String {
        let path = "index.html"
        let chapters = course.chapters.enumerated().map { ci, chapter -> [String: Any] in
            compact([
                "title": chapter.title, "url": chapter.path, "number": ci + 1, "description": chapter.description,
                "lessons": chapter.lessons.enumerated().map { li, lesson in
                    compact(["title": lesson.title, "url": lesson.path, "number": "\(ci + 1).\(li + 1)", "description": lesson.description])
                },
            ])
        }
        let first = readingOrder.first
        let context = compact([
            "chapters": chapters, "hasChapters": !chapters.isEmpty,
            "startURL": first?.path, "lessonCount": course.lessonCount, "chapterCount": course.chapters.count,
        ])
        return page(path: path, kind: "home", title: nil, description: course.config.description, template: "home", context: context)
    }

    func chapter(_ ci: Int) -> String {
        let chapter = course.chapters[ci]
        let body = bodies[chapter.path]
        let lessons = chapter.lessons.enumerated().map { li, lesson in
            compact(["title": lesson.title, "url": URLPaths.relative(from: chapter.path, to: lesson.path), "number": "\(ci + 1).\(li + 1)", "description": lesson.description])
        }
        var context = compact([
            "chapter": compact(["title": chapter.title, "number": ci + 1, "description": chapter.description]),
            "intro": body?.html, "lessons": lessons, "hasLessons": !lessons.isEmpty,
            "breadcrumbs": [["title": course.config.title, "url": URLPaths.relative(from: chapter.path, to: "index.html")]],
        ])
        context.merge(pager(chapter.path)) { a, _ in a }
        return page(path: chapter.path, kind: "chapter", title: chapter.title, description: chapter.description, template: "chapter", context: context)
    }

    func lesson(_ ci: Int, _ li: Int) -> String {
        let chapter = course.chapters[ci]
        let lesson = chapter.lessons[li]
        let body = bodies[lesson.path]
        let toc = Self.toc(body?.headings ?? [])
        var context = compact([
            "lesson": compact([
                "title": lesson.title, "description": lesson.description, "number": "\(ci + 1).\(li + 1)",
                "objectives": lesson.objectives, "hasObjectives": !lesson.objectives.isEmpty,
            ]),
            "chapter": ["title": chapter.title, "url": URLPaths.relative(from: lesson.path, to: chapter.path), "number": ci + 1],
            "body": body?.html ?? "",
            "toc": toc, "hasToc": !toc.isEmpty,
            "breadcrumbs": [
                ["title": course.config.title, "url": URLPaths.relative(from: lesson.path, to: "index.html")],
                ["title": chapter.title, "url": URLPaths.relative(from: lesson.path, to: chapter.path)],
            ],
        ])
        context.merge(pager(lesson.path)) { a, _ in a }
        return page(path: lesson.path, kind: "lesson", title: lesson.title, description: lesson.description, template: "lesson", context: context)
    }

    func printAll() -> String {
        let chapters = course.chapters.enumerated().map { ci, chapter -> [String: Any] in
            compact([
                "title": chapter.title, "number": ci + 1, "id": chapter.slug,
                "intro": bodies[chapter.path]?.printHTML,
                "lessons": chapter.lessons.enumerated().map { li, lesson in
                    compact([
                        "title": lesson.title, "number": "\(ci + 1).\(li + 1)", "id": "\(chapter.slug)/\(lesson.slug)",
                        "description": lesson.description, "objectives": lesson.objectives, "hasObjectives": !lesson.objectives.isEmpty,
                        "body": bodies[lesson.path]?.printHTML ?? "",
                    ])
                },
            ])
        }
        return page(path: "print.html", kind: "print", title: theme.string("print_title"), description: course.config.description, template: "print", context: ["chapters": chapters])
    }

    func notFound() -> String {
        var context: [String: Any] = [:]
        if let url = course.config.url { context["baseURL"] = url.hasSuffix("/") ? url : url + "/" }
        return page(path: "404.html", kind: "not-found", title: theme.string("not_found_title"), description: nil, template: "404", context: context)
    }

    // MARK: Pieces

    private func page(path: String, kind: String, title: String?, description: String?, template: String, context: [String: Any]) -> String {
        let root = URLPaths.rootPrefix(of: path)
        let config = course.config
        var common = compact([
            "lang": config.language,
            "dir": ["ar", "he", "fa", "ur"].contains(String(config.language.prefix(2))) ? "rtl" : "ltr",
            "root": root,
            "t": theme.strings,
            "course": compact([
                "title": config.title, "subtitle": config.subtitle, "description": config.description,
                "authors": config.authors.isEmpty ? nil : config.authors.joined(separator: ", "), "license": config.license,
            ]),
            "page": compact([
                "title": title ?? config.title,
                "fullTitle": title.map { "\($0) · \(config.title)" } ?? config.title,
                "description": description ?? config.description, "kind": kind, "path": path,
            ]),
            "homeURL": root + "index.html",
            "printURL": root + "print.html",
            "searchIndexURL": root + "search-index.js",
            "assetsURL": root + "assets/",
            "sidebar": sidebar(current: path),
            "baseURL": context["baseURL"],
        ])
        common.merge(context) { _, new in new }
        let content = theme.render(template, common)
        common["content"] = content
        return theme.render("layout", common)
    }

    private func sidebar(current: String) -> [[String: Any]] {
        let full = course.lessonCount <= Self.fullSidebarLimit
        return course.chapters.enumerated().map { ci, chapter in
            let active = chapter.path == current || chapter.lessons.contains { $0.path == current }
            var entry: [String: Any] = [
                "title": chapter.title, "url": URLPaths.relative(from: current, to: chapter.path), "number": ci + 1,
                "current": chapter.path == current, "active": active,
            ]
            entry["hasLessons"] = (full || active) && !chapter.lessons.isEmpty
            if full || active {
                entry["lessons"] = chapter.lessons.enumerated().map { li, lesson in
                    [
                        "title": lesson.title, "url": URLPaths.relative(from: current, to: lesson.path),
                        "number": "\(ci + 1).\(li + 1)", "current": lesson.path == current,
                    ] as [String: Any]
                }
            }
            return entry
        }
    }

    private func pager(_ path: String) -> [String: Any] {
        let order = readingOrder
        guard let index = orderIndex[path] else { return [:] }
        var result: [String: Any] = [:]
        if index > 0 {
            result["prev"] = ["title": order[index - 1].title, "url": URLPaths.relative(from: path, to: order[index - 1].path)]
        } else {
            result["prev"] = ["title": course.config.title, "url": URLPaths.relative(from: path, to: "index.html")]
        }
        if index + 1 < order.count {
            result["next"] = ["title": order[index + 1].title, "url": URLPaths.relative(from: path, to: order[index + 1].path)]
        }
        return result
    }

    /// h2 entries with their h3 children.
    static func toc(_ headings: [Heading]) -> [[String: Any]] {
        var entries: [[String: Any]] = []
        var children: [[String: Any]] = []
        var current: [String: Any]?
        func flush() {
            guard var entry = current else { return }
            entry["children"] = children
            entry["hasChildren"] = !children.isEmpty
            entries.append(entry)
            children = []
        }
        for heading in headings where heading.level == 2 || heading.level == 3 {
            let item: [String: Any] = ["id": heading.id, "html": heading.html, "text": heading.text]
            if heading.level == 2 {
                flush()
                current = item
            } else if current != nil {
                children.append(item)
            } else {
                entries.append(item.merging(["children": [[String: Any]](), "hasChildren": false]) { a, _ in a })
            }
        }
        flush()
        return entries
    }
}
