import Common
import Foundation
import Mustache
import Yams

/// Templates, assets and UI strings, layered: the built-in theme, then a course's override
/// folder (course.yml `templates:`), then `--templates DIR`. A later layer replaces a file of the
/// same relative path (`lesson.mustache`, `partials/sidebar.mustache`, `assets/style/40-exercise.css`).
struct Theme {
    static let pageTemplates = ["layout", "home", "chapter", "lesson", "print", "404", "partials/exercise"]

    var library: MustacheLibrary
    /// Asset path under `assets/` → source file.
    var assets: [String: URL]
    /// Assets the build makes: `style.css`, joined from the parts in `assets/style/`.
    var builtAssets: [String: Data] = [:]
    /// UI strings for the course language (English fills any gap).
    var strings: [String: String]
    /// Where each template came from, for messages.
    var templateFiles: [String: URL]

    /// One folder of templates and assets. The course's own folder (`templates:` in course.yml) is
    /// confined to the content folder like every other path an author writes: a file in it that is
    /// a symlink leading out is an error. The built-in theme and `--templates` are named by whoever
    /// runs the build, so they are trusted as they are.
    struct Layer {
        var folder: URL
        var confinedTo: ContentFolder?
    }

    init(layers: [URL], language: String, warnings: inout [SiteWarning]) throws {
        try self.init(layers: layers.map { Layer(folder: $0) }, language: language, warnings: &warnings)
    }

    init(layers: [Layer], language: String, warnings: inout [SiteWarning]) throws {
        var files: [String: URL] = [:]
        for layer in layers {
            for relative in try Self.listFiles(layer.folder) {
                let file = layer.folder.appendingPathComponent(relative)
                if let content = layer.confinedTo, !content.contains(file) {
                    throw SiteError(file: file, "a symlink that leads outside the content folder; a course's templates must be inside it")
                }
                files[relative] = file
            }
        }
        let layers = layers.map(\.folder)
        var templateTexts: [String: (URL, String)] = [:]
        var assets: [String: URL] = [:]
        var builtAssets: [String: Data] = [:]
        for (relative, url) in files {
            if relative.hasSuffix(".mustache") {
                templateTexts[String(relative.dropLast(".mustache".count))] = (url, try SourceFile.read(url))
            } else if relative.hasPrefix("assets/") {
                assets[String(relative.dropFirst("assets/".count))] = url
            }
        }
        try Self.joinStylesheet(&assets, into: &builtAssets)
        for name in Self.pageTemplates where templateTexts[name] == nil {
            throw SiteError(file: layers.last.map(DisplayPath.of), "unknown template '\(name)': no \(name).mustache in \(layers.map(DisplayPath.of).joined(separator: " or "))")
        }

        // UI strings: the course language, then its primary subtag, then English for anything missing.
        let english = try Self.strings(files["i18n/en.yml"])
        var strings = english
        let primary = String(language.split(separator: "-").first ?? "en")
        if language != "en" {
            if let file = files["i18n/\(language).yml"] ?? files["i18n/\(primary).yml"] {
                let localized = try Self.strings(file)
                strings.merge(localized) { _, new in new }
                let missing = Set(english.keys).subtracting(localized.keys).sorted()
                if !missing.isEmpty {
                    warnings.append(SiteWarning(file: file, "missing UI strings (English used): \(missing.joined(separator: ", "))"))
                }
            } else {
                warnings.append(SiteWarning(file: DisplayPath.of(layers.last ?? URL(fileURLWithPath: ".")), "no i18n/\(language).yml; UI strings are in English"))
            }
        }
        self.strings = strings

        var library = MustacheLibrary()
        var templateFiles: [String: URL] = [:]
        for (name, (url, text)) in templateTexts {
            do {
                library.register(try MustacheTemplate(string: text), named: name)
            } catch let error as MustacheTemplate.ParserError {
                throw SiteError(file: url, line: error.context.lineNumber, "template syntax error: \(error.error) near '\(error.context.line.trimmingCharacters(in: .whitespaces))'")
            }
            templateFiles[name] = url
        }
        // swift-mustache renders an unknown partial or string as nothing; a theme typo should fail.
        for (name, (url, text)) in templateTexts {
            for (line, partial) in Self.references(in: text, pattern: "\\{\\{>\\s*([^}\\s]+)\\s*\\}\\}") where templateTexts[partial] == nil {
                throw SiteError(file: url, line: line, "unknown template '\(partial)' used as a partial in \(name).mustache")
            }
            for (line, key) in Self.references(in: text, pattern: "\\{\\{\\{?[#^/]?\\s*t\\.([A-Za-z0-9_]+)") where strings[key] == nil {
                throw SiteError(file: url, line: line, "unknown UI string 't.\(key)': add it to i18n/en.yml")
            }
        }
        self.library = library
        self.assets = assets
        self.builtAssets = builtAssets
        self.templateFiles = templateFiles
    }

