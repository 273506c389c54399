import Common
import Foundation
import Yams

/// `content/course.yml`: everything optional.
public struct CourseConfig: Sendable, Hashable {
    public struct ChapterEntry: Sendable, Hashable {
        public var path: String
        public var title: String?
        /// Line in course.yml, for errors about this entry.
        public var line: Int
    }

    public var title: String
    public var subtitle: String?
    public var description: String?
    /// BCP 47 tag; selects `templates/i18n/<language>.yml`.
    public var language: String
    public var authors: [String]
    public var license: String?
    /// Folder inside the content folder whose files override templates and assets by name.
    public var templates: String?
    public var templatesLine: Int?
    public var chapters: [ChapterEntry]?
    /// Absolute base URL where the site is published (`base-url`, or `url`): with it the build
    /// writes canonical links, language alternates, Open Graph values, `sitemap.xml` and
    /// `robots.txt` (`WebPublishing`), and the 404 page finds its assets from any address.
    public var url: String?
    /// Web address of the course's source repository, linked from every page's header.
    public var repository: String?
    /// Address of a page's source for editing, with `{path}` standing for the Markdown file's path
    /// inside the content folder (mdBook's `edit-url-template`).
    public var editURL: String?
    /// Which offline editions the build writes (`editions:`).
    public var editions = EditionSettings()
    /// The file it was read from, when there was one.
    public var file: URL?
    /// Every language of a multilingual course, the default (`language`) among them; empty for a
    /// course in one language.
    public var languages: [CourseLanguage] = []

    public init(title: String = "Course", language: String = "en") {
        self.title = title
        self.language = language
        self.authors = []
    }

    static let knownKeys: Set<String> = [
        "title", "subtitle", "description", "language", "authors", "license", "templates", "chapters", "url", "repository", "edit-url",
        "languages", "base-url", "editions"
    ]

    /// Reads `course.yml`; a missing file gives defaults (title from the folder name).
    static func load(contentRoot: URL, warnings: inout [SiteWarning]) throws -> CourseConfig {
        let file = contentRoot.appendingPathComponent("course.yml")
        var config = CourseConfig(title: Slug.title(fromFolder: contentRoot.lastPathComponent))
        guard FileManager.default.fileExists(atPath: file.path) else { return config }
        config.file = file
        let text = try SourceFile.read(file, inside: ContentFolder(contentRoot))
        let yaml = try YAMLDocument(text: text, file: file, firstLine: 1)
        var sawTitle = false
        var languagesLine = 1
        let entries = try yaml.mapping(what: "course.yml")
        try checkOneAddress(entries, yaml: yaml, file: file)
        for (key, keyNode, value) in entries {
            switch key {
            case "title":
                config.title = try yaml.string(value, key: key)
                sawTitle = true
            case "subtitle": config.subtitle = try yaml.string(value, key: key)
            case "description": config.description = try yaml.string(value, key: key)
            case "language":
                let language = try yaml.string(value, key: key)
                guard isLanguageCode(language) else {
                    throw SiteError(file: file, line: yaml.line(of: value), "'language' must be a BCP 47 tag such as en or zh-Hans")
                }
                config.language = language
            case "authors": config.authors = try yaml.strings(value, key: key)
            case "license": config.license = try yaml.string(value, key: key)
            case "url", "base-url", "repository": try setAddress(&config, key: key, value: value, yaml: yaml, file: file)
            case "editions": config.editions = try EditionSettings(value, yaml: yaml, file: file)
            case "edit-url":
                let template = try webAddress(yaml.string(value, key: key), key: key, file: file, line: yaml.line(of: value))
                guard template.contains("{path}") else {
                    throw SiteError(
                        file: file, line: yaml.line(of: value),
                        "'edit-url' must contain {path}, which stands for the page's Markdown file, e.g. https://example.org/course/edit/main/content/{path}"
                    )
                }
                config.editURL = template
            case "templates":
                config.templates = try yaml.string(value, key: key)
                config.templatesLine = yaml.line(of: value)
            case "chapters":
                config.chapters = try chapterEntries(value, yaml: yaml, file: file)
            case "languages":
                config.languages = try languageEntries(value, yaml: yaml, file: file)
                languagesLine = yaml.line(of: keyNode)
            default:
                warnings.append(
                    SiteWarning(
                        file: file, line: yaml.line(of: keyNode),
                        "unknown key '\(key)' in course.yml (known: \(knownKeys.sorted().joined(separator: ", ")))"))
            }
        }
        if !config.languages.isEmpty, config.defaultLanguage == nil {
            throw SiteError(
                file: file, line: languagesLine,
                "'languages' must list the default language '\(config.language)' (course.yml's 'language')")
        }
        if !sawTitle { warnings.append(SiteWarning(file: file, line: 1, "course.yml has no 'title'; using '\(config.title)'")) }
        return config
    }

