import CCmarkGFM
import Foundation

/// One parsed Markdown document (GFM: tables, strikethrough, autolinks, tag filter, task lists,
/// footnotes; raw HTML allowed). Parsing analyses it once: headings get ids, code blocks are
/// highlighted (or replaced by the caller's HTML), GitHub alerts become admonitions. `html(...)`
/// then renders it as often as needed with different id prefixes and link targets, which is how
/// the same lesson appears on its own page and in the print-all page without a second parse.
///
/// Not thread-safe: use one document per task. Different documents may be used concurrently.
public final class MarkdownDocument {
    public internal(set) var headings: [Heading] = []
    public internal(set) var links: [LinkReference] = []
    public internal(set) var codeBlocks: [CodeBlock] = []
    /// Searchable text by section. Computed on first use: rendering alone does not pay for it.
    public var sections: [SearchSection] {
        if let cached = sectionCache { return cached }
        let built = rawSections.map { SearchSection(headingID: $0.id, heading: $0.heading, text: Self.squash(allText[$0.text])) }
            .filter { !($0.text.isEmpty && $0.headingID == nil) }
        sectionCache = built.isEmpty ? [SearchSection(headingID: nil, heading: "", text: "")] : built
        return sectionCache!
    }
    /// Every section's text, back to back (one growing buffer rather than one array per section).
    var allText: [UInt8] = []
    var rawSections: [(id: String?, heading: String, text: Range<Int>)] = []
    private var sectionCache: [SearchSection]?
    public internal(set) var admonitions: [Admonition] = []
    /// Every `id` attribute in `html` (a rendered page), for link-target checks.
    public static func ids(inHTML html: String) -> [String] { RawHTMLScanner.ids(in: html) }

    /// `id` attributes the author wrote in raw HTML (they are link targets too).
    public internal(set) var rawHTMLIDs: [String] = []
    /// Lines of raw-HTML `<img>` tags without an `alt` attribute.
    public internal(set) var rawImagesWithoutAlt: [Int] = []
    /// Lines of raw-HTML `<svg role="img">` tags without `aria-label` or `aria-labelledby`.
    public internal(set) var rawSVGImagesWithoutName: [Int] = []
    /// True when the document defines footnotes (rendered as a labelled section at the end).
    public internal(set) var hasFootnotes = false

    let options: MarkdownOptions
    /// The Markdown's size in bytes, to size the HTML's buffers.
    let sourceBytes: Int
    /// Holds every libcmark-gfm allocation of this document; released with it.
    private let arena = CmarkArena()
    // These node pointers stay valid for the document's life: libcmark-gfm allocated them in
    // `arena`, which this document owns and frees only when it goes; they are used only inside
    // `withArena`, so libcmark-gfm's hooks find that arena.
    let parser: OpaquePointer
    let root: OpaquePointer
    /// Each heading's custom inline (after the edits), whose HTML every render sets.
    var headingNodes: [OpaquePointer] = []
    /// Markdown link and image nodes, with their index in `links`.
    var linkNodes: [(node: OpaquePointer, link: Int)] = []
    /// Raw HTML nodes holding `href`/`src` attributes: the original HTML, and each value's place
    /// and index in `links`, so every render can rewrite them from the original.
    var rawLinkNodes: [(node: OpaquePointer, html: [UInt8], urls: [(url: RawHTMLURL, link: Int)])] = []

    /// Parses `markdown`. `replacingCodeBlock` may return HTML (and its search text) to use in place
    /// of a code block (exercise blocks, say); nil keeps the default highlighted rendering. Throws
    /// when libcmark-gfm refuses one of the tree edits that put ids, highlighting and admonitions
    /// in place (none of GFM's containers does today: this is a guard, not an expected path).
    public init(
        _ markdown: String, options: MarkdownOptions = MarkdownOptions(),
        replacingCodeBlock: (CodeBlock) -> CodeBlockReplacement? = { _ in nil }
    ) throws(MarkdownError) {
        self.options = options
        sourceBytes = markdown.utf8.count
        let arena = self.arena
        let (parser, root) = arena.withArena { () -> (OpaquePointer, OpaquePointer) in
            let parser = CmarkRuntime.makeParser(smart: options.smartPunctuation)
            var text = markdown
            text.withUTF8 { buffer in
                // Safe: cmark_parser_feed copies the bytes before returning; CChar and UInt8 share a layout.
                buffer.withMemoryRebound(to: CChar.self) { cmark_parser_feed(parser, $0.baseAddress, $0.count) }
            }
            return (parser, CmarkRuntime.finish(parser))
        }
        self.parser = parser
        self.root = root
        try arena.withArena { () throws(MarkdownError) in try analyse(replacingCodeBlock: replacingCodeBlock) }
    }

    // No deinit: the tree, the parser and every buffer live in `arena`, which frees them at once.

