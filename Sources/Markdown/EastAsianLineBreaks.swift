import CCmarkGFM
import Foundation

/// A line break inside a paragraph of Chinese or Japanese is not a space. CommonMark renders a soft
/// break as a newline, and browsers show that newline as a space, which splits a Chinese sentence
/// wherever its source was wrapped. Like Pandoc's `east_asian_line_breaks` and goldmark's
/// EastAsianLineBreaks, a soft break with an East Asian wide character on both sides is dropped;
/// every other break (Latin text, Latin beside Han) stays, so English output is unchanged.
enum EastAsianLineBreaks {
    /// Whether `softBreak` sits between two wide characters, looking into inline containers
    /// (emphasis, links) on either side.
    static func joinsWideCharacters(_ softBreak: OpaquePointer) -> Bool {
        guard let before = cmark_node_previous(softBreak), let last = lastScalar(of: before), isWide(last),
            let after = cmark_node_next(softBreak), let first = firstScalar(of: after), isWide(first)
        else { return false }
        return true
    }

    static func isWide(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
            0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
            0xFFE0...0xFFE6, 0x20000...0x2FFFD, 0x30000...0x3FFFD:
            return true
        default:
            return false
        }
    }

    private static func lastScalar(of node: OpaquePointer) -> Unicode.Scalar? {
        if let bytes = literal(of: node) {
            // ASCII last byte: the common (English) case, decided without decoding.
            guard let lastByte = bytes.last, lastByte >= 0x80 else { return nil }
            return String(decoding: bytes, as: UTF8.self).unicodeScalars.last
        }
        guard let child = cmark_node_last_child(node) else { return nil }
        return lastScalar(of: child)
    }

    private static func firstScalar(of node: OpaquePointer) -> Unicode.Scalar? {
        if let bytes = literal(of: node) {
            guard let firstByte = bytes.first, firstByte >= 0x80 else { return nil }
            return String(decoding: bytes.prefix(4), as: UTF8.self).unicodeScalars.first
        }
        guard let child = cmark_node_first_child(node) else { return nil }
        return firstScalar(of: child)
    }

    /// The text of a text or code-span node; nil for containers.
    private static func literal(of node: OpaquePointer) -> UnsafeBufferPointer<UInt8>? {
        let type = cmark_node_get_type(node)
        guard type == CMARK_NODE_TEXT || type == CMARK_NODE_CODE else { return nil }
        return CmarkTree.literalBytes(node)
    }
}
