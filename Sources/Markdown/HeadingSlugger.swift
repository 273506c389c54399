/// GitHub-style heading ids: lowercase, letters/digits/`-`/`_` kept, spaces to `-`, everything
/// else dropped; repeats get `-1`, `-2`... Non-ASCII letters are kept, so Chinese headings get
/// readable ids too.
public struct HeadingSlugger: Sendable {
    private var used: [String: Int] = [:]

    public init() {}

    public static func slug(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return asciiSlug(text) }
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

    private static func asciiSlug(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for b in text.utf8 {
            switch b {
            case 0x20, 0x09, 0x0A: out.append(0x2D)
            case 0x2D, 0x5F, 0x30...0x39, 0x61...0x7A: out.append(b)
            case 0x41...0x5A: out.append(b | 0x20)
            default: break
            }
        }
        return String(decoding: out, as: UTF8.self)
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
