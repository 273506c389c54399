/// GitHub-style heading ids: lowercase, letters/digits/`-`/`_` kept, spaces to `-`, everything
/// else dropped; repeats get `-1`, `-2`... Non-ASCII letters are kept, so Chinese headings get
/// readable ids too.
public struct HeadingSlugger: Sendable {
    private var used: [String: Int] = [:]

    public init() {}

    public static func slug(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            let p = scalar.properties
            if scalar == " " || scalar == "\t" || scalar == "\n" {
                out.append("-")
            } else if scalar == "-" || scalar == "_" {
                out.unicodeScalars.append(scalar)
            } else if p.isAlphabetic || p.numericType != nil {
                out += String(scalar).lowercased()
            }
        }
        return out
    }

    /// A unique id for `text`, or `explicit` (from `{#id}`) when given; ids already reserved by
    /// `reserve` are avoided too.
    public mutating func id(for text: String, explicit: String? = nil) -> String {
        if let explicit {
            used[explicit, default: 0] += 1
            return explicit
        }
        var base = Self.slug(text)
        if base.isEmpty { base = "section" }
        var candidate = base
        var n = used[base] ?? 0
        while used[candidate] != nil {
            n += 1
            candidate = "\(base)-\(n)"
        }
        used[base] = n
        used[candidate, default: 0] += 0
        return candidate
    }

    public mutating func reserve(_ id: String) {
        used[id, default: 0] += 0
    }
}
