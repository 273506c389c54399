import Foundation

/// Where each link of a page goes in the book. Pages keep their folders (`.xhtml` for `.html`), so
/// a link between lessons stays relative; an anchor is renamed as its id is. A link to something
/// the book does not hold (a downloadable source, the print page) becomes an absolute web address
/// when the course has a base URL, and plain text otherwise; web links stay.
struct EPUBLinks {
    /// The site path of the page the links are on.
    let page: String
    /// Site page path → book path.
    let pages: [String: String]
    /// Site path → content path of every file lessons show or link to.
    let resources: [String: String]
    let baseURL: String?

    /// A converter for this page; the images it keeps are added to `used` as it converts.
    func converter(collecting used: UsedImages) -> XHTMLConverter {
        XHTMLConverter(mapLink: link, mapSource: { source(of: $0, used: used) })
    }

    /// The images the book's pages show, collected as they are converted.
    final class UsedImages {
        var paths: Set<String> = []
    }

    func link(_ value: String) -> String? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("#") { return "#" + EPUBNames.id(Self.decoded(String(trimmed.dropFirst()))) }
        if LinkResolver.hasScheme(trimmed) {
            let lower = trimmed.lowercased()
            return lower.hasPrefix("http://") || lower.hasPrefix("https://") || lower.hasPrefix("mailto:") ? trimmed : nil
        }
        if trimmed.hasPrefix("//") { return "https:" + trimmed }
        guard let (path, fragment) = resolve(trimmed) else { return nil }
        let anchor = fragment.map { "#" + EPUBNames.id($0) } ?? ""
        let here = pages[page] ?? page
        if let target = pages[path] { return URLPaths.relative(from: here, to: target) + anchor }
        if resources[path] != nil, EPUBPackage.imageMediaType(path) != nil { return URLPaths.relative(from: here, to: path) }
        guard let baseURL else { return nil }
        return Self.joined(baseURL, URLPaths.encodePath(path)) + (fragment.map { "#" + $0 } ?? "")
    }

    /// An image's place in the book, or nil (the element is left out) for anything the book cannot
    /// hold: a remote image, a file the build does not copy, a type EPUB does not know.
    private func source(of value: String, used: UsedImages) -> String? {
        guard !LinkResolver.hasScheme(value), !value.hasPrefix("//"), let (path, _) = resolve(value), resources[path] != nil,
            EPUBPackage.imageMediaType(path) != nil
        else { return nil }
        used.paths.insert(path)
        return URLPaths.relative(from: pages[page] ?? page, to: path)
    }

    /// A relative URL as a site-root path (percent-decoded, dot segments gone) and its fragment;
    /// nil when it leaves the site.
    func resolve(_ url: String) -> (path: String, fragment: String?)? {
        var rest = Substring(url)
        var fragment: String?
        if let hash = rest.firstIndex(of: "#") {
            fragment = Self.decoded(String(rest[rest.index(after: hash)...]))
            rest = rest[..<hash]
        }
        if let query = rest.firstIndex(of: "?") { rest = rest[..<query] }
        var parts = page.split(separator: "/").dropLast().map(String.init)
        if rest.isEmpty { return (page, fragment) }
        for part in Self.decoded(String(rest)).split(separator: "/", omittingEmptySubsequences: false) {
            switch part {
            case ".", "": continue
            case "..":
                guard !parts.isEmpty else { return nil }
                parts.removeLast()
            default: parts.append(String(part))
            }
        }
        var path = parts.joined(separator: "/")
        // A folder link means its index page, as a web server serves it.
        if rest.hasSuffix("/") || pages[path + "/index.html"] != nil && pages[path] == nil {
            path += path.isEmpty ? "index.html" : "/index.html"
        }
        return (path, fragment)
    }

    private static func decoded(_ text: String) -> String { text.removingPercentEncoding ?? text }

    static func joined(_ base: String, _ path: String) -> String {
        (base.hasSuffix("/") ? base : base + "/") + path
    }
}