    /// `url` and `base-url` are two names of one setting: given both, neither may silently win.
    private static func checkOneAddress(_ entries: [(key: String, keyNode: Node, value: Node)], yaml: YAMLDocument, file: URL) throws {
        let given = entries.filter { $0.key == "url" || $0.key == "base-url" }
        guard given.count > 1 else { return }
        throw SiteError(
            file: file, line: yaml.line(of: given[1].keyNode),
            "'\(given[1].key)' repeats '\(given[0].key)' (line \(yaml.line(of: given[0].keyNode))): both say where the site is published; keep one"
        )
    }

    /// `chapters:`: folder names, or `{path, title}` entries.
    private static func chapterEntries(_ value: Node, yaml: YAMLDocument, file: URL) throws -> [ChapterEntry] {
        guard let sequence = value.sequence else {
            throw SiteError(file: file, line: yaml.line(of: value), "'chapters' must be a list of folder names or {path, title} entries")
        }
        return try sequence.map { entry in
            if entry.scalar != nil {
                return ChapterEntry(path: try yaml.string(entry, key: "chapters"), title: nil, line: yaml.line(of: entry))
            }
            guard let mapping = entry.mapping else {
                throw SiteError(file: file, line: yaml.line(of: entry), "a chapter entry must be a folder name or {path, title}")
            }
            var path: String?
            var title: String?
            for (k, v) in mapping {
                switch k.string {
                case "path": path = try yaml.string(v, key: "path")
                case "title": title = try yaml.string(v, key: "title")
                default:
                    throw SiteError(
                        file: file, line: yaml.line(of: k), "unknown chapter entry key '\(k.string ?? "")' (expected path, title)")
                }
            }
            guard let path else { throw SiteError(file: file, line: yaml.line(of: entry), "chapter entry has no 'path'") }
            return ChapterEntry(path: path, title: title, line: yaml.line(of: entry))
        }
    }

    /// `repository`, a link in every page's header; `url` or `base-url`, where the site is published:
    /// a folder every page's address continues, so a query or a fragment would end up in the middle.
    private static func setAddress(_ config: inout CourseConfig, key: String, value: Node, yaml: YAMLDocument, file: URL) throws {
        let line = yaml.line(of: value)
        let address = try webAddress(yaml.string(value, key: key), key: key, file: file, line: line)
        if key == "repository" {
            config.repository = address
        } else if address.contains("?") || address.contains("#") {
            throw SiteError(
                file: file, line: line,
                "'\(key)' is where the site is published, a folder such as https://example.org/course/, without ? or #")
        } else {
            config.url = address
        }
    }

    /// Links in the page chrome must leave the site for the web, never run script or point into it.
    private static func webAddress(_ text: String, key: String, file: URL, line: Int) throws -> String {
        let lower = text.lowercased()
        guard lower.hasPrefix("https://") || lower.hasPrefix("http://"), !text.contains(where: \.isWhitespace) else {
            throw SiteError(file: file, line: line, "'\(key)' must be an http:// or https:// address without spaces, not '\(text)'")
        }
        return text
    }
}

enum SourceFile {
    /// The largest Markdown or YAML file a course may hold, refused before it is read.
    static let maxBytes = FileSize.maxText

    /// Reads a UTF-8 text file, with a clear error for anything else: a folder, a FIFO (never
    /// waited on) or an unreadable file is an error at `place` (the line that named the file) or
    /// else at the file; invalid UTF-8 is an error at the line of its first bad byte.
    /// With `content`, the file must be inside the content folder once symlinks are followed: a
    /// lesson, `_index.md` or `course.yml` that links outside is refused, not published. A file
    /// over `maxBytes` is refused before it is read.
    static func read(
        _ url: URL, namedAt place: (file: URL, line: Int)? = nil, as name: String? = nil,
        inside content: ContentFolder? = nil
    ) throws -> String {
        if let content, FileManager.default.fileExists(atPath: url.path), !content.contains(url) {
            throw SiteError(file: url, "is a symlink to a file outside the content folder; the build reads only files inside it")
        }
        do {
            return try TextFile.read(url, limit: maxBytes)
        } catch {
            let shown = name ?? url.lastPathComponent
            if case .tooLarge(let size) = error {
                throw SiteError(
                    file: url,
                    "is \(FileSize.mebibytes(size)); the largest file a course may hold is \(maxBytes >> 20) MiB (split the lesson)")
            }
            if case .invalidUTF8(let line, _, _) = error { throw SiteError(file: url, line: line, error.message(shown)) }
            guard let place else { throw SiteError(file: url, error.message(shown)) }
            throw SiteError(file: place.file, line: place.line, error.message(shown))
        }
    }
}
