/// Finishes libcmark-gfm's footnote HTML in one pass over the bytes: the back-links get the site's
/// label, the footnotes section gets a heading (or, when the lesson ends with a heading of its own
/// such as "References", is labelled by that heading instead of adding a second one), and with an
/// id prefix (the print-all page) every footnote id and link to one gets the prefix.
///
/// The pass only stops at `=` bytes, the one thing every edit has in common (`id=`, `href=`,
/// `aria-label=`, `class=`), so a page costs little more than a copy. It replaced Foundation's
/// `replacingOccurrences`, which converted every page to UTF-16 several times and was about half a
/// warm build of the course.
struct FootnoteDecorator {
    var idPrefix: String
    /// The heading added above the footnotes, and the back-links' accessible label.
    var title: String
    var backLabel: String

    func decorate(_ html: String) -> String {
        var html = html
        return html.withUTF8 { input in
            let bytes = UnsafeBufferPointer(start: input.baseAddress, count: input.count)
            var output: [UInt8] = []
            output.reserveCapacity(bytes.count + 256)
            var copied = 0
            let prefix = Array(HTMLEscaping.escape(idPrefix).utf8)
            var index = 0
            while index < bytes.count {
                guard bytes[index] == UInt8(ascii: "=") else {
                    index += 1
                    continue
                }
                let after = index + 1
                if !prefix.isEmpty, Self.before(bytes, index, is: Self.id),
                    Self.at(bytes, after, is: Self.footnoteID) || Self.at(bytes, after, is: Self.referenceID)
                {
                    output.append(contentsOf: bytes[copied..<after + 1])
                    output.append(contentsOf: prefix)
                    copied = after + 1
                } else if !prefix.isEmpty, Self.before(bytes, index, is: Self.href),
                    Self.at(bytes, after, is: Self.footnoteLink) || Self.at(bytes, after, is: Self.referenceLink)
                {
                    output.append(contentsOf: bytes[copied..<after + 2])
                    output.append(contentsOf: prefix)
                    copied = after + 2
                } else if Self.before(bytes, index, is: Self.ariaLabel), Self.at(bytes, after, is: Self.cmarkBackLabel) {
                    output.append(contentsOf: bytes[copied..<after])
                    output.append(contentsOf: Array("\"\(HTMLEscaping.escape(backLabel))\"".utf8))
                    copied = after + Self.cmarkBackLabel.count
                } else if Self.before(bytes, index, is: Self.sectionStart), Self.at(bytes, after, is: Self.sectionRest) {
                    let start = index - Self.sectionStart.count, end = after + Self.sectionRest.count
                    output.append(contentsOf: bytes[copied..<start])
                    output.append(contentsOf: sectionOpening(headingID: Self.closingHeadingID(bytes, before: start)))
                    copied = end
                    index = end
                    continue
                }
                index = after
            }
            if copied == 0 { return String(decoding: bytes, as: UTF8.self) }
            output.append(contentsOf: bytes[copied...])
            return String(decoding: output, as: UTF8.self)
        }
    }

    // What cmark-gfm writes, split at the `=`.
    private static let id = Array(" id".utf8), href = Array(" href".utf8), ariaLabel = Array(" aria-label".utf8)
    private static let footnoteID = Array("\"fn-".utf8), referenceID = Array("\"fnref-".utf8)
    private static let footnoteLink = Array("\"#fn-".utf8), referenceLink = Array("\"#fnref-".utf8)
    private static let cmarkBackLabel = Array("\"Back to content\"".utf8)
    private static let sectionStart = Array("<section class".utf8), sectionRest = Array("\"footnotes\" data-footnotes>\n<ol>".utf8)

    private func sectionOpening(headingID: String?) -> [UInt8] {
        if let headingID {
            return Array("<section class=\"footnotes footnotes-headed\" data-footnotes aria-labelledby=\"\(headingID)\">\n<ol>".utf8)
        }
        let titleID = HTMLEscaping.escape(idPrefix) + "hc-footnotes"
        return Array(
            ("<section class=\"footnotes\" data-footnotes aria-labelledby=\"\(titleID)\">\n"
                + "<h2 class=\"footnotes-title\" id=\"\(titleID)\">\(HTMLEscaping.escape(title))</h2>\n<ol>").utf8)
    }

    /// The id of a heading that ends right before `end` (only whitespace between), or nil: the
    /// lesson's last heading has nothing under it but the footnotes, so they are its content.
    static func closingHeadingID(_ bytes: UnsafeBufferPointer<UInt8>, before end: Int) -> String? {
        var close = end
        while close > 0, bytes[close - 1] == 0x0A || bytes[close - 1] == 0x20 { close -= 1 }
        // `</hN>`
        guard close >= 5, bytes[close - 1] == UInt8(ascii: ">"), bytes[close - 5] == UInt8(ascii: "<"),
            bytes[close - 4] == UInt8(ascii: "/"), bytes[close - 3] == UInt8(ascii: "h"),
            (UInt8(ascii: "1")...UInt8(ascii: "6")).contains(bytes[close - 2])
        else { return nil }
        // Back to its `<hN id="`, which starts a line (headings are blocks).
        let opening = Array("<h".utf8) + [bytes[close - 2]] + Array(" id=\"".utf8)
        var start = close - 5
        while start > 0 {
            start -= 1
            guard bytes[start] == UInt8(ascii: "<"), start == 0 || bytes[start - 1] == 0x0A,
                at(bytes, start, is: opening)
            else { continue }
            let idStart = start + opening.count
            guard let quote = bytes[idStart..<close].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
            return String(decoding: bytes[idStart..<quote], as: UTF8.self)
        }
        return nil
    }

    private static func before(_ bytes: UnsafeBufferPointer<UInt8>, _ index: Int, is pattern: [UInt8]) -> Bool {
        index >= pattern.count && at(bytes, index - pattern.count, is: pattern)
    }

    private static func at(_ bytes: UnsafeBufferPointer<UInt8>, _ index: Int, is pattern: [UInt8]) -> Bool {
        guard index >= 0, index + pattern.count <= bytes.count else { return false }
        for (offset, byte) in pattern.enumerated() where bytes[index + offset] != byte { return false }
        return true
    }
}
