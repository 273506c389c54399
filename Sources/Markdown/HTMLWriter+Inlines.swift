import CCmarkGFM
import Foundation

/// Inline nodes and the GFM extensions' nodes (tables, strikethrough, task list items).
extension HTMLWriter {
    mutating func writeInline(_ node: OpaquePointer, _ type: cmark_node_type, entering: Bool) {
        switch type {
        case CMARK_NODE_TEXT:
            if let text = CmarkTree.literalBytes(node) { out.appendEscaped(text) }
        case CMARK_NODE_SOFTBREAK:
            out.append(0x0A)
        case CMARK_NODE_LINEBREAK:
            out.append("<br />\n")
        case CMARK_NODE_CODE:
            out.append("<code>")
            if let text = CmarkTree.literalBytes(node) { out.appendEscaped(text) }
            out.append("</code>")
        case CMARK_NODE_HTML_INLINE:
            writeRawInline(node)
        case CMARK_NODE_CUSTOM_INLINE:
            Self.customHTML(node, entering: entering).map { out.append($0) }
        case CMARK_NODE_EMPH:
            out.append(entering ? "<em>" : "</em>")
        case CMARK_NODE_STRONG:
            out.append(entering ? "<strong>" : "</strong>")
        case CMARK_NODE_LINK:
            writeLink(node, entering: entering)
        default:
            writeImage(node, entering: entering)
        }
    }

    /// Raw inline HTML as written, but a tag the tag filter names starts with `&lt;`.
    private mutating func writeRawInline(_ node: OpaquePointer) {
        guard let html = CmarkTree.literalBytes(node) else { return }
        if HTMLBytes.isFilteredTag(html) {
            out.append("&lt;")
            out.append(UnsafeBufferPointer(rebasing: html[1...]))
        } else {
            out.append(html)
        }
    }

    private mutating func writeLink(_ node: OpaquePointer, entering: Bool) {
        guard entering else {
            out.append("</a>")
            return
        }
        out.append("<a href=\"")
        out.appendEscapedURL(CmarkTree.bytes(cmark_node_get_url(node)))
        writeTitle(node)
        out.append("\">")
    }

    /// `<img src="URL" alt="`, the alt text (written as plain text until the image is left), then
    /// the title and `" />`.
    private mutating func writeImage(_ node: OpaquePointer, entering: Bool) {
        if entering {
            out.append("<img src=\"")
            out.appendEscapedURL(CmarkTree.bytes(cmark_node_get_url(node)))
            out.append("\" alt=\"")
            plainUntil = node
        } else {
            writeTitle(node)
            out.append("\" />")
        }
    }

    private mutating func writeTitle(_ node: OpaquePointer) {
        let title = CmarkTree.bytes(cmark_node_get_title(node))
        guard !title.isEmpty else { return }
        out.append("\" title=\"")
        out.appendEscaped(title)
    }

    mutating func writeExtension(_ node: OpaquePointer, _ kind: ExtensionKinds.Kind, entering: Bool) {
        switch kind {
        case .strikethrough:
            out.append(entering ? "<del>" : "</del>")
        case .taskItem:
            guard entering else {
                out.append("</li>\n")
                return
            }
            out.lineStart()
            out.append("<li>")
            out.append(
                cmark_gfm_extensions_get_tasklist_item_checked(node)
                    ? "<input type=\"checkbox\" checked=\"\" disabled=\"\" /> " : "<input type=\"checkbox\" disabled=\"\" /> ")
        case .table:
            writeTable(entering: entering)
        case .tableRow:
            writeTableRow(node, entering: entering)
        case .tableCell:
            writeTableCell(node, entering: entering)
        }
    }

    private mutating func writeTable(entering: Bool) {
        if entering {
            out.lineStart()
            out.append("<table>")
        } else {
            if tableBodyOpen {
                out.lineStart()
                out.append("</tbody>")
                out.lineStart()
            }
            out.lineStart()
            out.append("</table>")
            out.lineStart()
        }
        tableBodyOpen = false
    }

    private mutating func writeTableRow(_ node: OpaquePointer, entering: Bool) {
        let header = cmark_gfm_extensions_get_table_row_is_header(node) != 0
        if entering {
            out.lineStart()
            if header {
                inTableHeader = true
                out.append("<thead>")
                out.lineStart()
            } else if !tableBodyOpen {
                out.append("<tbody>")
                out.lineStart()
                tableBodyOpen = true
            }
            out.append("<tr>")
        } else {
            out.lineStart()
            out.append("</tr>")
            if header {
                out.lineStart()
                out.append("</thead>")
                inTableHeader = false
            }
        }
    }

    /// `<th>` in the header row, else `<td>`, with the column's `align`.
    private mutating func writeTableCell(_ node: OpaquePointer, entering: Bool) {
        guard entering else {
            out.append(inTableHeader ? "</th>" : "</td>")
            return
        }
        out.lineStart()
        out.append(inTableHeader ? "<th" : "<td")
        var column = 0
        var sibling = cmark_node_previous(node)
        while let previous = sibling {
            column += 1
            sibling = cmark_node_previous(previous)
        }
        if let table = cmark_node_parent(node).flatMap(cmark_node_parent),
            column < Int(cmark_gfm_extensions_get_table_columns(table)),
            let alignments = cmark_gfm_extensions_get_table_alignments(table)
        {
            switch alignments[column] {
            case UInt8(ascii: "l"): out.append(" align=\"left\"")
            case UInt8(ascii: "c"): out.append(" align=\"center\"")
            case UInt8(ascii: "r"): out.append(" align=\"right\"")
            default: break
            }
        }
        out.append(">")
    }
}

/// The node types the GFM extensions add: libcmark-gfm numbers them when the extensions register,
/// so they are told apart by name, once per type per writer.
struct ExtensionKinds {
    enum Kind { case table, tableRow, tableCell, strikethrough, taskItem }

    private var known: [(type: cmark_node_type, kind: Kind?)] = []

    /// A task list item is a core list item that the task list extension claims (and names).
    static func isTaskItem(_ item: OpaquePointer) -> Bool {
        guard let name = cmark_node_get_type_string(item) else { return false }
        return strcmp(name, "tasklist") == 0
    }

    /// The extension kind of a node of a type core libcmark-gfm does not have.
    mutating func kind(of node: OpaquePointer, _ type: cmark_node_type) -> Kind? {
        if let entry = known.first(where: { $0.type == type }) { return entry.kind }
        let kind: Kind? =
            switch Self.name(node) {
            case "table": .table
            case "table_row", "table_header": .tableRow
            case "table_cell": .tableCell
            case "strikethrough": .strikethrough
            default: nil
            }
        known.append((type, kind))
        return kind
    }

    private static func name(_ node: OpaquePointer) -> String {
        cmark_node_get_type_string(node).map { String(cString: $0) } ?? ""
    }
}
