import CCmarkGFM

/// Our HTML renderer for a libcmark-gfm tree (with the edits `MarkdownDocument` makes): one walk,
/// writing bytes into one buffer, with libcmark-gfm's markup, line breaks and escaping, so its
/// output is byte for byte `cmark_render_html`'s with the document's options and extensions
/// (raw HTML kept, the tag filter applied; tables, strikethrough and task lists). `HTMLWriterTests`
/// compare the two on every GFM example, the course and hostile input.
///
/// It only reads the tree, so several writers may render parts of one tree at once; the text it
/// reads must already be NUL-terminated copies (libcmark-gfm makes one on a node's first
/// `get_literal`/`get_url`/`get_title`), which the analysis walk has done for every node a writer
/// reads. Footnotes are not rendered here: `render` returns nil and the caller uses libcmark-gfm.
struct HTMLWriter {
    var out: HTMLBytes
    /// The image whose alt text is being written: inside it only text is written, escaped.
    var plainUntil: OpaquePointer?
    /// Table state as libcmark-gfm keeps it: inside the header row; a `<tbody>` is open.
    var inTableHeader = false
    var tableBodyOpen = false
    var kinds = ExtensionKinds()

    init(capacity: Int) { out = HTMLBytes(capacity: capacity) }

    /// The HTML of `blocks` (consecutive siblings), or nil if one of them holds a footnote.
    static func render(_ blocks: ArraySlice<OpaquePointer>, capacity: Int) -> HTMLBytes? {
        var writer = HTMLWriter(capacity: capacity)
        for block in blocks {
            guard writer.walk(block) else { return nil }
        }
        return writer.out
    }

    /// Enters and leaves every node of `subtree` in document order (without recursion: block
    /// quotes and lists nest as deep as the input does). False at a footnote.
    mutating func walk(_ subtree: OpaquePointer) -> Bool {
        var node = subtree
        var entering = true
        while true {
            let type = cmark_node_get_type(node)
            guard visit(node, type, entering: entering) else { return false }
            if entering, !Self.isLeaf(type) {
                if let child = cmark_node_first_child(node) {
                    node = child
                } else {
                    entering = false
                }
                continue
            }
            if node == subtree { return true }
            if let next = cmark_node_next(node) {
                node = next
                entering = true
            } else {
                // A node below `subtree` always has a parent.
                node = cmark_node_parent(node)!
                entering = false
            }
        }
    }

    /// Nodes libcmark-gfm's iterator enters without leaving (they hold no children).
    @inline(__always)
    static func isLeaf(_ type: cmark_node_type) -> Bool {
        switch type {
        case CMARK_NODE_TEXT, CMARK_NODE_SOFTBREAK, CMARK_NODE_LINEBREAK, CMARK_NODE_CODE, CMARK_NODE_HTML_INLINE,
            CMARK_NODE_CODE_BLOCK, CMARK_NODE_HTML_BLOCK, CMARK_NODE_THEMATIC_BREAK:
            return true
        default:
            return false
        }
    }

    private mutating func visit(_ node: OpaquePointer, _ type: cmark_node_type, entering: Bool) -> Bool {
        if plainUntil == node { plainUntil = nil }
        if plainUntil != nil {
            writePlain(node, type)
            return true
        }
        switch type {
        case CMARK_NODE_TEXT, CMARK_NODE_SOFTBREAK, CMARK_NODE_LINEBREAK, CMARK_NODE_CODE, CMARK_NODE_HTML_INLINE,
            CMARK_NODE_CUSTOM_INLINE, CMARK_NODE_EMPH, CMARK_NODE_STRONG, CMARK_NODE_LINK, CMARK_NODE_IMAGE:
            writeInline(node, type, entering: entering)
        case CMARK_NODE_FOOTNOTE_DEFINITION, CMARK_NODE_FOOTNOTE_REFERENCE:
            return false
        case CMARK_NODE_DOCUMENT:
            break
        default:
            if !writeBlock(node, type, entering: entering), let kind = kinds.kind(of: node, type) {
                writeExtension(node, kind, entering: entering)
            }
        }
        return true
    }

    /// Inside an image: text, code and raw HTML escaped, line breaks as spaces, nothing else.
    private mutating func writePlain(_ node: OpaquePointer, _ type: cmark_node_type) {
        switch type {
        case CMARK_NODE_TEXT, CMARK_NODE_CODE, CMARK_NODE_HTML_INLINE:
            if let text = CmarkTree.literalBytes(node) { out.appendEscaped(text) }
        case CMARK_NODE_SOFTBREAK, CMARK_NODE_LINEBREAK:
            out.append(0x20)
        default:
            break
        }
    }

