/// Settings for parsing and rendering. The label strings come from the site's UI-string file so
/// nothing English is baked into the renderer.
public struct MarkdownOptions: Sendable {
    /// The kinds of alert (`> [!NOTE]` ...) that become admonitions, each needing a title.
    public static let admonitionKinds = ["note", "tip", "important", "warning", "caution", "predict"]

    /// Accessible label of the `#` link after every heading.
    public var anchorLabel: String
    /// Titles for GitHub alerts, keyed by lowercased kind (one of `admonitionKinds`).
    public var admonitionTitles: [String: String]
    /// The control that opens a prediction's answer.
    public var predictAnswerLabel: String
    /// Heading of the footnotes section.
    public var footnotesTitle: String
    /// Accessible label of a footnote's back-link.
    public var footnoteBackLabel: String
    /// Curly quotes and dashes.
    public var smartPunctuation: Bool
    /// Ids for the headings by position (a translation's headings keep the original's ids); a
    /// heading's own `{#id}` still wins, and headings past the list's end get slugs.
    public var headingIDs: [String] = []
    /// Render with libcmark-gfm's own HTML renderer instead of ours (`HTMLWriter`, one walk writing
    /// bytes), which writes the same bytes: kept for comparison and as a fallback.
    public var libcmarkRenderer = false

    public init(
        anchorLabel: String = "Link to this section",
        admonitionTitles: [String: String] = [
            "note": "Note", "tip": "Tip", "important": "Important", "warning": "Warning", "caution": "Caution",
            "predict": "Predict"
        ],
        predictAnswerLabel: String = "Show the answer",
        footnotesTitle: String = "Notes",
        footnoteBackLabel: String = "Back to content",
        smartPunctuation: Bool = false
    ) {
        self.anchorLabel = anchorLabel
        self.admonitionTitles = admonitionTitles
        self.predictAnswerLabel = predictAnswerLabel
        self.footnotesTitle = footnotesTitle
        self.footnoteBackLabel = footnoteBackLabel
        self.smartPunctuation = smartPunctuation
    }
}

/// A heading with its stable id. `line` is 1-based in the text that was parsed.
public struct Heading: Sendable, Hashable {
    public var level: Int
    public var id: String
    /// Plain text, for search and titles.
    public var text: String
    /// Inline HTML (emphasis and code kept, links removed), for tables of contents.
    public var html: String
    public var line: Int
}

/// A link or image destination as the author wrote it.
public struct LinkReference: Sendable, Hashable {
    /// `rawHTML`: an `href` or `src` attribute in the author's raw HTML.
    public enum Kind: Sendable, Hashable { case link, image, rawHTML }
    /// Position in `MarkdownDocument.links`.
    public var index: Int
    public var kind: Kind
    public var destination: String
    /// Image alt text (plain), empty for links.
    public var altText: String
    public var line: Int
    public var column: Int
}

/// A code block, handed to the caller before the default rendering so it can substitute its own HTML.
public struct CodeBlock: Sendable, Hashable {
    /// The whole info string (`asm exercise id=hello`), empty for indented blocks.
    public var info: String
    public var literal: String
    /// 1-based line of the opening fence (or first line of an indented block).
    public var line: Int
    public var fenced: Bool

    /// The first word of the info string as written (`Python`): what cmark-gfm puts in the
    /// `language-` class, up to the first white space.
    public var infoWord: String {
        String(info.unicodeScalars.prefix { !" \t\n\u{0B}\u{0C}\r".unicodeScalars.contains($0) })
    }

    /// The first word of the info string, lowercased (`asm`).
    public var languageWord: String { infoWord.lowercased() }
}

/// What the caller puts in place of a code block: the HTML the page shows, and the text search
/// finds there (the block's own text is not indexed: the page may show something else, such as
/// an exercise's source without its hidden lines).
public struct CodeBlockReplacement: Sendable, Hashable {
    public var html: String
    public var searchText: String

    public init(html: String, searchText: String) {
        self.html = html
        self.searchText = searchText
    }
}

/// A run of searchable text under one heading (or before the first heading, with `headingID` nil).
public struct SearchSection: Sendable, Hashable {
    public var headingID: String?
    public var heading: String
    public var text: String

    /// `text` as search text is kept: white-space runs (line breaks included) as one space, trimmed.
    public static func searchText(_ text: String) -> String {
        MarkdownDocument.squash(Array(text.utf8)[...])
    }
}

/// An admonition (GitHub alert) found in the document.
public struct Admonition: Sendable, Hashable {
    public var kind: String
    public var line: Int
}
