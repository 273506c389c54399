import Common
import Foundation
import Markdown

/// Turns the links authors write (relative paths to `.md` files and other files in the content
/// folder, optionally with `#anchor`) into page URLs, and records what must be checked once every
/// page's ids are known.
struct LinkResolver: Sendable {
    /// A page a link can point at.
    struct Page: Sendable {
        var path: String // site-root path, e.g. `kvm/run-loop.html`
        var printID: String // id of its top in print.html
        var printPrefix: String // prefix of its heading ids in print.html
    }

    enum Target: Sendable, Equatable {
        case external
        case page(path: String, fragment: String?)
        case samePage(fragment: String)
        case file(contentPath: String, outputPath: String)
    }

    /// An anchor to verify after rendering: `fragment` must be an id on the page at `path`.
    struct AnchorCheck: Sendable {
        var file: URL
        var line: Int
        var written: String
        var path: String
        var fragment: String
    }

    let contentRoot: URL
    /// Content-relative `.md` path (or chapter folder path) → page.
    let pages: [String: Page]
    /// Content-relative paths of draft lessons left out of this build.
    let drafts: Set<String>
    /// Content-relative paths of lessons that did not load: already errors, so links to them are
    /// not reported again (and not checked).
    let failedToLoad: Set<String>
    /// First path component (chapter folder) → chapter slug, for copying files beside lessons.
    let chapterSlugs: [String: String]
    private let byPath: [String: Page]
    /// Made once: it resolves the root's symlinks.
    private let folder: ContentFolder

    init(contentRoot: URL, pages: [String: Page], drafts: Set<String>, failedToLoad: Set<String> = [], chapterSlugs: [String: String]) {
        self.contentRoot = contentRoot
        self.folder = ContentFolder(contentRoot)
        self.pages = pages
        self.drafts = drafts
        self.failedToLoad = failedToLoad
        self.chapterSlugs = chapterSlugs
        var byPath: [String: Page] = [:]
        for page in pages.values { byPath[page.path] = page }
        self.byPath = byPath
    }

    /// Resolves `destination` written in `file` (content-relative `fromPath`) at `line`.
    func resolve(_ destination: String, from file: URL, fromPath: String, line: Int) throws -> Target {
        let trimmed = destination.first == " " || destination.last == " " ? destination.trimmingCharacters(in: .whitespaces) : destination
        if trimmed.isEmpty || Self.hasScheme(trimmed) || trimmed.hasPrefix("//") { return .external }
        if trimmed.hasPrefix("#") {
            return .samePage(fragment: Self.decode(String(trimmed.dropFirst())))
        }
        if trimmed.hasPrefix("/") {
            throw SiteError(
                file: file, line: line,
                "link '\(destination)' is absolute; write it relative to this file (every URL on the site is relative)")
        }
        var pathPart = Substring(trimmed)
        var fragment: String?
        if let hash = pathPart.firstIndex(of: "#") {
            fragment = Self.decode(String(pathPart[pathPart.index(after: hash)...]))
            pathPart = pathPart[..<hash]
        }
        if let query = pathPart.firstIndex(of: "?") { pathPart = pathPart[..<query] }
        let decoded = Self.decode(String(pathPart))
        let base = fromPath.lastIndex(of: "/").map { String(fromPath[..<$0]) } ?? ""
        let joined = base.isEmpty ? decoded : base + "/" + decoded
        guard let normalized = Self.normalize(joined) else {
            throw SiteError(file: file, line: line, "link '\(destination)' leads outside the content folder")
        }
        if let page = pages[normalized] ?? pages[normalized + "/"]
            ?? pages[normalized.hasSuffix("/") ? String(normalized.dropLast()) : normalized]
        {
            return .page(path: page.path, fragment: fragment.flatMap { $0.isEmpty ? nil : $0 })
        }
        if normalized.hasSuffix(".md") {
            if failedToLoad.contains(normalized) { return .external }
            if drafts.contains(normalized) {
                throw SiteError(
                    file: file, line: line,
                    "link '\(destination)' points at a draft lesson, which this build leaves out (build with --drafts, or remove the link)")
            }
            let exists = FileManager.default.fileExists(atPath: contentRoot.appendingPathComponent(normalized).path)
            throw SiteError(
                file: file, line: line,
                exists
                    ? "link '\(destination)' points at a Markdown file that is not a lesson or chapter page"
                    : "broken link '\(destination)': \(normalized) does not exist")
        }
        return try fileTarget(normalized, written: destination, in: file, line: line)
    }

