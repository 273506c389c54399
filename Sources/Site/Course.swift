import Common
import Foundation

/// The course as loaded from `content/`: plain values, in reading order.
public struct Course: Sendable {
    public var config: CourseConfig
    public var contentRoot: URL
    public var chapters: [Chapter]
    /// Draft lessons this build leaves out (links to them are errors that say so).
    public var draftsLeftOut: [URL] = []
    /// Lessons that did not load (unreadable, bad front matter, a bad slug): errors of this build,
    /// reported once; links to them are not reported again as broken.
    public var failedToLoad: [URL] = []
    /// `content/_index.md`: an introduction shown on the home page between the title and the
    /// outline, when the course has one with a non-empty body; `homeTitle` is its optional heading.
    public var homeIntro: MarkdownSource?
    public var homeTitle: String?
    /// A translation's edition: its language (nil for the default language's course).
    public var edition: CourseLanguage?
    /// `content/glossary.yml`'s terms (the same in every edition).
    public var glossary: [GlossaryEntry] = []
    /// The default language's code (an edition's `config.language` is its own).
    public var defaultLanguage: String { originalLanguage ?? config.language }
    var originalLanguage: String?
    /// `content/_index.<lang>.md`, in an edition that has one.
    public var homeTranslation: Translation?

    public var lessonCount: Int { chapters.reduce(0) { $0 + $1.lessons.count } }
}

public struct Chapter: Sendable {
    public var folder: URL
    public var slug: String
    public var title: String
    public var weight: Int?
    public var description: String?
    /// `_index.md`, when the chapter has one.
    public var introFile: URL?
    public var intro: MarkdownSource?
    public var lessons: [Lesson]
    /// In an edition: `_index.<lang>.md`, when the chapter has one.
    public var translation: Translation?

    /// Site-root path of the chapter page.
    public var path: String { "\(slug)/index.html" }
}

public struct Lesson: Sendable {
    public var file: URL
    public var slug: String
    public var title: String
    public var weight: Int?
    public var description: String?
    public var objectives: [String]
    public var draft: Bool
    public var source: MarkdownSource
    /// Site-root path of the lesson page; set when the lesson joins its chapter.
    public var path: String
    /// In an edition: the translation (`lesson.<lang>.md`) whose text `source` holds, or nil when
    /// the lesson is not translated yet and the page shows the original (`file`) instead.
    public var translation: Translation?
    /// The front matter keys as the file wrote them (a translation must have the same).
    public var frontMatterKeys: [String] = []
}

/// A translated lesson or page: its file and the front matter that ties it to the original.
public struct Translation: Sendable {
    public var file: URL
    /// The original's text hash the translation was last reviewed against (`source-hash:`).
    public var sourceHash: String?
    /// The original's text hash now (`TranslationHash.of`).
    public var currentHash: String
    /// The translation's front matter keys, to compare with the original's.
    public var keys: [String]

    public enum State: String, Sendable, CaseIterable {
        /// Reviewed against the original as it is now.
        case upToDate = "up to date"
        /// Reviewed against an earlier version of the original: the original changed since.
        case stale
        /// Never marked as reviewed (no `source-hash:`).
        case unreviewed = "not reviewed"
        /// No translation file.
        case missing
    }

    public var state: State {
        guard let sourceHash else { return .unreviewed }
        return sourceHash == currentHash ? .upToDate : .stale
    }
}

/// The hash a translation records of its original: SHA-256 of the original file's text (front
/// matter included), its first 16 hex digits.
public enum TranslationHash {
    public static func of(_ text: String) -> String { String(SHA256.hash(text).prefix(16)) }
}

/// A Markdown body and where it starts in its file.
public struct MarkdownSource: Sendable {
    public var file: URL
    public var body: String
    public var firstLine: Int
}
