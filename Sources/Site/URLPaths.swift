import Foundation

/// Output paths are `/`-separated, relative to the site root (`kvm/run-loop.html`). Every URL a
/// page contains is relative to that page, so the site works from `file://` and any sub-path.
enum URLPaths {
    /// The URL of `target` (site-root path) as seen from a page at `from` (site-root path).
    static func relative(from page: String, to target: String) -> String {
        let fromDir = page.split(separator: "/", omittingEmptySubsequences: false).dropLast()
        let to = target.split(separator: "/", omittingEmptySubsequences: false)
        var common = 0
        while common < fromDir.count, common < to.count - 1, fromDir[fromDir.startIndex + common] == to[common] { common += 1 }
        let ups = Array(repeating: "..", count: fromDir.count - common)
        let rest = to[common...].map { encode(String($0)) }
        return (ups + rest).joined(separator: "/")
    }

    /// `../` repeated for a page's depth: the prefix that turns a site-root path into a page URL.
    static func rootPrefix(of page: String) -> String {
        String(repeating: "../", count: page.split(separator: "/").count - 1)
    }

    private static let allowed: CharacterSet = {
        var set = CharacterSet.urlPathAllowed
        set.remove(charactersIn: "/?#;")
        return set
    }()

    static func encode(_ component: String) -> String {
        component.addingPercentEncoding(withAllowedCharacters: allowed) ?? component
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
        return slug.unicodeScalars.allSatisfy { ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") || $0 == "-" || $0 == "_" || $0 == "." }
    }

    /// `01-memory-virtualization` → "Memory virtualization".
    static func title(fromFolder name: String) -> String {
        let words = stripOrderPrefix(name).replacingOccurrences(of: "-", with: " ").replacingOccurrences(of: "_", with: " ")
        guard let first = words.first else { return name }
        return first.uppercased() + words.dropFirst()
    }
}
