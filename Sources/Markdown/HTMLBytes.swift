/// The output of `HTMLWriter`: one growing byte buffer and the escapes libcmark-gfm's HTML
/// renderer applies, so that our rendering of a tree is byte for byte libcmark-gfm's.
final class HTMLBytes {
    // The buffer is ours alone: allocated here, grown by copying, freed in deinit; `count` bytes
    // of it are initialized. Raw memory rather than [UInt8], whose append of a buffer goes
    // through a generic per-element copy (measured: a third of this renderer's instructions).
    private var start: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int) {
        self.capacity = max(capacity, 64)
        start = .allocate(capacity: self.capacity)
    }

    deinit { start.deallocate() }

    /// What has been written; valid until the next append or the end of this object.
    var written: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: start, count: count) }

    @inline(__always)
    private func reserve(_ extra: Int) {
        if count + extra > capacity { grow(to: count + extra) }
    }

    private func grow(to needed: Int) {
        capacity = max(needed, capacity * 2)
        let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        larger.update(from: start, count: count)
        start.deallocate()
        start = larger
    }

    @inline(__always)
    func append(_ text: StaticString) {
        // Safe: a StaticString literal is UTF-8 in the binary's constant data for the program's life.
        append(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    @inline(__always)
    func append(_ byte: UInt8) {
        reserve(1)
        start[count] = byte
        count += 1
    }

    @inline(__always)
    func append(_ raw: UnsafeBufferPointer<UInt8>) {
        guard let base = raw.baseAddress, raw.count > 0 else { return }
        reserve(raw.count)
        (start + count).update(from: base, count: raw.count)
        count += raw.count
    }

    /// A newline unless the output is empty or already ends a line (libcmark-gfm's
    /// `cmark_html_render_cr`, before and after most blocks).
    @inline(__always)
    func lineStart() {
        if count > 0, start[count - 1] != 0x0A { append(0x0A) }
    }

    /// Text and attribute values: `&`, `<`, `>` and `"` become entities; `'` and `/` stay, as in
    /// libcmark-gfm's non-secure mode.
    func appendEscaped(_ text: UnsafeBufferPointer<UInt8>) {
        var start = 0
        for i in 0..<text.count {
            let entity: StaticString
            switch text[i] {
            case 0x26: entity = "&amp;"
            case 0x3C: entity = "&lt;"
            case 0x3E: entity = "&gt;"
            case 0x22: entity = "&quot;"
            default: continue
            }
            if i > start { append(UnsafeBufferPointer(rebasing: text[start..<i])) }
            append(entity)
            start = i + 1
        }
        if text.count > start { append(UnsafeBufferPointer(rebasing: text[start..<text.count])) }
    }

    /// A link destination: URL-safe and reserved characters stay, `&` and `'` become entities,
    /// every other byte (space, quotes, brackets, non-ASCII) becomes `%XX` in upper-case hex.
    func appendEscapedURL(_ url: UnsafeBufferPointer<UInt8>) {
        let safe = Self.urlSafe
        for byte in url {
            if safe[Int(byte)] {
                append(byte)
            } else if byte == 0x26 {
                append("&amp;")
            } else if byte == 0x27 {
                append("&#x27;")
            } else {
                append(0x25)
                append(Self.hexDigits[Int(byte >> 4)])
                append(Self.hexDigits[Int(byte & 0xF)])
            }
        }
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    /// Alphanumerics and `-_.+!*(),%#@?=;:/$~` pass through a destination unchanged.
    private static let urlSafe: [Bool] = (0..<256).map { value in
        let byte = UInt8(value)
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        default: return Array("-_.+!*(),%#@?=;:/$~".utf8).contains(byte)
        }
    }

    /// Raw HTML under GFM's tag filter: the `<` of a `title`, `textarea`, `style`, `xmp`, `iframe`,
    /// `noembed`, `noframes`, `script` or `plaintext` tag (opening or closing) becomes `&lt;`.
    func appendFilteredHTML(_ html: UnsafeBufferPointer<UInt8>) {
        var start = 0
        for i in 0..<html.count where html[i] == 0x3C && Self.isFilteredTag(UnsafeBufferPointer(rebasing: html[i...])) {
            if i > start { append(UnsafeBufferPointer(rebasing: html[start..<i])) }
            append("&lt;")
            start = i + 1
        }
        if html.count > start { append(UnsafeBufferPointer(rebasing: html[start..<html.count])) }
    }

    private static let filteredTags = ["title", "textarea", "style", "xmp", "iframe", "noembed", "noframes", "script", "plaintext"]
        .map { Array($0.utf8) }

    /// `text` starts with `<` or `</`, a filtered tag name in any case, then white space, `>` or `/>`.
    static func isFilteredTag(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard text.count >= 3, text[0] == 0x3C else { return false }
        let nameStart = text[1] == 0x2F ? 2 : 1
        return filteredTags.contains { name in
            let end = nameStart + name.count
            guard end < text.count else { return false }
            for k in 0..<name.count where asciiLowercased(text[nameStart + k]) != name[k] { return false }
            let next = text[end]
            if next == 0x3E || Self.isSpace(next) { return true }
            return next == 0x2F && end + 1 < text.count && text[end + 1] == 0x3E
        }
    }

    /// libcmark-gfm's white space: space, tab, line feed, form feed, carriage return (not \v).
    @inline(__always)
    static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0C || byte == 0x0D }

    @inline(__always)
    private static func asciiLowercased(_ byte: UInt8) -> UInt8 { (0x41...0x5A).contains(byte) ? byte | 0x20 : byte }
}