    /// Renders the document. Heading and footnote ids get `idPrefix`; every link or image whose
    /// `linkURL` returns a string gets that string as its destination. Without `headingAnchors`
    /// headings keep their ids but get no link to themselves (a printed page cannot be clicked).
    /// Throws only if libcmark-gfm refuses to update a node the parse already checked.
    public func html(
        idPrefix: String = "", headingAnchors: Bool = true, linkURL: (LinkReference) -> String? = { _ in nil }
    ) throws(MarkdownError) -> String {
        try html(idPrefix: idPrefix, headingAnchors: headingAnchors, linkURL: linkURL, blocksPerGroup: nil)
    }

    /// `html(...)`, with the top-level blocks rendered in groups of `blocksPerGroup` (nil: only a
    /// large document is split, `GroupedRender`).
    /// `libcmark` renders with libcmark-gfm's renderer instead of `HTMLWriter` (tests compare the two).
    func html(
        idPrefix: String = "", headingAnchors: Bool = true, linkURL: (LinkReference) -> String? = { _ in nil },
        blocksPerGroup: Int?, libcmark: Bool? = nil
    ) throws(MarkdownError) -> String {
        try arena.withArena { () throws(MarkdownError) in
            try render(
                idPrefix: idPrefix, headingAnchors: headingAnchors, linkURL: linkURL, blocksPerGroup: blocksPerGroup,
                libcmark: libcmark ?? options.libcmarkRenderer)
        }
    }

    /// How many groups `html(...)` renders in (one unless the document is large).
    var renderGroupCount: Int { GroupedRender.groupCount(root) }

    private func render(
        idPrefix: String, headingAnchors: Bool, linkURL: (LinkReference) -> String?, blocksPerGroup: Int?, libcmark: Bool
    ) throws(MarkdownError) -> String {
        // Built as bytes: a long document has thousands of headings.
        let prefix = Array(HTMLEscaping.escape(idPrefix).utf8)
        let label = Array(HTMLEscaping.escape(options.anchorLabel).utf8)
        var buffer: [UInt8] = []
        for (index, node) in headingNodes.enumerated() {
            let heading = headings[index]
            let level = UInt8(0x30 + heading.level)
            let id = prefix + Array(HTMLEscaping.escape(heading.id).utf8)
            buffer.removeAll(keepingCapacity: true)
            buffer += [0x3C, 0x68, level] // <hN
            buffer += Array(" id=\"".utf8) + id + [0x22, 0x3E, 0x00]
            try CmarkTree.setOnEnter(node, nulTerminated: buffer)
            buffer.removeAll(keepingCapacity: true)
            if headingAnchors {
                buffer += Array(" <a class=\"heading-anchor\" href=\"#".utf8) + id + Array("\" aria-label=\"".utf8) + label + [0x3A, 0x20]
                HTMLEscaping.appendEscaped(Array(heading.text.utf8)[...], to: &buffer)
                buffer += Array("\">#</a>".utf8)
            }
            buffer += Array("</h".utf8) + [level, 0x3E, 0x00]
            try CmarkTree.setOnExit(node, nulTerminated: buffer)
        }
        for (node, index) in linkNodes {
            let url = linkURL(links[index]) ?? links[index].destination
            try CmarkTree.setURL(node, url)
        }
        try rewriteRawLinks(linkURL)
        var html = try GroupedRender.html(
            root, parser: parser, blocksPerGroup: blocksPerGroup, libcmark: libcmark || hasFootnotes, sourceBytes: sourceBytes)
        if hasFootnotes {
            html = FootnoteDecorator(idPrefix: idPrefix, title: options.footnotesTitle, backLabel: options.footnoteBackLabel).decorate(html)
        }
        return html
    }

    /// The default rendering of a code block: highlighted when the language is known, else escaped.
    public static func defaultCodeHTML(_ block: CodeBlock) -> String {
        let language = SyntaxHighlighter.resolve(infoWord: block.languageWord, code: block.literal)
        let body = language.map { SyntaxHighlighter.highlight(block.literal, as: $0) } ?? SyntaxHighlighter.plain(block.literal)
        // The info word as written labels the block (cmark-gfm's `language-` class carries it too);
        // the class names the highlighter that ran.
        let written = block.infoWord
        let langAttr = written.isEmpty ? "" : " data-lang=\"\(HTMLEscaping.escape(written))\""
        let cls = language.map { " class=\"language-\($0.rawValue)\"" } ?? ""
        return "<div class=\"code-block\"><pre\(langAttr) tabindex=\"0\"><code\(cls)>\(body)</code></pre></div>"
    }

    /// Collapses whitespace runs to single spaces and trims.
    static func squash(_ bytes: ArraySlice<UInt8>) -> String {
        // Unsafe for speed (search text of every page): `n` never passes the input's count, which
        // is the output's capacity, since each input byte writes at most one output byte.
        bytes.withUnsafeBufferPointer { input in
            String(unsafeUninitializedCapacity: input.count) { out in
                var n = 0
                var space = true
                for b in input {
                    if b == 0x20 || b == 0x0A || b == 0x09 || b == 0x0D {
                        if !space { out[n] = 0x20; n += 1; space = true }
                    } else {
                        out[n] = b
                        n += 1
                        space = false
                    }
                }
                if n > 0, out[n - 1] == 0x20 { n -= 1 }
                return n
            }
        }
    }
}
