/// Small, forgiving scans of the author's raw HTML: `id` attributes (link targets) and `<img>`
/// tags without `alt` (an accessibility warning). Not a parser: it only needs to be right for
/// hand-written tags.
enum RawHTMLScanner {
    static func ids(in html: String) -> [String] { ids(in: Array(html.utf8)) }

    static func ids(in b: [UInt8]) -> [String] {
        var ids: [String] = []
        var i = 0
        while i + 4 < b.count {
            // ` id=` preceded by whitespace, so `data-id=` and `grid=` do not count.
            if (b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x09), Bytes.lower(b[i + 1]) == 0x69, Bytes.lower(b[i + 2]) == 0x64, b[i + 3] == 0x3D {
                var j = i + 4
                let quote = b[j]
                if quote == 0x22 || quote == 0x27 {
                    j += 1
                    let start = j
                    while j < b.count, b[j] != quote { j += 1 }
                    ids.append(String(decoding: b[start..<j], as: UTF8.self))
                } else {
                    let start = j
                    while j < b.count, b[j] != 0x20, b[j] != 0x3E, b[j] != 0x0A { j += 1 }
                    ids.append(String(decoding: b[start..<j], as: UTF8.self))
                }
                i = j
                continue
            }
            i += 1
        }
        return ids
    }

    /// Line offsets (0-based, within `html`) of `<img` tags that have no `alt` attribute.
    static func imagesWithoutAlt(in b: [UInt8]) -> [Int] {
        var result: [Int] = []
        var i = 0
        var line = 0
        while i < b.count {
            if b[i] == 0x0A { line += 1 }
            if b[i] == 0x3C, i + 4 < b.count, Bytes.lower(b[i + 1]) == 0x69, Bytes.lower(b[i + 2]) == 0x6D, Bytes.lower(b[i + 3]) == 0x67,
                Bytes.isSpace(b[i + 4]) || b[i + 4] == 0x0A || b[i + 4] == 0x2F || b[i + 4] == 0x3E
            {
                var j = i + 4
                while j < b.count, b[j] != 0x3E { j += 1 }
                let tag = String(decoding: b[i..<j], as: UTF8.self).lowercased()
                if !tag.contains(" alt=") && !tag.contains("\nalt=") && !tag.contains("\talt=") { result.append(line) }
            }
            i += 1
        }
        return result
    }
}

/// A link the author wrote as an `href` or `src` attribute in raw HTML.
struct RawHTMLURL: Equatable {
    /// Byte range of the attribute's value in the HTML, without its quotes.
    var range: Range<Int>
    /// The value with character references decoded: what the browser would follow.
    var value: String
    /// Line of the attribute within the HTML, from 0.
    var lineOffset: Int
}

extension RawHTMLScanner {
    /// `href` and `src` attributes inside tags, skipping comments and text between tags, so a
    /// raw-HTML link is checked and rewritten like a Markdown one.
    static func urls(in html: [UInt8]) -> [RawHTMLURL] {
        var result: [RawHTMLURL] = []
        let b = html
        var i = 0
        var line = 0
        while i < b.count {
            if b[i] == 0x0A { line += 1 }
            guard b[i] == 0x3C, i + 1 < b.count else { i += 1; continue }
            if b[i + 1] == 0x21 {  // `<!--` … `-->` or `<!DOCTYPE …>`
                let end = b[i...].starts(with: [0x3C, 0x21, 0x2D, 0x2D]) ? closing(b, from: i + 4, [0x2D, 0x2D, 0x3E]) : closing(b, from: i + 2, [0x3E])
                line += b[i..<end].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
                i = end
                continue
            }
            guard Bytes.lower(b[i + 1]) >= 0x61, Bytes.lower(b[i + 1]) <= 0x7A else { i += 1; continue }
            // Inside a start tag: read attributes up to the unquoted `>`.
            var j = i + 1
            while j < b.count, !Bytes.isSpace(b[j]), b[j] != 0x0A, b[j] != 0x3E, b[j] != 0x2F { j += 1 }
            while j < b.count, b[j] != 0x3E {
                if b[j] == 0x0A { line += 1 }
                guard Bytes.isSpace(b[j]) || b[j] == 0x0A || b[j] == 0x2F else { j += 1; continue }
                j += 1
                let nameStart = j
                while j < b.count, !Bytes.isSpace(b[j]), b[j] != 0x0A, b[j] != 0x3D, b[j] != 0x3E, b[j] != 0x2F { j += 1 }
                let name = b[nameStart..<j].map(Bytes.lower)
                guard j < b.count, b[j] == 0x3D, j + 1 < b.count else { continue }
                j += 1
                let valueStart: Int
                let valueEnd: Int
                if b[j] == 0x22 || b[j] == 0x27 {
                    let quote = b[j]
                    valueStart = j + 1
                    j = valueStart
                    while j < b.count, b[j] != quote { j += 1 }
                    valueEnd = j
                    if j < b.count { j += 1 }
                } else {
                    valueStart = j
                    while j < b.count, !Bytes.isSpace(b[j]), b[j] != 0x0A, b[j] != 0x3E { j += 1 }
                    valueEnd = j
                }
                if name == [0x68, 0x72, 0x65, 0x66] || name == [0x73, 0x72, 0x63] {  // href, src
                    let value = decodeReferences(String(decoding: b[valueStart..<valueEnd], as: UTF8.self))
                    result.append(RawHTMLURL(range: valueStart..<valueEnd, value: value, lineOffset: line))
                }
                line += b[valueStart..<valueEnd].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            }
            i = j
        }
        return result
    }

    /// Index just past `terminator` at or after `from`, or the end.
    private static func closing(_ b: [UInt8], from: Int, _ terminator: [UInt8]) -> Int {
        var k = from
        while k + terminator.count <= b.count {
            if b[k..<(k + terminator.count)].elementsEqual(terminator) { return k + terminator.count }
            k += 1
        }
        return b.count
    }

    /// The character references a hand-written URL may hold.
    static func decodeReferences(_ text: String) -> String {
        guard text.contains("&") else { return text }
        return text.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&#x27;", with: "'").replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
    }
}
