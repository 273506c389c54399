import Foundation

/// What a page of a multilingual course adds: the language switch, `<link rel="alternate">`s, and
/// the notice on a page that shows the original (not translated yet) or an outdated translation.
/// Every language's page has the same path inside its language's folder.
extension PageRenderer {
    /// The language's folder from the whole site's root: "" for the default language.
    private func folder(of code: String) -> String { code == course.defaultLanguage ? "" : code + "/" }

    /// One entry per language, linked from the page at `path` of this edition.
    func languageLinks(for path: String) -> [[String: Any]] {
        let here = folder(of: course.config.language) + path
        return course.config.languages.map { language in
            [
                "code": language.code, "name": language.name, "current": language.code == course.config.language,
                "url": URLPaths.relative(from: here, to: folder(of: language.code) + path)
            ]
        }
    }

    /// `common` with the language switch and alternates, for a course in several languages.
    func addLanguages(to common: inout [String: Any], path: String) {
        guard !course.config.languages.isEmpty else { return }
        let links = languageLinks(for: path)
        common["alternates"] = links.filter { $0["current"] as? Bool == false }
        common["languageSwitchHTML"] = theme.render("partials/language-switch", ["languages": links, "t": theme.strings])
    }

    /// The notice and the text's language for a page of an edition whose text is the original's
    /// (`translation` nil) or a stale translation; nothing for the default language.
    func translationNotice(path: String, translation: Translation?, hasText: Bool) -> [String: Any] {
        guard course.edition != nil, hasText else { return [:] }
        let original = course.defaultLanguage
        guard let translation else {
            return ["translationNotice": ["text": theme.string("translation_missing")], "contentLang": original]
        }
        guard translation.state == .stale else { return [:] }
        let here = folder(of: course.config.language) + path
        return [
            "translationNotice": [
                "text": theme.string("translation_stale"), "lang": original,
                "url": URLPaths.relative(from: here, to: folder(of: original) + path)
            ]
        ]
    }
}
