import CCmarkGFM
import Foundation

/// The one walk over a parsed tree that collects headings, links, code blocks, search text and raw
/// HTML; the tree edits it finds are made once it is over (MarkdownDocument+Edits.swift).
extension MarkdownDocument {
    func analyse(replacingCodeBlock: (CodeBlock) -> CodeBlockReplacement?) throws(MarkdownError) {
        var walk = AnalysisWalk()
        allText.reserveCapacity(4096)
        let iter = cmark_iter_new(root)
        defer { cmark_iter_free(iter) }
        while true {
            let event = cmark_iter_next(iter)
            if event == CMARK_EVENT_DONE { break }
            guard let node = cmark_iter_get_node(iter) else { continue }
            let type = cmark_node_get_type(node)
            let entering = event == CMARK_EVENT_ENTER

            switch type {
            case CMARK_NODE_HEADING:
                try visitHeading(node, entering: entering, &walk)
            case CMARK_NODE_TEXT, CMARK_NODE_CODE:
                visitText(node, type: type, &walk)
            case CMARK_NODE_SOFTBREAK where EastAsianLineBreaks.joinsWideCharacters(node):
                walk.edits.wideSoftBreaks.append(node)
            case CMARK_NODE_SOFTBREAK, CMARK_NODE_LINEBREAK:
                if walk.headingDepth > 0 {
                    walk.headingText.append(0x20)
                } else if walk.imageDepth > 0 {
                    walk.imageAlt.append(0x20)
                } else {
                    allText.append(0x20)
                }
            case CMARK_NODE_CODE_BLOCK:
                visitCodeBlock(node, replacing: replacingCodeBlock, &walk)
            case CMARK_NODE_LINK, CMARK_NODE_IMAGE:
                visitLink(node, image: type == CMARK_NODE_IMAGE, entering: entering, &walk)
            case CMARK_NODE_HTML_BLOCK, CMARK_NODE_HTML_INLINE:
                visitRawHTML(node)
            case CMARK_NODE_BLOCK_QUOTE:
                if entering {
                    walk.edits.blockQuotes.append(node)
                    walk.quoteDepth += 1
                } else {
                    walk.quoteDepth -= 1
                    allText.append(0x20)
                }
            case CMARK_NODE_FOOTNOTE_DEFINITION:
                hasFootnotes = true
                if !entering { allText.append(0x20) }
            default:
                // Every other block that holds text (paragraph, list item, table cell, row)
                // ends a word: table cells must not run together in search text.
                if !entering, UInt32(type.rawValue) & UInt32(CMARK_NODE_TYPE_MASK) == UInt32(CMARK_NODE_TYPE_BLOCK) { allText.append(0x20) }
            }
        }
        rawSections.append((walk.currentID, walk.currentHeading, walk.sectionStart..<allText.count))

        // Tree edits happen after the walk so the iterator never sees a half-edited tree.
        try apply(walk.edits)
    }

    /// A code block: the caller's hook may replace it (an exercise); its search text is the
    /// replacement's or the block's own.
    private func visitCodeBlock(_ node: OpaquePointer, replacing: (CodeBlock) -> CodeBlockReplacement?, _ walk: inout AnalysisWalk) {
        let block = Self.codeBlock(node)
        // The caller's hook runs in document order.
        let replacement = replacing(block)
        codeBlocks.append(block)
        walk.edits.codeNodes.append(node)
        walk.edits.codeHTML.append(replacement?.html)
        allText.append(contentsOf: (replacement?.searchText ?? block.literal).utf8)
        allText.append(0x20)
    }

    private func visitRawHTML(_ node: OpaquePointer) {
        guard let literal = cmark_node_get_literal(node) else { return }
        // One copy of the node's bytes serves every scan of it. Safe: libcmark-gfm's
        // literal is a NUL-terminated string that lives as long as the node.
        let bytes = Array(UnsafeBufferPointer(start: UnsafeRawPointer(literal).assumingMemoryBound(to: UInt8.self), count: strlen(literal)))
        scanRawHTML(bytes, node: node, line: Int(cmark_node_get_start_line(node)), column: Int(cmark_node_get_start_column(node)))
    }

