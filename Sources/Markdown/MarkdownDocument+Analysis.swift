import CCmarkGFM
import Foundation

/// The one walk over a parsed tree that collects headings, links, code blocks, search text and raw
/// HTML, and the tree edits that follow it (heading anchors, code block HTML, admonitions, short
/// code spans kept on one line).
extension MarkdownDocument {
    func analyse(codeBlockHTML: (CodeBlock) -> String?) {
        var slugger = HeadingSlugger()
        var blockQuotes: [OpaquePointer] = []
        var codeNodes: [OpaquePointer] = []
        var shortCodeSpans: [OpaquePointer] = []
        var sectionStart = 0
        allText.reserveCapacity(4096)
        var currentID: String?
        var currentHeading = ""
        var headingText: [UInt8] = []
        var imageAlt: [UInt8] = []
        var headingDepth = 0
        var imageDepth = 0
        var quoteDepth = 0

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
                if entering {
                    headingDepth += 1
                    headingText.removeAll(keepingCapacity: true)
                } else {
                    headingDepth -= 1
                    var text = String(decoding: Self.trimmed(headingText), as: UTF8.self)
                    let explicit = Self.stripExplicitID(node, text: &text)
                    let id = slugger.id(for: text, explicit: explicit)
                    let level = Int(cmark_node_get_heading_level(node))
                    // Plain-text headings (the usual case) need no render for their TOC entry.
                    let html = Self.hasOnlyText(node) ? HTMLEscaping.escape(text) : Self.innerHTML(of: node, parser: parser)
                    headings.append(Heading(level: level, id: id, text: text, html: html, line: Int(cmark_node_get_start_line(node))))
                    headingNodes.append(node)
                    if level <= 3 {
                        rawSections.append((currentID, currentHeading, sectionStart..<allText.count))
                        sectionStart = allText.count
                        currentID = id
                        currentHeading = text
                    } else {
                        allText.append(contentsOf: headingText)
                        allText.append(0x20)
                    }
                }
            case CMARK_NODE_TEXT, CMARK_NODE_CODE:
                guard let literal = cmark_node_get_literal(node) else { break }
                let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(literal).assumingMemoryBound(to: UInt8.self), count: strlen(literal))
                if quoteDepth > 0, type == CMARK_NODE_TEXT, Self.isAdmonitionMarker(node) { break }
                if headingDepth > 0 { headingText.append(contentsOf: bytes) }
                else if imageDepth > 0 { imageAlt.append(contentsOf: bytes) }
                else { allText.append(contentsOf: bytes) }
                if type == CMARK_NODE_CODE, headingDepth == 0, imageDepth == 0, Self.isShortCodeSpan(bytes) { shortCodeSpans.append(node) }
            case CMARK_NODE_SOFTBREAK, CMARK_NODE_LINEBREAK:
                if headingDepth > 0 { headingText.append(0x20) } else if imageDepth > 0 { imageAlt.append(0x20) } else { allText.append(0x20) }
            case CMARK_NODE_PARAGRAPH, CMARK_NODE_ITEM:
                if !entering { allText.append(0x20) }
            case CMARK_NODE_CODE_BLOCK:
                let literal = cmark_node_get_literal(node).map { String(cString: $0) } ?? ""
                let info = cmark_node_get_fence_info(node).map { String(cString: $0) } ?? ""
                var length: Int32 = 0, offset: Int32 = 0
                var character: CChar = 0
                let fenced = cmark_node_get_fenced(node, &length, &offset, &character) != 0
                codeBlocks.append(CodeBlock(info: info, literal: literal, line: Int(cmark_node_get_start_line(node)), fenced: fenced))
                codeNodes.append(node)
                allText.append(contentsOf: literal.utf8)
                allText.append(0x20)
            case CMARK_NODE_LINK, CMARK_NODE_IMAGE:
                if type == CMARK_NODE_IMAGE {
                    if entering { imageDepth += 1; imageAlt.removeAll(keepingCapacity: true) } else { imageDepth -= 1 }
                }
                if !entering {
                    let url = cmark_node_get_url(node).map { String(cString: $0) } ?? ""
                    links.append(LinkReference(
                        index: links.count,
                        kind: type == CMARK_NODE_IMAGE ? .image : .link,
                        destination: url,
                        altText: type == CMARK_NODE_IMAGE ? String(decoding: imageAlt, as: UTF8.self) : "",
                        line: Int(cmark_node_get_start_line(node)),
                        column: Int(cmark_node_get_start_column(node))
                    ))
                    linkNodes.append((node, links.count - 1))
                }
            case CMARK_NODE_HTML_BLOCK, CMARK_NODE_HTML_INLINE:
                if let literal = cmark_node_get_literal(node) {
                    // One copy of the node's bytes serves every scan of it.
                    let bytes = Array(UnsafeBufferPointer(start: UnsafeRawPointer(literal).assumingMemoryBound(to: UInt8.self), count: strlen(literal)))
                    scanRawHTML(bytes, node: node, line: Int(cmark_node_get_start_line(node)), column: Int(cmark_node_get_start_column(node)))
                }
            case CMARK_NODE_BLOCK_QUOTE:
                if entering {
                    blockQuotes.append(node)
                    quoteDepth += 1
                } else {
                    quoteDepth -= 1
                }
            case CMARK_NODE_FOOTNOTE_DEFINITION:
                hasFootnotes = true
            default:
                break
            }
        }
        rawSections.append((currentID, currentHeading, sectionStart..<allText.count))

        // Tree edits happen after the walk so the iterator never sees a half-edited tree.
        for (index, node) in headingNodes.enumerated() {
            headingNodes[index] = replaceHeading(node)
        }
        // The caller's hook runs in order; default highlighting of the rest can run on all cores
        // (it is pure), which matters for documents with many code blocks.
        var replacements = codeBlocks.map { codeBlockHTML($0) }
        let pending = replacements.indices.filter { replacements[$0] == nil }
        if pending.count >= 16 {
            let blocks = pending.map { codeBlocks[$0] }
            let results = UnsafeMutableBufferPointer<String>.allocate(capacity: blocks.count)
            results.initialize(repeating: "")
            nonisolated(unsafe) let slots = results
            DispatchQueue.concurrentPerform(iterations: blocks.count) { i in slots[i] = Self.defaultCodeHTML(blocks[i]) }
            for (k, index) in pending.enumerated() { replacements[index] = results[k] }
            results.deinitialize()
            results.deallocate()
        }
        for (index, node) in codeNodes.enumerated() {
            let html = replacements[index] ?? Self.defaultCodeHTML(codeBlocks[index])
            let custom = CmarkRuntime.node(CMARK_NODE_CUSTOM_BLOCK)
            cmark_node_set_on_enter(custom, html)
            cmark_node_set_on_exit(custom, "")
            cmark_node_insert_before(node, custom)
            cmark_node_unlink(node)
        }
        for quote in blockQuotes { convertAdmonition(quote) }
        var spanHTML: [UInt8] = []
        for span in shortCodeSpans { markUnbreakable(span, buffer: &spanHTML) }
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

    /// `<code class="nowrap">` in place of the span's plain `<code>`, the literal escaped as cmark
    /// would. Built as bytes in a reused buffer: a course has tens of thousands of these.
    private func markUnbreakable(_ node: OpaquePointer, buffer: inout [UInt8]) {
        guard let literal = cmark_node_get_literal(node) else { return }
        let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(literal).assumingMemoryBound(to: UInt8.self), count: strlen(literal))
        buffer.removeAll(keepingCapacity: true)
        buffer.append(contentsOf: Self.nowrapOpen)
        HTMLEscaping.appendEscaped(bytes, to: &buffer)
        buffer.append(contentsOf: Self.codeClose)
        let custom = CmarkRuntime.node(CMARK_NODE_CUSTOM_INLINE)
        buffer.withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { _ = cmark_node_set_on_enter(custom, $0.baseAddress) } }
        cmark_node_set_on_exit(custom, "")
        cmark_node_insert_before(node, custom)
        cmark_node_unlink(node)
    }

    /// A heading becomes an empty custom block holding one custom inline around the heading's
    /// inlines: the inline's enter/exit strings carry `<hN id>` and the anchor link, and sit on the
    /// same line as the text (a custom block's own strings get line breaks around them).
    private func replaceHeading(_ node: OpaquePointer) -> OpaquePointer {
        let inline = CmarkRuntime.node(CMARK_NODE_CUSTOM_INLINE)
        while let child = cmark_node_first_child(node) {
            cmark_node_append_child(inline, child)
        }
        let block = replaceWithCustomBlock(node)
        cmark_node_set_on_enter(block, "")
        cmark_node_set_on_exit(block, "")
        cmark_node_append_child(block, inline)
        return inline
    }

    /// Moves a node's children into a new custom block in its place; returns the custom block.
    func replaceWithCustomBlock(_ node: OpaquePointer) -> OpaquePointer {
        let custom = CmarkRuntime.node(CMARK_NODE_CUSTOM_BLOCK)
        cmark_node_insert_before(node, custom)
        while let child = cmark_node_first_child(node) {
            cmark_node_append_child(custom, child)
        }
        cmark_node_unlink(node)
        return custom
    }

    /// Strips a trailing `{#custom-id}` from the heading's last text node and returns the id.
    private static func stripExplicitID(_ heading: OpaquePointer, text: inout String) -> String? {
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
        cmark_node_set_literal(last, trimmed)
        text = String(text[..<open.lowerBound])
        while text.last == " " { text.removeLast() }
        return id
    }

    private static func innerHTML(of heading: OpaquePointer, parser: OpaquePointer) -> String {
        // `<h2>...</h2>\n` → the inner part, without links (a TOC entry is itself a link).
        let bytes = Array(CmarkRuntime.render(heading, parser: parser).utf8)
        guard let open = bytes.firstIndex(of: 0x3E) else { return "" }
        var end = bytes.count
        while end > open + 1, !(bytes[end - 1] == 0x3E && end >= 5 && bytes[end - 5] == 0x3C && bytes[end - 4] == 0x2F && bytes[end - 3] == 0x68) { end -= 1 }
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
            if b[i] == 0x3C, i + 2 < b.count, (b[i + 1] == 0x61 && (b[i + 2] == 0x20 || b[i + 2] == 0x3E)) || (b[i + 1] == 0x2F && b[i + 2] == 0x61 && i + 3 < b.count && b[i + 3] == 0x3E) {
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
        recordRawLinks(in: html, node: node, line: line, column: column)
    }
}
