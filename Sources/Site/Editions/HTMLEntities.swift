/// HTML character references, resolved for XML, which predefines only five. The named ones are
/// those authors type in raw HTML; an unknown name stays as text (its `&` escaped), as a browser
/// shows it.
enum HTMLEntities {
    static let named: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{A0}", "ensp": "\u{2002}", "emsp": "\u{2003}",
        "thinsp": "\u{2009}", "zwnj": "\u{200C}", "zwj": "\u{200D}", "shy": "\u{AD}", "ndash": "–", "mdash": "—", "hellip": "…",
        "lsquo": "‘", "rsquo": "’", "ldquo": "“", "rdquo": "”", "sbquo": "‚", "bdquo": "„", "laquo": "«", "raquo": "»",
        "lsaquo": "‹", "rsaquo": "›", "bull": "•", "middot": "·", "copy": "©", "reg": "®", "trade": "™", "deg": "°",
        "plusmn": "±", "times": "×", "divide": "÷", "minus": "−", "le": "≤", "ge": "≥", "ne": "≠", "asymp": "≈",
        "infin": "∞", "micro": "µ", "para": "¶", "sect": "§", "dagger": "†", "Dagger": "‡", "larr": "←", "rarr": "→",
        "uarr": "↑", "darr": "↓", "harr": "↔", "lArr": "⇐", "rArr": "⇒", "hArr": "⇔", "check": "✓", "cross": "✗",
        "euro": "€", "pound": "£", "yen": "¥", "cent": "¢", "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ",
        "epsilon": "ε", "lambda": "λ", "mu": "μ", "pi": "π", "sigma": "σ", "tau": "τ", "omega": "ω", "Delta": "Δ",
        "Sigma": "Σ", "Omega": "Ω", "frac12": "½", "frac14": "¼", "frac34": "¾", "sup2": "²", "sup3": "³", "prime": "′",
        "Prime": "″", "sum": "∑", "prod": "∏", "radic": "√", "and": "∧", "or": "∨", "not": "¬", "forall": "∀",
        "exist": "∃", "isin": "∈", "sub": "⊂", "sup": "⊃", "cap": "∩", "cup": "∪", "oplus": "⊕", "lceil": "⌈",
        "rceil": "⌉", "lfloor": "⌊", "rfloor": "⌋", "loz": "◊", "hairsp": "\u{200A}", "numsp": "\u{2007}"
    ]

    /// The text with every reference it can resolve replaced by its characters.
    static func decode(_ text: String) -> String {
        guard text.contains("&") else { return text }
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < scalars.count {
            guard scalars[i] == "&", let semicolon = scalars[(i + 1)..<min(scalars.count, i + 34)].firstIndex(of: ";") else {
                out.append(scalars[i])
                i += 1
                continue
            }
            let name = String(String.UnicodeScalarView(scalars[(i + 1)..<semicolon]))
            if let resolved = resolve(name) {
                out.append(contentsOf: resolved.unicodeScalars)
                i = semicolon + 1
            } else {
                out.append(scalars[i])
                i += 1
            }
        }
        return String(out)
    }

    private static func resolve(_ name: String) -> String? {
        if name.hasPrefix("#") {
            let digits = name.dropFirst()
            let value = digits.first == "x" || digits.first == "X" ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits)
            // NUL and surrogates are not characters; a browser shows U+FFFD for them.
            guard let value else { return nil }
            return String(Unicode.Scalar(value == 0 ? 0xFFFD : value) ?? "\u{FFFD}")
        }
        return named[name]
    }
}
