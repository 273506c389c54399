import Common
import Foundation
import Yams

/// One language of a multilingual course (`languages:` in course.yml). The default language is
/// course.yml's `language:`; its pages are where a one-language course puts them, every other
/// language's under `public/<code>/`.
public struct CourseLanguage: Sendable, Hashable {
    /// BCP 47 tag, also the file-name infix (`lesson.zh.md`) and the output folder (`zh/`).
    public var code: String
    /// The language's own name, shown in the language switch (`English`, `中文`).
    public var name: String
    /// The course's title, subtitle and description in this language (the default language's
    /// come from course.yml's top-level keys).
    public var title: String?
    public var subtitle: String?
    public var description: String?
    /// A complete language: `check` fails on its stale or missing translations.
    public var complete: Bool
    /// Line in course.yml, for errors about this entry.
    public var line: Int
}

extension CourseConfig {
    static let languageKeys: Set<String> = ["code", "name", "title", "subtitle", "description", "complete"]

    /// `languages:`: a list of `{code, name, title, subtitle, description, complete}`.
    static func languageEntries(_ value: Node, yaml: YAMLDocument, file: URL) throws -> [CourseLanguage] {
        guard let sequence = value.sequence, !sequence.isEmpty else {
            throw SiteError(
                file: file, line: yaml.line(of: value),
                "'languages' must be a list of {code, name, title, subtitle, description, complete} entries")
        }
        var seen: Set<String> = []
        return try sequence.map { entry in
            guard let mapping = entry.mapping else {
                throw SiteError(file: file, line: yaml.line(of: entry), "a language entry must be a mapping such as {code: zh, name: 中文}")
            }
            var language = CourseLanguage(code: "", name: "", complete: false, line: yaml.line(of: entry))
            for (k, v) in mapping {
                let key = k.string ?? ""
                switch key {
                case "code": language.code = try yaml.string(v, key: key)
                case "name": language.name = try yaml.string(v, key: key)
                case "title": language.title = try yaml.string(v, key: key)
                case "subtitle": language.subtitle = try yaml.string(v, key: key)
                case "description": language.description = try yaml.string(v, key: key)
                case "complete": language.complete = try yaml.bool(v, key: key)
                default:
                    throw SiteError(
                        file: file, line: yaml.line(of: k),
                        "unknown language entry key '\(key)' (known: \(languageKeys.sorted().joined(separator: ", ")))")
                }
            }
            guard !language.code.isEmpty else { throw SiteError(file: file, line: language.line, "language entry has no 'code'") }
            guard Self.isLanguageCode(language.code) else {
                throw SiteError(
                    file: file, line: language.line, "language code '\(language.code)' must be a BCP 47 tag such as en or zh-Hans")
            }
            guard seen.insert(language.code).inserted else {
                throw SiteError(file: file, line: language.line, "language '\(language.code)' is listed twice")
            }
            if language.name.isEmpty { language.name = language.code }
            return language
        }
    }

    static func isLanguageCode(_ text: String) -> Bool {
        !text.isEmpty && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
    }

    /// The languages other than the default, in course.yml's order: each gets its own edition.
    public var translationLanguages: [CourseLanguage] { languages.filter { $0.code != language } }

    /// The default language's entry, when course.yml lists languages.
    public var defaultLanguage: CourseLanguage? { languages.first { $0.code == language } }

    /// This configuration as a translation's edition sees it: the course's title, subtitle and
    /// description in that language (the default's where the entry has none), and its language.
    func edition(_ entry: CourseLanguage) -> CourseConfig {
        var config = self
        config.language = entry.code
        if let title = entry.title { config.title = title }
        if let subtitle = entry.subtitle { config.subtitle = subtitle }
        if let description = entry.description { config.description = description }
        return config
    }
}
