import Common
import Foundation

/// Where each translation of a multilingual course stands: per language, every page that has an
/// original (the home page's and chapters' `_index.md`, every lesson) and its translation's state.
public struct TranslationEntry: Sendable {
    public var language: String
    /// The original file, and the translation's file (which may not exist: `missing`).
    public var original: URL
    public var translation: URL
    public var state: Translation.State
    /// The original's hash now: what `--mark` writes as `source-hash`.
    public var currentHash: String
}

public enum TranslationReport {
    /// Every translatable page of each edition, in course order.
    static func entries(_ loaded: LoadedCourse) -> [TranslationEntry] {
        loaded.editions.flatMap { edition in entries(edition, root: loaded.root) }
    }

    private static func entries(_ edition: Course, root: URL) -> [TranslationEntry] {
        guard let language = edition.edition else { return [] }
        let files = EditionLoader(contentRoot: root, language: language)
        func entry(_ original: URL, _ translation: Translation?) -> TranslationEntry {
            let current = translation?.currentHash ?? TranslationHash.of((try? TextFile.read(original, limit: FileSize.maxText)) ?? "")
            return TranslationEntry(
                language: language.code, original: original, translation: files.translationFile(of: original),
                state: translation?.state ?? .missing, currentHash: current)
        }
        var entries: [TranslationEntry] = []
        let home = root.appendingPathComponent("_index.md")
        if FileManager.default.fileExists(atPath: home.path) { entries.append(entry(home, edition.homeTranslation)) }
        for chapter in edition.chapters {
            if let intro = chapter.introFile { entries.append(entry(intro, chapter.translation)) }
            entries += chapter.lessons.map { entry($0.file, $0.translation) }
        }
        return entries
    }

    /// What `build` says: each stale translation at its file, and per language one line counting the
    /// missing and unreviewed ones (listed by `hypercourse translations`).
    static func warnings(_ entries: [TranslationEntry]) -> [SiteWarning] {
        var warnings = entries.filter { $0.state == .stale }.map { entry in
            SiteWarning(
                file: entry.translation, line: 1,
                "stale translation: \(entry.original.lastPathComponent) changed since this translation was reviewed; update it, then run hypercourse translations --mark \(DisplayPath.of(entry.translation))"
            )
        }
        for language in languages(entries) {
            let own = entries.filter { $0.language == language }
            let missing = own.filter { $0.state == .missing }.count, unreviewed = own.filter { $0.state == .unreviewed }.count
            guard missing + unreviewed > 0 else { continue }
            warnings.append(
                SiteWarning(
                    "\(language): \(missing) of \(own.count) pages not translated (they show the original with a notice), \(unreviewed) translated but not reviewed; hypercourse translations lists them"
                ))
        }
        return warnings
    }

    /// What `check` fails on: every translation of a language marked complete that is not up to date.
    static func errors(_ entries: [TranslationEntry], complete: Set<String>) -> [SiteError] {
        entries.filter { complete.contains($0.language) && $0.state != .upToDate }.map { entry in
            let what: String
            switch entry.state {
            case .missing: what = "missing translation of \(DisplayPath.of(entry.original))"
            case .stale: what = "stale translation: \(entry.original.lastPathComponent) changed since it was reviewed"
            case .unreviewed: what = "translation not reviewed (no source-hash)"
            case .upToDate: what = ""
            }
            return SiteError(
                file: entry.translation, line: entry.state == .missing ? nil : 1,
                "\(what); '\(entry.language)' is marked complete in course.yml, so every page needs an up-to-date translation (hypercourse translations --mark FILE after a review)"
            )
        }
    }

    private static func languages(_ entries: [TranslationEntry]) -> [String] {
        var seen: [String] = []
        for entry in entries where !seen.contains(entry.language) { seen.append(entry.language) }
        return seen
    }
}