    /// A link to a file that is copied into the site: it must be a regular file inside the content folder.
    private func fileTarget(_ normalized: String, written destination: String, in file: URL, line: Int) throws -> Target {
        var isDir: ObjCBool = false
        let target = contentRoot.appendingPathComponent(normalized)
        guard !normalized.isEmpty, FileManager.default.fileExists(atPath: target.path, isDirectory: &isDir) else {
            throw SiteError(
                file: file, line: line,
                "broken link '\(destination)': \(normalized.isEmpty ? "the content folder" : normalized) does not exist")
        }
        if isDir.boolValue {
            throw SiteError(file: file, line: line, "link '\(destination)' points at a folder that is not a chapter")
        }
        // Copied into the site: a FIFO or a device would hang or never end the copy.
        var info = stat()
        if stat(target.path, &info) == 0, info.st_mode & S_IFMT != S_IFREG {
            throw SiteError(
                file: file, line: line,
                "link '\(destination)' points at something that is not a regular file (a FIFO, a device or a socket)")
        }
        // The file is copied into the site: it must really be inside the content folder.
        guard folder.contains(target) else {
            throw SiteError(file: file, line: line, "link '\(destination)' is a symlink that leads outside the content folder")
        }
        return .file(contentPath: normalized, outputPath: outputPath(forContentPath: normalized))
    }

    /// Where a content file is copied: its chapter folder renamed to the chapter slug.
    func outputPath(forContentPath path: String) -> String {
        var parts = path.split(separator: "/").map(String.init)
        if parts.count > 1, let slug = chapterSlugs[parts[0]] { parts[0] = slug }
        return parts.joined(separator: "/")
    }

    /// The URL for `target` on the page at `pagePath`, or in print.html when `print` is set.
    func url(for target: Target, onPage pagePath: String, print: Page?) -> String? {
        switch target {
        case .external:
            return nil
        case .samePage(let fragment):
            return "#" + (print?.printPrefix ?? "") + fragment
        case .page(let path, let fragment):
            if print != nil {
                guard let page = byPath[path] else { return nil }
                return "#" + (fragment.map { page.printPrefix + $0 } ?? page.printID)
            }
            let url = URLPaths.relative(from: pagePath, to: path)
            return fragment.map { url + "#" + URLPaths.encode($0) } ?? url
        case .file(_, let outputPath):
            return URLPaths.relative(from: print == nil ? pagePath : "print.html", to: outputPath)
        }
    }

    static func hasScheme(_ s: String) -> Bool {
        guard let colon = s.firstIndex(of: ":") else { return false }
        let scheme = s[..<colon]
        guard let first = scheme.first, first.isASCII, first.isLetter else { return false }
        return scheme.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == ".") }
    }

    static func decode(_ s: String) -> String { s.utf8.contains(0x25) ? (s.removingPercentEncoding ?? s) : s }

    /// Resolves `.` and `..`; nil when the path climbs above the root.
    static func normalize(_ path: String) -> String? {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                guard !parts.isEmpty else { return nil }
                parts.removeLast()
            } else {
                parts.append(part)
            }
        }
        return parts.joined(separator: "/") + (path.hasSuffix("/") && !parts.isEmpty ? "/" : "")
    }
}