    /// A heading's text is gathered while inside it; on leaving, it gets its id, and an h1-h3 starts
    /// a new search section (deeper headings are part of their section's text).
    private func visitHeading(_ node: OpaquePointer, entering: Bool, _ walk: inout AnalysisWalk) throws(MarkdownError) {
        if entering {
            walk.headingDepth += 1
            walk.headingText.removeAll(keepingCapacity: true)
            return
        }
        walk.headingDepth -= 1
        var text = String(decoding: Self.trimmed(walk.headingText), as: UTF8.self)
        let explicit = try Self.stripExplicitID(node, text: &text)
        let positional = headings.count < options.headingIDs.count ? options.headingIDs[headings.count] : nil
        let id = walk.slugger.id(for: text, explicit: explicit ?? positional)
        let level = Int(cmark_node_get_heading_level(node))
        // Plain-text headings (the usual case) need no render for their TOC entry.
        let html = Self.hasOnlyText(node) ? HTMLEscaping.escape(text) : Self.innerHTML(of: node, parser: parser)
        headings.append(Heading(level: level, id: id, text: text, html: html, line: Int(cmark_node_get_start_line(node))))
        headingNodes.append(node)
        if level <= 3 {
            rawSections.append((walk.currentID, walk.currentHeading, walk.sectionStart..<allText.count))
            walk.sectionStart = allText.count
            walk.currentID = id
            walk.currentHeading = text
        } else {
            allText.append(contentsOf: walk.headingText)
            allText.append(0x20)
        }
    }

    /// Text and code spans go to the heading, the image's alt text or the search text, whichever
    /// they are in; short code spans are marked for the no-wrap edit.
    private func visitText(_ node: OpaquePointer, type: cmark_node_type, _ walk: inout AnalysisWalk) {
        guard let bytes = CmarkTree.literalBytes(node) else { return }
        if walk.quoteDepth > 0, type == CMARK_NODE_TEXT, Self.isAdmonitionMarker(node) { return }
        if walk.headingDepth > 0 {
            walk.headingText.append(contentsOf: bytes)
        } else if walk.imageDepth > 0 {
            walk.imageAlt.append(contentsOf: bytes)
        } else {
            allText.append(contentsOf: bytes)
        }
        if type == CMARK_NODE_CODE, walk.headingDepth == 0, walk.imageDepth == 0, Self.isShortCodeSpan(bytes) {
            walk.edits.shortCodeSpans.append(node)
        }
    }

    /// A link or image becomes a `LinkReference` on leaving it (an image's alt text is complete then).
    private func visitLink(_ node: OpaquePointer, image: Bool, entering: Bool, _ walk: inout AnalysisWalk) {
        if image {
            if entering { walk.imageDepth += 1; walk.imageAlt.removeAll(keepingCapacity: true) } else { walk.imageDepth -= 1 }
        }
        guard !entering else { return }
        // libcmark-gfm makes the title a C string on first request, allocating: done here, in
        // the parse, so renders (HTMLWriter on several threads) only read the tree.
        _ = cmark_node_get_title(node)
        let url = cmark_node_get_url(node).map { String(cString: $0) } ?? ""
        links.append(
            LinkReference(
                index: links.count,
                kind: image ? .image : .link,
                destination: url,
                altText: image ? String(decoding: walk.imageAlt, as: UTF8.self) : "",
                line: Int(cmark_node_get_start_line(node)),
                column: Int(cmark_node_get_start_column(node))
            ))
        linkNodes.append((node, links.count - 1))
    }

    private static func codeBlock(_ node: OpaquePointer) -> CodeBlock {
        let literal = cmark_node_get_literal(node).map { String(cString: $0) } ?? ""
        let info = cmark_node_get_fence_info(node).map { String(cString: $0) } ?? ""
        var length: Int32 = 0, offset: Int32 = 0
        var character: CChar = 0
        let fenced = cmark_node_get_fenced(node, &length, &offset, &character) != 0
        return CodeBlock(info: info, literal: literal, line: Int(cmark_node_get_start_line(node)), fenced: fenced)
    }

