import Foundation

/// `search-index.js`: one entry per section of every page, loaded by a `<script>` tag so search
/// works from `file://` (where fetch() of a JSON file is blocked).
struct SearchIndex {
    struct Entry {
        var page: String // page title
        var chapter: String
        var heading: String
        var url: String // site-root path with #fragment
        var text: String
    }

    var entries: [Entry] = []

    /// `window.HC_SEARCH_INDEX = {...};` with keys kept short: the file can be several MB.
    func javascript() -> String {
        var out = "window.HC_SEARCH_INDEX = {\"version\":1,\"docs\":[\n"
        out.reserveCapacity(entries.reduce(0) { $0 + $1.text.utf8.count + 200 })
        for (i, e) in entries.enumerated() {
            if i > 0 { out += ",\n" }
            out +=
                "{\"p\":\(Self.json(e.page)),\"c\":\(Self.json(e.chapter)),\"h\":\(Self.json(e.heading)),\"u\":\(Self.json(e.url)),\"x\":\(Self.json(e.text))}"
        }
        out += "\n]};\n"
        return out
    }

    /// A JSON string literal that is also safe inside HTML and as JavaScript source.
    static func json(_ s: String) -> String {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        let bytes = Array(s.utf8)
        var out: [UInt8] = [0x22]
        out.reserveCapacity(bytes.count + 8)
        var i = 0
        func unicodeEscape(_ v: UInt32) {
            out += [0x5C, 0x75, hex[Int(v >> 12) & 15], hex[Int(v >> 8) & 15], hex[Int(v >> 4) & 15], hex[Int(v) & 15]]
        }
        while i < bytes.count {
            let b = bytes[i]
            switch b {
            case 0x22: out += [0x5C, 0x22]
            case 0x5C: out += [0x5C, 0x5C]
            case 0x0A: out += [0x5C, 0x6E]
            case 0x0D: out += [0x5C, 0x72]
            case 0x09: out += [0x5C, 0x74]
            case 0x3C, 0x3E, 0x26: unicodeEscape(UInt32(b))
            case 0xE2 where i + 2 < bytes.count && bytes[i + 1] == 0x80 && (bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9):
                // U+2028/U+2029 end a line in older JavaScript parsers.
                unicodeEscape(bytes[i + 2] == 0xA8 ? 0x2028 : 0x2029)
                i += 2
            default:
                if b < 0x20 { unicodeEscape(UInt32(b)) } else { out.append(b) }
            }
            i += 1
        }
        out.append(0x22)
        return String(decoding: out, as: UTF8.self)
    }
}
