import Foundation

/// Turns a page body the site renders as HTML (cmark-gfm's output, our templates, an author's raw
/// HTML) into well-formed XHTML for an EPUB: attributes quoted, boolean ones given a value, void
/// elements closed, named entities resolved (XML knows five), characters XML forbids shown as
/// control pictures, ids made XML names, and whatever an e-book cannot use left out (scripts,
/// buttons, forms, templates, event handlers). Unclosed elements are closed and stray end tags
/// dropped, so any input gives a well-formed fragment.
struct XHTMLConverter {
    /// What a link becomes: its new value, or nil to keep only the link's text.
    var mapLink: (String) -> String?
    /// What an `src` becomes (an image the book holds); nil leaves the element out.
    var mapSource: (String) -> String?

    private static let voidElements: Set<String> = [
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"
    ]
    /// Left out with everything inside them: nothing an e-book can run or submit.
    private static let droppedElements: Set<String> = [
        "script", "template", "button", "style", "noscript", "iframe", "textarea", "select", "form", "object", "canvas"
    ]
    private static let droppedVoid: Set<String> = ["input", "link", "meta", "base", "embed"]
    /// Elements a new block closes an open `<p>` for, as an HTML parser does.
    private static let closesParagraph: Set<String> = [
        "address", "article", "aside", "blockquote", "details", "div", "dl", "figure", "footer", "h1", "h2", "h3", "h4",
        "h5", "h6", "header", "hr", "ol", "p", "pre", "section", "table", "ul"
    ]
    /// Attributes whose value names ids, one or several.
    private static let idReferences: Set<String> = ["aria-labelledby", "aria-describedby", "aria-controls", "for", "headers"]

    private struct Open {
        var name: String
        /// Written out (false for an unwrapped link, whose end tag writes nothing).
        var emitted: Bool
    }

    func convert(_ html: String) -> String {
        var state = State(scalars: Array(html.unicodeScalars))
        while state.position < state.scalars.count {
            if state.scalars[state.position] == "<" {
                convertMarkup(&state)
            } else {
                let end = state.scalars[state.position...].firstIndex(of: "<") ?? state.scalars.count
                state.out += Self.escapedText(String(String.UnicodeScalarView(state.scalars[state.position..<end])))
                state.position = end
            }
        }
        while let top = state.stack.popLast() {
            if top.emitted { state.out += "</\(top.name)>" }
        }
        return state.out
    }

    private struct State {
        var scalars: [Unicode.Scalar]
        var position = 0
        var out = ""
        var stack: [Open] = []
        var insideSVG: Bool { stack.contains { $0.name == "svg" } }
    }

    private func convertMarkup(_ state: inout State) {
        let rest = state.scalars[state.position...]
        if rest.starts(with: "<!--".unicodeScalars) {
            state.position = Self.index(after: "-->", in: state.scalars, from: state.position + 4)
        } else if rest.starts(with: "</".unicodeScalars) {
            convertEndTag(&state)
        } else if let tag = Self.parseTag(state.scalars, at: state.position) {
            state.position = tag.end
            convertStartTag(tag, &state)
        } else if rest.starts(with: "<!".unicodeScalars) || rest.starts(with: "<?".unicodeScalars) {
            state.position = Self.index(after: ">", in: state.scalars, from: state.position + 2)
        } else {
            state.out += "&lt;"
            state.position += 1
        }
    }

    private func convertEndTag(_ state: inout State) {
        let close = Self.index(after: ">", in: state.scalars, from: state.position + 2)
        let raw = String(String.UnicodeScalarView(state.scalars[(state.position + 2)..<max(state.position + 2, close - 1)]))
        let name = raw.trimmingCharacters(in: .whitespaces)
        let lowered = state.insideSVG ? name : name.lowercased()
        state.position = close
        // A stray end tag (nothing of that name open) is dropped; otherwise what it closes implicitly is closed too.
        guard let index = state.stack.lastIndex(where: { $0.name == lowered }) else { return }
        while state.stack.count > index {
            let top = state.stack.removeLast()
            if top.emitted { state.out += "</\(top.name)>" }
        }
    }