    /// Strips a trailing `{#custom-id}` from the heading's last text node and returns the id.
    private static func stripExplicitID(_ heading: OpaquePointer, text: inout String) throws(MarkdownError) -> String? {
        guard text.hasSuffix("}"), let open = text.range(of: "{#", options: .backwards) else { return nil }
        let id = String(text[open.upperBound..<text.index(before: text.endIndex)])
        guard !id.isEmpty, id.allSatisfy({ $0.isLetter || $0.isNumber || "-_:.".contains($0) }) else { return nil }
        guard let last = cmark_node_last_child(heading), cmark_node_get_type(last) == CMARK_NODE_TEXT,
            let literal = cmark_node_get_literal(last)
        else { return nil }
        let lastText = String(cString: literal)
        guard let r = lastText.range(of: "{#" + id + "}", options: .backwards) else { return nil }
        var trimmed = String(lastText[..<r.lowerBound])
        while trimmed.last == " " { trimmed.removeLast() }
        try CmarkTree.setLiteral(last, trimmed)
        text = String(text[..<open.lowerBound])
        while text.last == " " { text.removeLast() }
        return id
    }

    private static func innerHTML(of heading: OpaquePointer, parser: OpaquePointer) -> String {
        // `<h2>...</h2>\n` → the inner part, without links (a TOC entry is itself a link).
        let bytes = Array(CmarkRuntime.render(heading, parser: parser).utf8)
        guard let open = bytes.firstIndex(of: 0x3E) else { return "" }
        var end = bytes.count
        while end > open + 1,
            !(bytes[end - 1] == 0x3E && end >= 5 && bytes[end - 5] == 0x3C && bytes[end - 4] == 0x2F && bytes[end - 3] == 0x68)
        { end -= 1 }
        var inner = Array(bytes[(open + 1)..<max(open + 1, end - 5)])
        if inner.contains(0x3C) { inner = stripAnchors(inner) }
        return String(decoding: inner, as: UTF8.self)
    }

    /// Removes `<a ...>` and `</a>` tags, keeping their text.
    private static func stripAnchors(_ b: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var i = 0
        while i < b.count {
            if b[i] == 0x3C, i + 2 < b.count,
                (b[i + 1] == 0x61 && (b[i + 2] == 0x20 || b[i + 2] == 0x3E))
                    || (b[i + 1] == 0x2F && b[i + 2] == 0x61 && i + 3 < b.count && b[i + 3] == 0x3E)
            {
                while i < b.count, b[i] != 0x3E { i += 1 }
                i += 1
                continue
            }
            out.append(b[i])
            i += 1
        }
        return out
    }

    private static func hasOnlyText(_ node: OpaquePointer) -> Bool {
        var child = cmark_node_first_child(node)
        while let c = child {
            if cmark_node_get_type(c) != CMARK_NODE_TEXT { return false }
            child = cmark_node_next(c)
        }
        return true
    }

    private static func trimmed(_ bytes: [UInt8]) -> ArraySlice<UInt8> {
        var slice = bytes[...]
        while let f = slice.first, f == 0x20 || f == 0x09 { slice = slice.dropFirst() }
        while let l = slice.last, l == 0x20 || l == 0x09 { slice = slice.dropLast() }
        return slice
    }

    private func scanRawHTML(_ html: [UInt8], node: OpaquePointer, line: Int, column: Int) {
        rawHTMLIDs.append(contentsOf: RawHTMLScanner.ids(in: html))
        for offset in RawHTMLScanner.imagesWithoutAlt(in: html) { rawImagesWithoutAlt.append(line + offset) }
        for offset in RawHTMLScanner.svgImagesWithoutName(in: html) { rawSVGImagesWithoutName.append(line + offset) }
        recordRawLinks(in: html, node: node, line: line, column: column)
    }
}

/// What the analysis walk carries from node to node: where it is (inside a heading, an image, a
/// quote), the text being gathered, the current search section, and the edits to make afterwards.
struct AnalysisWalk {
    var slugger = HeadingSlugger()
    var edits = MarkdownDocument.PendingEdits()
    var sectionStart = 0
    var currentID: String?
    var currentHeading = ""
    var headingText: [UInt8] = []
    var imageAlt: [UInt8] = []
    var headingDepth = 0
    var imageDepth = 0
    var quoteDepth = 0
}
