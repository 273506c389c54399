import CCmarkGFM
import Common
import Foundation

/// The tree edits that put our markup in place: heading ids and anchors, highlighted (or the
/// caller's) code blocks, admonitions, unbreakable short code spans. They run after the analysis
/// walk, so its iterator never sees a half-edited tree, and every one goes through `CmarkTree`.
extension MarkdownDocument {
    /// Nodes the analysis walk found, to edit once it is over.
    struct PendingEdits {
        var codeNodes: [OpaquePointer] = []
        /// The caller's HTML for each code block, nil for the default rendering.
        var codeHTML: [String?] = []
        var blockQuotes: [OpaquePointer] = []
        var shortCodeSpans: [OpaquePointer] = []
        /// Soft breaks between two East Asian wide characters, which render as nothing.
        var wideSoftBreaks: [OpaquePointer] = []
    }

    func apply(_ edits: PendingEdits) throws(MarkdownError) {
        for (index, node) in headingNodes.enumerated() {
            headingNodes[index] = try replaceHeading(node)
        }
        let html = Self.codeBlockHTML(codeBlocks, given: edits.codeHTML)
        for (index, node) in edits.codeNodes.enumerated() {
            let custom = CmarkRuntime.node(CMARK_NODE_CUSTOM_BLOCK)
            try CmarkTree.setOnEnter(custom, html[index])
            try CmarkTree.setOnExit(custom, "")
            try CmarkTree.replaceOrThrow(node, with: custom)
        }
        for quote in edits.blockQuotes { try convertAdmonition(quote) }
        var spanHTML: [UInt8] = []
        for span in edits.shortCodeSpans { try markUnbreakable(span, buffer: &spanHTML) }
        // Unlinked nodes stay in the document's arena, which frees them with the tree.
        for softBreak in edits.wideSoftBreaks { cmark_node_unlink(softBreak) }
    }

    /// Every code block's HTML: the caller's where given, else the default highlighting, which
    /// runs on all cores (it is pure) when there are many blocks.
    private static func codeBlockHTML(_ blocks: [CodeBlock], given: [String?]) -> [String] {
        let pending = given.indices.filter { given[$0] == nil }
        guard pending.count >= 16 else { return given.indices.map { given[$0] ?? defaultCodeHTML(blocks[$0]) } }
        let results = concurrentMap(pending.count) { i in defaultCodeHTML(blocks[pending[i]]) }
        var html = given.map { $0 ?? "" }
        for (k, index) in pending.enumerated() { html[index] = results[k] }
        return html
    }

    /// Code spans up to this many characters never break across lines (`--steps 10` split at its
    /// hyphen on a phone reads as two options); longer ones wrap as text does. At the narrowest
    /// layout (375 px) a line holds about 40 characters of inline code, so a short span always fits.
    static let unbreakableCodeSpan = 24
    private static let nowrapOpen = Array("<code class=\"nowrap\">".utf8)
    private static let codeClose = Array("</code>".utf8) + [0]

    static func isShortCodeSpan(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        // Characters, not bytes: count the bytes that start a UTF-8 sequence.
        bytes.count <= unbreakableCodeSpan * 4 && bytes.lazy.filter { $0 & 0xC0 != 0x80 }.count <= unbreakableCodeSpan
    }

    /// `<code class="nowrap">` in place of the span's plain `<code>`, the literal escaped. Built as
    /// bytes in a reused buffer: a course has tens of thousands of these. The markup is a raw HTML
    /// inline, the one inline type every container takes (a table cell refuses custom inlines);
    /// should a container still refuse it, the span keeps its plain `<code>`.
    private func markUnbreakable(_ node: OpaquePointer, buffer: inout [UInt8]) throws(MarkdownError) {
        guard let bytes = CmarkTree.literalBytes(node) else { return }
        buffer.removeAll(keepingCapacity: true)
        buffer.append(contentsOf: Self.nowrapOpen)
        HTMLEscaping.appendEscaped(bytes, to: &buffer)
        buffer.append(contentsOf: Self.codeClose)
        let html = CmarkRuntime.node(CMARK_NODE_HTML_INLINE)
        try CmarkTree.setLiteral(html, nulTerminated: buffer)
        _ = CmarkTree.replace(node, with: html)
    }

    /// A heading becomes an empty custom block holding one custom inline around the heading's
    /// inlines: the inline's enter/exit strings carry `<hN id>` and the anchor link, and sit on the
    /// same line as the text (a custom block's own strings get line breaks around them).
    private func replaceHeading(_ node: OpaquePointer) throws(MarkdownError) -> OpaquePointer {
        let inline = CmarkRuntime.node(CMARK_NODE_CUSTOM_INLINE)
        try CmarkTree.moveChildren(of: node, to: inline)
        let block = try replaceWithCustomBlock(node)
        try CmarkTree.setOnEnter(block, "")
        try CmarkTree.setOnExit(block, "")
        try CmarkTree.appendChild(inline, to: block)
        return inline
    }

    /// Moves a node's children into a new custom block in its place; returns the custom block.
    func replaceWithCustomBlock(_ node: OpaquePointer) throws(MarkdownError) -> OpaquePointer {
        let custom = CmarkRuntime.node(CMARK_NODE_CUSTOM_BLOCK)
        try CmarkTree.replaceOrThrow(node, with: custom)
        try CmarkTree.moveChildren(of: node, to: custom)
        return custom
    }
}