    private func convertStartTag(_ tag: Tag, _ state: inout State) {
        let inSVG = state.insideSVG || tag.name.lowercased() == "svg"
        let name = inSVG ? tag.name : tag.name.lowercased()
        if Self.droppedElements.contains(name) && !inSVG {
            if !tag.selfClosing { state.position = Self.endOfElement(name, in: state.scalars, from: state.position) }
            return
        }
        if Self.droppedVoid.contains(name) && !inSVG { return }
        if !inSVG { closeImplied(before: name, &state) }
        var attributes: [(String, String)] = []
        var unwrap = false
        for (key, value) in tag.attributes {
            let key = inSVG ? key : key.lowercased()
            if key.hasPrefix("on") || key == "download" || key == "contenteditable" || attributes.contains(where: { $0.0 == key }) {
                continue
            }
            switch key {
            case "href" where !inSVG:
                guard let mapped = mapLink(value) else {
                    unwrap = true
                    continue
                }
                attributes.append((key, mapped))
            case "src":
                guard let mapped = mapSource(value) else { return }
                attributes.append((key, mapped))
            case "id": attributes.append(("id", EPUBNames.id(value)))
            case "name" where name == "a": continue
            case _ where Self.idReferences.contains(key):
                attributes.append((key, value.split(separator: " ").map { EPUBNames.id(String($0)) }.joined(separator: " ")))
            default: attributes.append((key, value))
            }
        }
        if name == "svg" && !attributes.contains(where: { $0.0 == "xmlns" }) {
            attributes.insert(("xmlns", "http://www.w3.org/2000/svg"), at: 0)
        }
        if name == "a" && unwrap {
            if !tag.selfClosing { state.stack.append(Open(name: name, emitted: false)) }
            return
        }
        let text = "<" + name + attributes.map { " \($0.0)=\"\(Self.escapedAttribute($0.1))\"" }.joined()
        if tag.selfClosing || (!inSVG && Self.voidElements.contains(name)) {
            state.out += text + "/>"
        } else {
            state.out += text + ">"
            state.stack.append(Open(name: name, emitted: true))
            if name == "span", let line = tag.attributes.first(where: { $0.0 == "data-line" })?.1,
                tag.attributes.contains(where: { $0.0 == "class" && $0.1.split(separator: " ").contains("line") })
            {
                // Line numbers as text: a reading system may ignore generated content.
                state.out += "<span class=\"ln\" aria-hidden=\"true\">\(Self.escapedText(line))</span>"
            }
        }
    }

    /// An HTML parser's implied end tags that matter for our input: a block closes an open
    /// paragraph; a list item, row or cell closes its open sibling.
    private func closeImplied(before name: String, _ state: inout State) {
        let siblings: [String: Set<String>] = [
            "li": ["li"], "dt": ["dt", "dd"], "dd": ["dt", "dd"], "tr": ["tr", "td", "th"], "td": ["td", "th"], "th": ["td", "th"],
            "option": ["option"]
        ]
        func closeTop() {
            let top = state.stack.removeLast()
            if top.emitted { state.out += "</\(top.name)>" }
        }
        if Self.closesParagraph.contains(name), state.stack.last?.name == "p" { closeTop() }
        if let closes = siblings[name] {
            while let top = state.stack.last?.name, closes.contains(top) { closeTop() }
        }
    }

    // MARK: Tags

    struct Tag {
        var name: String
        var attributes: [(String, String)]
        var selfClosing: Bool
        /// Index just after the tag's `>`.
        var end: Int
    }

    /// The start tag at `at` (`<` followed by a letter), or nil when it is not one.
    static func parseTag(_ s: [Unicode.Scalar], at: Int) -> Tag? {
        var i = at + 1
        guard i < s.count, s[i].properties.isAlphabetic, s[i].isASCII else { return nil }
        let nameStart = i
        while i < s.count, isNameScalar(s[i]) { i += 1 }
        let name = String(String.UnicodeScalarView(s[nameStart..<i]))
        var attributes: [(String, String)] = []
        while i < s.count {
            while i < s.count, s[i].properties.isWhitespace { i += 1 }
            guard i < s.count else { return nil }
            if s[i] == ">" { return Tag(name: name, attributes: attributes, selfClosing: false, end: i + 1) }
            if s[i] == "/" {
                if i + 1 < s.count, s[i + 1] == ">" { return Tag(name: name, attributes: attributes, selfClosing: true, end: i + 2) }
                i += 1
                continue
            }
            let keyStart = i
            while i < s.count, !s[i].properties.isWhitespace, !"=>/\"'".unicodeScalars.contains(s[i]) { i += 1 }
            let key = String(String.UnicodeScalarView(s[keyStart..<i]))
            if i == keyStart { i += 1; continue }
            while i < s.count, s[i].properties.isWhitespace { i += 1 }
            guard i < s.count, s[i] == "=" else {
                attributes.append((key, ""))
                continue
            }
            i += 1
            while i < s.count, s[i].properties.isWhitespace { i += 1 }
            guard i < s.count else { return nil }
            let value: String
            if s[i] == "\"" || s[i] == "'" {
                let quote = s[i]
                guard let close = s[(i + 1)...].firstIndex(of: quote) else { return nil }
                value = String(String.UnicodeScalarView(s[(i + 1)..<close]))
                i = close + 1
            } else {
                let start = i
                while i < s.count, !s[i].properties.isWhitespace, s[i] != ">" { i += 1 }
                value = String(String.UnicodeScalarView(s[start..<i]))
            }
            if isValidAttributeName(key) { attributes.append((key, HTMLEntities.decode(value))) }
        }
        return nil
    }

