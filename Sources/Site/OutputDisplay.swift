/// How much of a guest's output an exercise card shows. The record keeps all of it; a page showing
/// 64 KiB of a runaway loop's output helps nobody, so the card shows a head and says what it left out.
struct OutputDisplay: Equatable {
    /// The part shown: whole lines only (it ends just after a newline), unless the first line alone
    /// is longer than the byte limit, when it ends at the last whole character that fits.
    var shown: String
    /// What was left out: lines (a last line without a newline counts), and UTF-8 bytes of the text.
    var linesCut: Int
    var bytesCut: Int

    var isCut: Bool { bytesCut > 0 }

    static let maxBytes = 16 * 1024
    static let maxLines = 400

    /// `text` cut to at most `maxLines` lines and `maxBytes` UTF-8 bytes, at a line boundary.
    static func cut(_ text: String, maxBytes: Int = maxBytes, maxLines: Int = maxLines) -> OutputDisplay {
        let utf8 = text.utf8
        guard utf8.count > maxBytes || utf8.lazy.filter({ $0 == 0x0A }).count >= maxLines else {
            return OutputDisplay(shown: text, linesCut: 0, bytesCut: 0)
        }
        // The end of the last whole line within both limits. A newline is ASCII, so cutting just
        // after one never splits a UTF-8 sequence.
        var end = 0, lines = 0, offset = 0
        for byte in utf8 {
            offset += 1
            if offset > maxBytes { break }
            if byte == 0x0A {
                end = offset
                lines += 1
                if lines == maxLines { break }
            }
        }
        if end == 0 {
            // One line longer than the limit: the whole characters that fit.
            var bytes = 0
            var index = text.startIndex
            while index < text.endIndex {
                let next = text.index(after: index)
                let size = text.utf8.distance(from: index, to: next)
                if bytes + size > maxBytes { break }
                bytes += size
                index = next
            }
            end = bytes
        }
        let cutAt = utf8.index(utf8.startIndex, offsetBy: end)
        let shown = String(text[..<cutAt])
        let rest = text[cutAt...]
        let restLines = rest.utf8.lazy.filter { $0 == 0x0A }.count + (rest.utf8.last == 0x0A || rest.isEmpty ? 0 : 1)
        return OutputDisplay(shown: shown, linesCut: restLines, bytesCut: utf8.count - end)
    }

    /// Control characters made visible as their Unicode control pictures (ESC → ␛, NUL → ␀,
    /// DEL → ␡): raw, they are invalid in HTML and invisible on the page. Newlines and tabs stay;
    /// a CR before a newline (serial-port line ends) is dropped, as a terminal would show it.
    static func visible(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\n" && $0 != "\t") || $0.value == 0x7F }) else {
            return text
        }
        var out = String.UnicodeScalarView()
        let scalars = Array(text.unicodeScalars)
        for (index, scalar) in scalars.enumerated() {
            switch scalar.value {
            case 0x0A, 0x09:
                out.append(scalar)
            case 0x0D where index + 1 < scalars.count && scalars[index + 1] == "\n":
                continue
            case 0x00..<0x20:
                out.append(Unicode.Scalar(0x2400 + scalar.value)!)
            case 0x7F:
                out.append(Unicode.Scalar(0x2421)!)
            default:
                out.append(scalar)
            }
        }
        return String(out)
    }
}
