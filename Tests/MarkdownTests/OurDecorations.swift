import Foundation

/// Takes out of our HTML exactly what the Markdown module adds to libcmark-gfm's rendering, and
/// nothing else, so the rest can be compared byte for byte with libcmark-gfm's own output:
///
/// 1. Heading ids and anchors: `<hN id="…">text <a class="heading-anchor" …>#</a></hN>` is
///    cmark's `<hN>text</hN>`.
/// 2. Code-block wrappers and highlighting: `<div class="code-block"><pre data-lang="W"
///    tabindex="0"><code class="language-HIGHLIGHTER">` … is cmark's `<pre><code
///    class="language-W">` (no `data-lang`, no class: an info string without a word), and the
///    highlighter's `<span class="k">`-like tokens go.
/// 3. The `nowrap` class of short code spans: `<code class="nowrap">` is `<code>`.
/// 4. Inside 2 and 3, our escaper also writes `'` as `&#39;` (it serves attributes too); cmark
///    leaves `'` as is in text. They are the same character.
/// 5. Alert (admonition) markup: `<div class="admonition admonition-K" role="note"><p
///    class="admonition-title">…</p>` … `</div>` is a `<blockquote>`; see `alertMarker` for the
///    one thing that cannot be undone.
/// 6. The footnotes section's heading and label: `<section class="footnotes[ footnotes-headed]"
///    data-footnotes aria-labelledby="…">` (and our `<h2 class="footnotes-title">`) is cmark's
///    `<section class="footnotes" data-footnotes>`; back-links keep cmark's label by default.
/// 7. A prediction's answer: `<details class="predict-answer"><summary>…</summary><div
///    class="predict-answer-body">` … `</div></details>` is the nested `<blockquote>` it was.
enum OurDecorations {
    static func remove(_ html: String) -> String {
        var html = html
        html = replace(
            ##"<h([1-6]) id="[^"]*">(.*?) <a class="heading-anchor" href="#[^"]*" aria-label="[^"]*">#</a></h\1>"##, in: html,
            with: "<h$1>$2</h$1>")
        html = replacingCodeBlocks(html)
        html = replacing(#"<code class="nowrap">([^<]*)</code>"#, in: html) { groups in "<code>" + unescapeQuote(groups[1]) + "</code>" }
        html = replace(
            #"<details class="predict-answer"><summary>[^<]*</summary><div class="predict-answer-body">(.*?)</div></details>"#,
            in: html, with: "<blockquote>$1</blockquote>")
        html = replacingAlerts(html)
        html = replace(
            #"<section class="footnotes(?: footnotes-headed)?" data-footnotes aria-labelledby="[^"]*">\n(?:<h2 class="footnotes-title" id="[^"]*">[^<]*</h2>\n)?"#,
            in: html, with: "<section class=\"footnotes\" data-footnotes>\n")
        return html
    }

    /// An alert's marker (`[!NOTE]`, and the line break after it) is removed from the text, so
    /// nothing in our HTML says how it was written. The comparison removes it from libcmark-gfm's
    /// block quote too: the one deliberate difference applied to the reference side, and only to
    /// a block quote our pipeline turned into an admonition (its first paragraph starts with the
    /// marker alone on its line).
    static func alertMarker(in reference: String) -> String {
        var html = replace(
            #"<blockquote>\n<p>\[!(?i:NOTE|TIP|IMPORTANT|WARNING|CAUTION|PREDICT)\]</p>\n"#, in: reference, with: "<blockquote>\n")
        html = replace(
            #"<blockquote>\n<p>\[!(?i:NOTE|TIP|IMPORTANT|WARNING|CAUTION|PREDICT)\](?:<br />)?\n"#, in: html, with: "<blockquote>\n<p>")
        return html
    }

    private static func replacingCodeBlocks(_ html: String) -> String {
        let pattern =
            #"<div class="code-block"><pre(?: data-lang="([^"]*)")? tabindex="0"><code(?: class="language-[^"]*")?>(.*?)</code></pre></div>"#
        return replacing(pattern, in: html) { groups in
            let body = replace(#"</?span[^>]*>"#, in: groups[2], with: "")
            let word = groups[1].isEmpty ? "" : " class=\"language-\(unescapeQuote(groups[1]))\""
            return "<pre><code\(word)>\(unescapeQuote(body))</code></pre>"
        }
    }

    /// The admonition's opening becomes `<blockquote>\n`, its own closing `</div>` (found by
    /// counting the `div`s between) `</blockquote>`.
    private static func replacingAlerts(_ html: String) -> String {
        let opening = try! NSRegularExpression(
            pattern: #"<div class="admonition admonition-[a-z]+" role="note"><p class="admonition-title">.*?</p>\n"#,
            options: [.dotMatchesLineSeparators])
        var text = html
        while let match = opening.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
            let range = Range(match.range, in: text)
        {
            var depth = 1
            var cursor = range.upperBound
            var closing: Range<String.Index>?
            while depth > 0, let tag = text.range(of: #"</?div\b"#, options: .regularExpression, range: cursor..<text.endIndex) {
                depth += text[tag].hasPrefix("</") ? -1 : 1
                if depth == 0 { closing = text.range(of: "</div>", range: tag.lowerBound..<text.endIndex) }
                cursor = tag.upperBound
            }
            guard let closing else { break }
            text.replaceSubrange(closing, with: "</blockquote>")
            text.replaceSubrange(range, with: "<blockquote>\n")
        }
        return text
    }

    /// A soft break between two East Asian wide characters renders as nothing in our HTML (as with
    /// Pandoc's east_asian_line_breaks), where libcmark-gfm writes a newline: the comparison joins
    /// those lines on the reference side, looking through inline tags (not raw HTML such as an SVG's text elements) on either side as our
    /// renderer looks into emphasis, links and code spans.
    static func eastAsianBreaksJoined(in reference: String) -> String {
        let wide =
            #"[\x{1100}-\x{115F}\x{2E80}-\x{303E}\x{3041}-\x{33FF}\x{3400}-\x{4DBF}\x{4E00}-\x{9FFF}\x{A000}-\x{A4CF}"#
            + #"\x{AC00}-\x{D7A3}\x{F900}-\x{FAFF}\x{FE30}-\x{FE4F}\x{FF00}-\x{FF60}\x{FFE0}-\x{FFE6}\x{20000}-\x{3FFFD}]"#
        let closing = "(?:</(?:strong|em|a|code|del)>)*", opening = "(?:<(?:strong|em|a|code|del)(?:\\s[^>]*)?>)*"
        return replace("(\(wide))(\(closing))\n(\(opening))(?=\(wide))", in: reference, with: "$1$2$3")
    }

    static func unescapeQuote(_ text: String) -> String { text.replacingOccurrences(of: "&#39;", with: "'") }

    static func replace(_ pattern: String, in text: String, with template: String) -> String {
        let regex = try! NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators])
        return regex.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: template)
    }

    /// Each match replaced by `body(groups)`, group 0 being the whole match ("" for a group that
    /// did not take part).
    static func replacing(_ pattern: String, in text: String, _ body: ([String]) -> String) -> String {
        let regex = try! NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators])
        var out = ""
        var last = text.startIndex
        for match in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            guard let whole = Range(match.range, in: text) else { continue }
            let groups = (0..<match.numberOfRanges).map { Range(match.range(at: $0), in: text).map { String(text[$0]) } ?? "" }
            out += text[last..<whole.lowerBound] + body(groups)
            last = whole.upperBound
        }
        return out + text[last...]
    }
}