    private static func isNameScalar(_ c: Unicode.Scalar) -> Bool {
        c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "-" || c == ":" || c == "_")
    }

    /// Attribute names XML accepts (and that need no namespace we do not declare).
    private static func isValidAttributeName(_ key: String) -> Bool {
        guard let first = key.unicodeScalars.first, first.properties.isAlphabetic || first == "_" else { return false }
        if key.contains(":") { return key.hasPrefix("xml:") || key.hasPrefix("xlink:") || key.hasPrefix("epub:") || key == "xmlns:xlink" }
        return key.unicodeScalars.allSatisfy { isNameScalar($0) || $0 == "." }
    }

    /// Index just after the first `needle` at or after `from`, or the end.
    private static func index(after needle: String, in s: [Unicode.Scalar], from: Int) -> Int {
        let n = Array(needle.unicodeScalars)
        var i = from
        while i + n.count <= s.count {
            if s[i] == n[0], Array(s[i..<(i + n.count)]) == n { return i + n.count }
            i += 1
        }
        return s.count
    }

    /// Index after the end tag of a dropped element; nested ones of the same name are counted.
    private static func endOfElement(_ name: String, in s: [Unicode.Scalar], from: Int) -> Int {
        var depth = 1
        var i = from
        while i < s.count {
            guard s[i] == "<" else {
                i += 1
                continue
            }
            if let tag = parseTag(s, at: i) {
                if tag.name.lowercased() == name && !tag.selfClosing { depth += 1 }
                i = tag.end
                continue
            }
            let closeTag = Array("</\(name)".unicodeScalars)
            if i + closeTag.count <= s.count, String(String.UnicodeScalarView(s[i..<(i + closeTag.count)])).lowercased() == "</\(name)" {
                depth -= 1
                let end = index(after: ">", in: s, from: i)
                if depth == 0 { return end }
                i = end
                continue
            }
            i += 1
        }
        return s.count
    }

    // MARK: Escaping

    static func escapedText(_ text: String) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for c in HTMLEntities.decode(text).unicodeScalars { appendEscaped(c, to: &out, quote: false) }
        return out
    }

    static func escapedAttribute(_ value: String) -> String {
        var out = ""
        for c in value.unicodeScalars { appendEscaped(c, to: &out, quote: true) }
        return out
    }

    private static func appendEscaped(_ c: Unicode.Scalar, to out: inout String, quote: Bool) {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"" where quote: out += "&quot;"
        case "\t", "\n", "\r": out.unicodeScalars.append(c)
        default:
            // Characters XML 1.0 forbids even as references; a guest may print them. Shown as the
            // control pictures (U+2400 + code) a terminal-minded reader recognises.
            if c.value < 0x20 {
                out.unicodeScalars.append(Unicode.Scalar(0x2400 + c.value)!)
            } else if c.value == 0x7F {
                out += "\u{2421}"
            } else if (0xFFFE...0xFFFF).contains(c.value) || (0x80...0x9F).contains(c.value) {
                out += "\u{FFFD}"
            } else {
                out.unicodeScalars.append(c)
            }
        }
    }
}

/// Names inside the book: ids must be XML names without colons (NCName), as the site's need not.
enum EPUBNames {
    static func id(_ value: String) -> String {
        var out = ""
        for (index, c) in value.unicodeScalars.enumerated() {
            let letter = c.properties.isAlphabetic || c == "_"
            let allowed = letter || ("0"..."9").contains(c) || c == "-" || c == "." || c.properties.numericType != nil
            if index == 0 && !letter { out += "_" }
            out.unicodeScalars.append(allowed ? c : "_")
        }
        return out.isEmpty ? "_" : out
    }
}
