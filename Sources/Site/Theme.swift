import Common
import Foundation
import Mustache
import Yams

/// Templates, assets and UI strings, layered: the built-in theme, then a course's override
/// folder (course.yml `templates:`), then `--templates DIR`. A later layer replaces a file of the
/// same relative path (`lesson.mustache`, `partials/sidebar.mustache`, `assets/style/40-exercise.css`).
struct Theme {
    static let pageTemplates = ["layout", "home", "chapter", "lesson", "print", "404", "partials/exercise", "sidebar-js"]

    var library: MustacheLibrary
    /// Asset path under `assets/` → its file.
    var assets: [String: ThemeFile]
    /// Assets the build makes: `style.css`, joined from the parts in `assets/style/`.
    var builtAssets: [String: Data] = [:]
    /// UI strings for the course language (English fills any gap).
    var strings: [String: String]
    /// Where each template came from, for messages.
    var templateFiles: [String: ThemeFile]
    /// Files the offline editions use (`editions/epub.css`), by path under `editions/`.
    var editionFiles: [String: ThemeFile] = [:]

    /// One layer of templates and assets: the built-in theme (compiled into the program), or a
    /// folder. The course's own folder (`templates:` in course.yml) is confined to the content folder
    /// like every other path an author writes: a file in it that is a symlink leading out is an
    /// error. `--templates` is named by whoever runs the build, so it is trusted as it is.
    struct Layer {
        /// nil for the built-in theme.
        var folder: URL?
        var confinedTo: ContentFolder?

        static let builtIn = Layer(folder: nil)

        var displayName: String { folder.map(DisplayPath.of) ?? BuiltInTheme.displayName }

        /// Relative path → file, for every file of the layer.
        func files() throws -> [String: ThemeFile] {
            guard let folder else {
                return Dictionary(
                    uniqueKeysWithValues: BuiltInTheme.files.map { ($0.key, ThemeFile.builtIn(path: $0.key, contents: $0.value)) })
            }
            var files: [String: ThemeFile] = [:]
            for relative in try Theme.listFiles(folder) {
                let file = folder.appendingPathComponent(relative)
                if let content = confinedTo, !content.contains(file) {
                    throw SiteError(file: file, "a symlink that leads outside the content folder; a course's templates must be inside it")
                }
                files[relative] = .disk(file)
            }
            return files
        }
    }

    /// The stylesheet part for a course in several languages (language switch, notices, Chinese
    /// text), left out of a one-language course's sheet.
    static let multilingualPart = "style/95-languages.css"

    init(layers: [Layer], language: String, multilingual: Bool = false, warnings: inout [SiteWarning]) throws {
        var files: [String: ThemeFile] = [:]
        for layer in layers {
            files.merge(try layer.files()) { _, later in later }
        }
        var templateTexts: [String: (ThemeFile, String)] = [:]
        var assets: [String: ThemeFile] = [:]
        var builtAssets: [String: Data] = [:]
        var editionFiles: [String: ThemeFile] = [:]
        for (relative, file) in files {
            if relative.hasSuffix(".mustache") {
                templateTexts[String(relative.dropLast(".mustache".count))] = (file, try file.text())
            } else if relative.hasPrefix("assets/") {
                assets[String(relative.dropFirst("assets/".count))] = file
            } else if relative.hasPrefix("editions/") {
                editionFiles[String(relative.dropFirst("editions/".count))] = file
            }
        }
        if !multilingual { assets[Self.multilingualPart] = nil }
        try Self.joinStylesheet(&assets, into: &builtAssets)
        let names = layers.map(\.displayName)
        for name in Self.pageTemplates where templateTexts[name] == nil {
            throw SiteError(file: names.last, "unknown template '\(name)': no \(name).mustache in \(names.joined(separator: " or "))")
        }

        let strings = try Self.uiStrings(files, language: language, themeName: names.last, warnings: &warnings)
        self.strings = strings

        var library = MustacheLibrary()
        var templateFiles: [String: ThemeFile] = [:]
        for (name, (file, text)) in templateTexts {
            do {
                library.register(try MustacheTemplate(string: text), named: name)
            } catch let error as MustacheTemplate.ParserError {
                throw SiteError(
                    file: file.displayPath, line: error.context.lineNumber,
                    "template syntax error: \(error.error) near '\(error.context.line.trimmingCharacters(in: .whitespaces))'")
            }
            templateFiles[name] = file
        }
        // swift-mustache renders an unknown partial or string as nothing; a theme typo should fail.
        let partialUse = Self.regex("\\{\\{>\\s*([^}\\s]+)\\s*\\}\\}"), stringUse = Self.regex("\\{\\{\\{?[#^/]?\\s*t\\.([A-Za-z0-9_]+)")
        for (name, (file, text)) in templateTexts {
            for (line, partial) in Self.references(in: text, matching: partialUse) where templateTexts[partial] == nil {
                throw SiteError(file: file.displayPath, line: line, "unknown template '\(partial)' used as a partial in \(name).mustache")
            }
            for (line, key) in Self.references(in: text, matching: stringUse) where strings[key] == nil {
                throw SiteError(file: file.displayPath, line: line, "unknown UI string 't.\(key)': add it to i18n/en.yml")
            }
        }
        self.library = library
        self.assets = assets
        self.builtAssets = builtAssets
        self.templateFiles = templateFiles
        self.editionFiles = editionFiles
    }