    /// The stylesheet is kept as parts by concern (`assets/style/10-base.css`, `20-layout.css`, ...)
    /// and served as one file, one request: the parts, from every layer, joined in name order into
    /// `style.css`. A layer can replace one part by name or add one; a layer's own
    /// `assets/style.css` replaces the whole sheet.
    static func joinStylesheet(_ assets: inout [String: URL], into built: inout [String: Data]) throws {
        let parts = assets.keys.filter { $0.hasPrefix("style/") && $0.hasSuffix(".css") }.sorted()
        guard !parts.isEmpty else { return }
        defer { for part in parts { assets[part] = nil } }
        guard assets["style.css"] == nil else { return }
        var sheet = Data()
        for part in parts {
            guard let url = assets[part], let data = FileManager.default.contents(atPath: url.path) else {
                throw SiteError(file: assets[part] ?? URL(fileURLWithPath: part), "unreadable stylesheet part")
            }
            sheet += data
            if data.last != 0x0A { sheet.append(0x0A) }
        }
        built["style.css"] = sheet
    }

    func render(_ name: String, _ context: [String: Any]) -> String {
        library.render(context, withTemplate: name) ?? ""
    }

    func string(_ key: String) -> String { strings[key] ?? key }

    /// The built-in theme: `templates/` in the working directory, else the one next to the
    /// executable's checkout (`.build/release/hypercourse` → `templates/`).
    static func builtInDirectory() -> URL? {
        let fm = FileManager.default
        let cwd = URL(fileURLWithPath: fm.currentDirectoryPath).appendingPathComponent("templates")
        if fm.fileExists(atPath: cwd.appendingPathComponent("layout.mustache").path) { return cwd }
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            let candidate = dir.appendingPathComponent("templates")
            if fm.fileExists(atPath: candidate.appendingPathComponent("layout.mustache").path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    private static func listFiles(_ root: URL) throws -> [String] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDir), isDir.boolValue else {
            throw SiteError(file: root, "templates folder not found")
        }
        guard let enumerator = FileManager.default.enumerator(atPath: root.path) else { return [] }
        var result: [String] = []
        for case let path as String in enumerator {
            let name = (path as NSString).lastPathComponent
            if name.hasPrefix(".") { continue }
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path, isDirectory: &isDir), !isDir.boolValue {
                result.append(path)
            }
        }
        return result
    }

    private static func strings(_ file: URL?) throws -> [String: String] {
        guard let file else { return [:] }
        let yaml = try YAMLDocument(text: try SourceFile.read(file), file: file, firstLine: 1)
        var result: [String: String] = [:]
        for (key, _, value) in try yaml.mapping(what: "a UI-string file") {
            result[key] = try yaml.string(value, key: key, allowEmpty: true)
        }
        return result
    }

    /// (line, capture) for every match of `pattern` in `text`.
    private static func references(in text: String, pattern: String) -> [(Int, String)] {
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return [] }
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
