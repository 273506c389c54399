import Foundation

/// Output paths are `/`-separated, relative to the site root (`kvm/run-loop.html`). Every URL a
/// page contains is relative to that page, so the site works from `file://` and any sub-path.
enum URLPaths {
    /// The URL of `target` (site-root path) as seen from a page at `from` (site-root path).
    static func relative(from page: String, to target: String) -> String {
        let dir = page.lastIndex(of: "/").map { page[..<$0] } ?? ""
        // Fast paths: same folder, or a page at the root (every page is at most one folder deep).
        if dir.isEmpty { return encodePath(target) }
        if target.count > dir.count, target.hasPrefix(dir), target[target.index(target.startIndex, offsetBy: dir.count)] == "/" {
            return encodePath(String(target.dropFirst(dir.count + 1)))
        }
        if !dir.contains("/") { return "../" + encodePath(target) }
        let fromDir = dir.split(separator: "/", omittingEmptySubsequences: false)
        let to = target.split(separator: "/", omittingEmptySubsequences: false)
        var common = 0
        while common < fromDir.count, common < to.count - 1, fromDir[common] == to[common] { common += 1 }
        let ups = Array(repeating: "..", count: fromDir.count - common)
        let rest = to[common...].map { encode(String($0)) }
        return (ups + rest).joined(separator: "/")
    }

    /// Encodes each component of a `/`-separated path.
    static func encodePath(_ path: String) -> String {
        if path.utf8.allSatisfy(isUnreserved) { return path }
        return path.split(separator: "/", omittingEmptySubsequences: false).map { encode(String($0)) }.joined(separator: "/")
    }

    @inline(__always) private static func isUnreserved(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x2E || b == 0x5F || b == 0x7E
            || b == 0x2F
    }

    /// `../` repeated for a page's depth: the prefix that turns a site-root path into a page URL.
    static func rootPrefix(of page: String) -> String {
        String(repeating: "../", count: page.utf8.reduce(0) { $0 + ($1 == 0x2F ? 1 : 0) })
    }

    private static let allowed: CharacterSet = {
        var set = CharacterSet.urlPathAllowed
        set.remove(charactersIn: "/?#;")
        return set
    }()

    static func encode(_ component: String) -> String {
        if component.utf8.allSatisfy({ isUnreserved($0) && $0 != 0x2F }) { return component }
        return component.addingPercentEncoding(withAllowedCharacters: allowed) ?? component
    }
}

/// Slugs for URLs: lowercase ASCII letters, digits and `-`, derived from folder and file names.
enum Slug {
    /// `01-memory-virtualization` → `memory-virtualization`; `3_intro` → `intro`.
    static func stripOrderPrefix(_ name: String) -> String {
        var scalars = Substring(name)
        let digits = scalars.prefix(while: { $0.isASCII && $0.isNumber })
        guard !digits.isEmpty else { return name }
        scalars = scalars.dropFirst(digits.count)
        guard let sep = scalars.first, sep == "-" || sep == "_" || sep == ".", scalars.count > 1 else { return name }
        return String(scalars.dropFirst())
    }

    static func make(_ text: String) -> String {
        var out = ""
        var dash = false
        for ch in text.lowercased().unicodeScalars {
            if (ch >= "a" && ch <= "z") || (ch >= "0" && ch <= "9") {
                out.unicodeScalars.append(ch)
                dash = false
            } else if ch == "." || ch == "_" {
                out.unicodeScalars.append(ch)
                dash = false
            } else if !dash, !out.isEmpty {
                out.append("-")
                dash = true
            }
        }
        while out.hasSuffix("-") { out.removeLast() }
        return out
    }

    static func isValid(_ slug: String) -> Bool {
        guard let first = slug.unicodeScalars.first, (first >= "a" && first <= "z") || (first >= "0" && first <= "9") else { return false }
        return slug.unicodeScalars.allSatisfy {
            ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") || $0 == "-" || $0 == "_" || $0 == "."
        }
    }

    /// `01-memory-virtualization` → "Memory virtualization".
    static func title(fromFolder name: String) -> String {
        let words = stripOrderPrefix(name).replacingOccurrences(of: "-", with: " ").replacingOccurrences(of: "_", with: " ")
        guard let first = words.first else { return name }
        return first.uppercased() + words.dropFirst()
    }
}