    /// UI strings: the course language, then its primary subtag, then English for anything missing.
    private static func uiStrings(
        _ files: [String: ThemeFile], language: String, themeName: String?,
        warnings: inout [SiteWarning]
    ) throws -> [String: String] {
        let english = try Self.strings(files["i18n/en.yml"])
        var strings = english
        let primary = String(language.split(separator: "-").first ?? "en")
        if language != "en" {
            if let file = files["i18n/\(language).yml"] ?? files["i18n/\(primary).yml"] {
                let localized = try Self.strings(file)
                strings.merge(localized) { _, new in new }
                let missing = Set(english.keys).subtracting(localized.keys).sorted()
                if !missing.isEmpty {
                    warnings.append(
                        SiteWarning(file: file.displayPath, "missing UI strings (English used): \(missing.joined(separator: ", "))"))
                }
            } else {
                warnings.append(SiteWarning(file: themeName, "no i18n/\(language).yml; UI strings are in English"))
            }
        }
        return strings
    }

    /// The stylesheet is kept as parts by concern (`assets/style/10-base.css`, `20-layout.css`, ...)
    /// and served as one file, one request: the parts, from every layer, joined in name order into
    /// `style.css`. A layer can replace one part by name or add one; a layer's own
    /// `assets/style.css` replaces the whole sheet.
    static func joinStylesheet(_ assets: inout [String: ThemeFile], into built: inout [String: Data]) throws {
        let parts = assets.keys.filter { $0.hasPrefix("style/") && $0.hasSuffix(".css") }.sorted()
        guard !parts.isEmpty else { return }
        defer { for part in parts { assets[part] = nil } }
        guard assets["style.css"] == nil else { return }
        var sheet = Data()
        for part in parts {
            guard let data = try assets[part]?.data() else { continue }
            sheet += data
            if data.last != 0x0A { sheet.append(0x0A) }
        }
        built["style.css"] = sheet
    }

    func render(_ name: String, _ context: [String: Any]) -> String {
        library.render(context, withTemplate: name) ?? ""
    }

    func string(_ key: String) -> String { strings[key] ?? key }

    static func listFiles(_ root: URL) throws -> [String] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDir), isDir.boolValue else {
            throw SiteError(file: root, "templates folder not found")
        }
        guard let enumerator = FileManager.default.enumerator(atPath: root.path) else { return [] }
        var result: [String] = []
        for case let path as String in enumerator {
            // As the EmbedTheme plugin lists the built-in theme: nothing inside a hidden folder either.
            if path.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { continue }
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path, isDirectory: &isDir), !isDir.boolValue {
                result.append(path)
            }
        }
        return result
    }

    private static func strings(_ file: ThemeFile?) throws -> [String: String] {
        guard let file else { return [:] }
        let yaml = try YAMLDocument(text: try file.text(), file: file.displayURL, firstLine: 1)
        var result: [String: String] = [:]
        for (key, _, value) in try yaml.mapping(what: "a UI-string file") {
            result[key] = try yaml.string(value, key: key, allowEmpty: true)
        }
        return result
    }

    /// A pattern written in this file, compiled once per theme rather than once per template.
    private static func regex(_ pattern: String) -> NSRegularExpression {
        // The patterns are constants of this file: one that does not compile is a programming error.
        try! NSRegularExpression(pattern: pattern)
    }

    /// (line, capture) for every match of `regex` in `text`.
    private static func references(in text: String, matching regex: NSRegularExpression) -> [(Int, String)] {
        var result: [(Int, String)] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let s = String(line)
            for match in regex.matches(in: s, range: NSRange(s.startIndex..., in: s)) {
                if let r = Range(match.range(at: 1), in: s) { result.append((index + 1, String(s[r]))) }
            }
        }
        return result
    }
}
