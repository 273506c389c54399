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
            if b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x09, Bytes.lower(b[i + 1]) == 0x69, Bytes.lower(b[i + 2]) == 0x64, b[i + 3] == 0x3D
            {
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
        startTags(named: "img", in: b).filter { !$0.attributes.contains(" alt=") }.map(\.line)
    }

    /// Line offsets of `<svg role="img">` tags with neither `aria-label` nor `aria-labelledby`: an
    /// image without a name. A `<title>` child does not count: GFM's tagfilter escapes `<title>`, so
    /// it reaches the page as text, and the figure is announced as a nameless image.
    static func svgImagesWithoutName(in b: [UInt8]) -> [Int] {
        startTags(named: "svg", in: b).filter { tag in
            let isImage = [" role=\"img\"", " role='img'", " role=img "].contains { tag.attributes.contains($0) }
            let named =
                [" aria-label=\"\"", " aria-label=''"].allSatisfy { !tag.attributes.contains($0) }
                && tag.attributes.contains(" aria-label=")
            return isImage && !named && !tag.attributes.contains(" aria-labelledby=")
        }.map(\.line)
    }

    /// Start tags `<name ...>`: the line offset of each, and its attributes lowercased with every
    /// whitespace run as one space, between a leading and a trailing space (` alt="x" `).
    static func startTags(named name: String, in b: [UInt8]) -> [(line: Int, attributes: String)] {
        let opening = [UInt8(ascii: "<")] + Array(name.utf8)
        var result: [(line: Int, attributes: String)] = []
        var i = 0
        var line = 0
        while i < b.count {
            if b[i] == 0x0A { line += 1 }
            let after = i + opening.count
            guard after < b.count, b[i] == 0x3C, zip(b[i..<after], opening).allSatisfy({ Bytes.lower($0) == $1 }),
                Bytes.isSpace(b[after]) || b[after] == 0x0A || b[after] == 0x2F || b[after] == 0x3E
            else { i += 1; continue }
            var j = after
            while j < b.count, b[j] != 0x3E { j += 1 }
            let text = String(
                decoding: b[after..<j].map { Bytes.isSpace($0) || $0 == 0x0A || $0 == 0x0D ? 0x20 : Bytes.lower($0) }, as: UTF8.self)
            result.append((line, " " + text.split(separator: " ").joined(separator: " ") + " "))
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
            if b[i + 1] == 0x21 { // `<!--` … `-->` or `<!DOCTYPE …>`
                let end =
                    b[i...].starts(with: [0x3C, 0x21, 0x2D, 0x2D])
                    ? closing(b, from: i + 4, [0x2D, 0x2D, 0x3E]) : closing(b, from: i + 2, [0x3E])
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
                if name == [0x68, 0x72, 0x65, 0x66] || name == [0x73, 0x72, 0x63] { // href, src
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
