import Common
import Foundation
import Yams

/// One term of `content/glossary.yml`: its name and one-line definition in each language of the
/// course, and the lesson that introduces (defines) it.
public struct GlossaryEntry: Sendable, Hashable {
    /// The term by language code (`en`, `zh`).
    public var terms: [String: String]
    public var definitions: [String: String]
    /// The introducing lesson's content path without `.md` (`03-trap-and-emulate/01-trap-and-emulate`).
    public var lesson: String
    public var line: Int
}

/// `content/glossary.yml`: a list of `{en, zh, lesson, definition: {en, zh}}` (one key per
/// language code of the course). It makes `glossary.html` in every language, and the build checks
/// that each translation of an introducing lesson uses the glossary's term in its language.
enum Glossary {
    static let fileName = "glossary.yml"

    /// The entries, or [] without the file; every malformed entry is an error at its line.
    static func load(contentRoot: URL, languages: [String], errors: inout [SiteError]) throws -> [GlossaryEntry] {
        let file = contentRoot.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: file.path) else { return [] }
        let yaml = try YAMLDocument(text: try SourceFile.read(file, inside: ContentFolder(contentRoot)), file: file, firstLine: 1)
        guard let root = yaml.root else { return [] }
        guard let sequence = root.sequence else {
            throw SiteError(file: file, line: yaml.line(of: root), "glossary.yml must be a list of {\(shape(languages))} entries")
        }
        var entries: [GlossaryEntry] = []
        for node in sequence {
            do {
                entries.append(try entry(node, yaml: yaml, languages: languages))
            } catch let error as SiteError {
                errors.append(error)
            }
        }
        return entries
    }

    private static func shape(_ languages: [String]) -> String {
        (languages + ["lesson", "definition: {\(languages.joined(separator: ", "))}"]).joined(separator: ", ")
    }

    private static func entry(_ node: Node, yaml: YAMLDocument, languages: [String]) throws -> GlossaryEntry {
        let line = yaml.line(of: node)
        func fail(_ message: String, at at: Int? = nil) -> SiteError { SiteError(file: yaml.file, line: at ?? line, message) }
        guard let mapping = node.mapping else { throw fail("a glossary entry must be a mapping: {\(shape(languages))}") }
        var entry = GlossaryEntry(terms: [:], definitions: [:], lesson: "", line: line)
        for (keyNode, value) in mapping {
            let key = keyNode.string ?? ""
            if languages.contains(key) {
                entry.terms[key] = try yaml.string(value, key: key)
            } else if key == "lesson" {
                entry.lesson = try yaml.string(value, key: key)
            } else if key == "definition" {
                guard let definitions = value.mapping else {
                    throw fail("'definition' must map each language to a one-line definition", at: yaml.line(of: value))
                }
                for (code, text) in definitions {
                    let name = code.string ?? ""
                    guard languages.contains(name) else {
                        throw fail(
                            "unknown language '\(name)' in 'definition' (the course's: \(languages.joined(separator: ", ")))",
                            at: yaml.line(of: code))
                    }
                    entry.definitions[name] = try yaml.string(text, key: "definition.\(name)")
                }
            } else {
                throw fail("unknown glossary key '\(key)' (expected \(shape(languages)))", at: yaml.line(of: keyNode))
            }
        }
        let missing =
            languages.filter { entry.terms[$0] == nil } + (entry.lesson.isEmpty ? ["lesson"] : [])
            + languages.filter { entry.definitions[$0] == nil }.map { "definition.\($0)" }
        guard missing.isEmpty else { throw fail("glossary entry lacks \(missing.joined(separator: ", "))") }
        return entry
    }

    /// Each entry's lesson must be a lesson of the course; in each translation of it, the term in
    /// that language must appear: an error for a language marked complete, a warning otherwise.
    static func check(
        _ entries: [GlossaryEntry], course: Course, editions: [Course], root: URL, file: URL,
        warnings: inout [SiteWarning], errors: inout [SiteError]
    ) {
        var lessons: [String: (ci: Int, li: Int)] = [:]
        for (ci, chapter) in course.chapters.enumerated() {
            for (li, lesson) in chapter.lessons.enumerated() {
                lessons[String(SiteBuilder.contentPath(lesson.file, root: root).dropLast(3))] = (ci, li)
            }
        }
        for entry in entries {
            guard let (ci, li) = lessons[entry.lesson] else {
                errors.append(
                    SiteError(
                        file: file, line: entry.line,
                        "glossary entry '\(entry.terms.values.sorted().first ?? "")': no lesson '\(entry.lesson)' (write the lesson's path inside the content folder, without .md)"
                    ))
                continue
            }
            for edition in editions {
                guard let language = edition.edition, let term = entry.terms[language.code] else { continue }
                let lesson = edition.chapters[ci].lessons[li]
                guard let translation = lesson.translation, !lesson.source.body.contains(term) else { continue }
                let message =
                    "the glossary (\(DisplayPath.of(file)):\(entry.line)) says this lesson introduces '\(term)', but the translation never writes it; use the glossary's term (or change the glossary)"
                if language.complete {
                    errors.append(SiteError(file: translation.file, line: 1, message))
                } else {
                    warnings.append(SiteWarning(file: translation.file, line: 1, message))
                }
            }
        }
    }
}
