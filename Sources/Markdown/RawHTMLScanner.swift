/// Small, forgiving scans of the author's raw HTML: `id` attributes (link targets) and `<img>`
/// tags without `alt` (an accessibility warning). Not a parser: it only needs to be right for
/// hand-written tags.
enum RawHTMLScanner {
    static func ids(in html: String) -> [String] {
        var ids: [String] = []
        let b = Array(html.utf8)
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
    static func imagesWithoutAlt(in html: String) -> [Int] {
        var result: [Int] = []
        let b = Array(html.utf8)
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
