import Foundation

/// The links of a language's pages to another language's (the language switch, the alternates, a
/// stale translation's link to its original), which that language's site zip does not hold. A
/// reader who downloads one language's site reads it offline: such a link goes to the published
/// site when the course has a base URL, and is left out otherwise rather than lead nowhere.
/// Every such link carries `hreflang`, so only those tags are looked at.
struct ZipLinks {
    /// Whether the zip holds a site-root path (`zh/basics/first.html`).
    let holds: (String) -> Bool
    /// The published site's address, ending with `/`, or nil.
    let baseURL: String?

    func rewrite(_ html: String, page: String) -> String {
        guard html.contains("hreflang=\"") else { return html }
        var result = ""
        var rest = html[...]
        while let mark = rest.range(of: "hreflang=\""), let open = rest[..<mark.lowerBound].lastIndex(of: "<"),
            let close = rest[mark.upperBound...].firstIndex(of: ">")
        {
            let tag = rest[open...close]
            result += rest[..<open]
            rest = rest[rest.index(after: close)...]
            guard let href = Self.attribute("href", in: tag), let target = Self.resolve(href, from: page),
                !holds(target.path.removingPercentEncoding ?? target.path)
            else {
                result += tag
                continue
            }
            if let baseURL {
                result += tag.replacingOccurrences(of: "href=\"\(href)\"", with: "href=\"\(baseURL)\(target.path)\(target.fragment)\"")
            } else if tag.hasPrefix("<a"), let end = rest.range(of: "</a>") {
                // The anchor goes with its text, which names a page this zip does not have.
                rest = rest[end.upperBound...]
            }
        }
        return result + rest
    }

    static func attribute(_ name: String, in tag: Substring) -> String? {
        guard let start = tag.range(of: " \(name)=\"") else { return nil }
        let value = tag[start.upperBound...]
        return value.firstIndex(of: "\"").map { String(value[..<$0]) }
    }

    /// A relative link's site-root path (still percent-encoded) and its `#fragment`; nil for an
    /// absolute address, which works offline as well as anywhere.
    static func resolve(_ href: String, from page: String) -> (path: String, fragment: String)? {
        guard !href.contains(":"), !href.hasPrefix("/") else { return nil }
        let cut = href.firstIndex { $0 == "#" || $0 == "?" } ?? href.endIndex
        var parts = page.split(separator: "/", omittingEmptySubsequences: false).dropLast().map(String.init)
        for part in href[..<cut].split(separator: "/", omittingEmptySubsequences: false) {
            switch part {
            case "..": if parts.popLast() == nil { return nil }
            case ".", "": continue
            default: parts.append(String(part))
            }
        }
        return (parts.joined(separator: "/"), String(href[cut...]))
    }
}