    /// False for a type that is not core libcmark-gfm's (an extension's).
    private mutating func writeBlock(_ node: OpaquePointer, _ type: cmark_node_type, entering: Bool) -> Bool {
        switch type {
        case CMARK_NODE_PARAGRAPH:
            writeParagraph(node, entering: entering)
        case CMARK_NODE_CUSTOM_BLOCK:
            out.lineStart()
            Self.customHTML(node, entering: entering).map { out.append($0) }
            out.lineStart()
        case CMARK_NODE_LIST:
            writeList(node, entering: entering)
        case CMARK_NODE_ITEM where ExtensionKinds.isTaskItem(node):
            writeExtension(node, .taskItem, entering: entering)
        case CMARK_NODE_ITEM:
            if entering {
                out.lineStart()
                out.append("<li>")
            } else {
                out.append("</li>\n")
            }
        case CMARK_NODE_BLOCK_QUOTE:
            out.lineStart()
            out.append(entering ? "<blockquote>\n" : "</blockquote>\n")
        case CMARK_NODE_HEADING:
            writeHeading(node, entering: entering)
        case CMARK_NODE_CODE_BLOCK:
            writeCodeBlock(node)
        case CMARK_NODE_HTML_BLOCK:
            out.lineStart()
            if let html = CmarkTree.literalBytes(node) { out.appendFilteredHTML(html) }
            out.lineStart()
        case CMARK_NODE_THEMATIC_BREAK:
            out.lineStart()
            out.append("<hr />\n")
        default:
            return false
        }
        return true
    }

    /// A paragraph writes no tags in a tight list (its grandparent is the list).
    private mutating func writeParagraph(_ node: OpaquePointer, entering: Bool) {
        if let grandparent = cmark_node_parent(node).flatMap(cmark_node_parent),
            cmark_node_get_type(grandparent) == CMARK_NODE_LIST, cmark_node_get_list_tight(grandparent) != 0
        {
            return
        }
        if entering {
            out.lineStart()
            out.append("<p>")
        } else {
            out.append("</p>\n")
        }
    }

    private mutating func writeList(_ node: OpaquePointer, entering: Bool) {
        let bullet = cmark_node_get_list_type(node) == CMARK_BULLET_LIST
        guard entering else {
            out.append(bullet ? "</ul>\n" : "</ol>\n")
            return
        }
        out.lineStart()
        let start = cmark_node_get_list_start(node)
        if bullet {
            out.append("<ul>\n")
        } else if start == 1 {
            out.append("<ol>\n")
        } else {
            out.append("<ol start=\"")
            var digits = String(start)
            digits.withUTF8 { out.append($0) }
            out.append("\">\n")
        }
    }

    private mutating func writeHeading(_ node: OpaquePointer, entering: Bool) {
        let level = UInt8(0x30 + cmark_node_get_heading_level(node))
        if entering {
            out.lineStart()
            out.append("<h")
            out.append(level)
            out.append(">")
        } else {
            out.append("</h")
            out.append(level)
            out.append(">\n")
        }
    }

    /// `<pre><code class="language-WORD">`, WORD the info string's first word, escaped.
    private mutating func writeCodeBlock(_ node: OpaquePointer) {
        out.lineStart()
        let info = CmarkTree.bytes(cmark_node_get_fence_info(node))
        if info.isEmpty {
            out.append("<pre><code>")
        } else {
            let wordEnd = info.firstIndex(where: HTMLBytes.isSpace) ?? info.count
            out.append("<pre><code class=\"language-")
            out.appendEscaped(UnsafeBufferPointer(rebasing: info[..<wordEnd]))
            out.append("\">")
        }
        if let code = CmarkTree.literalBytes(node) { out.appendEscaped(code) }
        out.append("</code></pre>\n")
    }

    /// A custom block's or inline's opening or closing HTML.
    static func customHTML(_ node: OpaquePointer, entering: Bool) -> UnsafeBufferPointer<UInt8>? {
        let text = entering ? cmark_node_get_on_enter(node) : cmark_node_get_on_exit(node)
        return text.map { CmarkTree.bytes($0) }
    }
}
