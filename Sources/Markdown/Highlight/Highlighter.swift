/// Build-time syntax highlighting: code in, escaped HTML with `<span class="k">` and the like out.
///
/// Token classes are Pygments' and Chroma's short names (`TokenClass`), one or two letters, since a
/// long course holds millions of them; the theme's stylesheet lists them with their meanings.
///
/// Spans never cross a line break, so callers may split the result on `\n` and wrap lines.
public enum SyntaxHighlighter {
    public enum Language: String, Sendable, CaseIterable {
        case nasm, gas, c, shell, console, text
    }

    /// The language for a fenced block's first info word, or nil when unknown (shown plain).
    /// `asm` and its aliases are resolved per block by `resolve(_:code:)`: NASM unless the code
    /// looks like AT&T syntax.
    public static func language(forInfoWord word: String) -> Language? {
        switch word.lowercased() {
        case "nasm", "intel": return .nasm
        case "asm", "x86asm", "x86", "assembly", "s": return .nasm
        case "gas", "att", "at&t", "asm-att", "gnu-as": return .gas
        case "c", "h", "vmm": return .c // a vmm exercise is C for the host
        case "sh", "bash", "shell", "zsh": return .shell
        case "console", "shell-session", "terminal": return .console
        case "text", "txt", "plain", "plaintext", "output", "": return .text
        default: return nil
        }
    }

    /// Like `language(forInfoWord:)`, but decides between NASM and GAS for the generic `asm` words
    /// by looking at the code.
    public static func resolve(infoWord word: String, code: String) -> Language? {
        guard let language = language(forInfoWord: word) else { return nil }
        let lower = word.lowercased()
        if language == .nasm, !(lower == "nasm" || lower == "intel"), AsmHighlighter.looksLikeATT(Array(code.utf8)) {
            return .gas
        }
        return language
    }

    /// Escaped, highlighted HTML for `code` (no surrounding `<pre>`).
    public static func highlight(_ code: String, as language: Language) -> String {
        let bytes = Array(code.utf8)
        // Highlighted HTML is typically 4-6 times the code's size; one allocation up front.
        var out = TokenWriter(capacity: bytes.count * 6 + 64)
        switch language {
        case .nasm: AsmHighlighter(bytes, syntax: .nasm).run(into: &out)
        case .gas: AsmHighlighter(bytes, syntax: .gas).run(into: &out)
        case .c: CHighlighter(bytes).run(into: &out)
        case .shell: ShellHighlighter(bytes).run(into: &out)
        case .console: ShellHighlighter(bytes).runConsole(into: &out)
        case .text: out.plain(bytes[...])
        }
        return out.string
    }

    /// Escapes `code` without highlighting (unknown languages).
    public static func plain(_ code: String) -> String {
        var out = TokenWriter(capacity: code.utf8.count + 16)
        out.plain(Array(code.utf8)[...])
        return out.string
    }
}

/// What a highlighted token is, written as its short class name (Pygments' and Chroma's names).
enum TokenClass: UInt8, Sendable {
    case keyword, register, number, string, comment, directive, label, type, function, variable, attribute
    case prompt, output

    var name: StaticString {
        switch self {
        case .keyword: "k"
        case .register: "nb" // a builtin name, as Pygments' NASM lexer calls registers
        case .number: "m"
        case .string: "s"
        case .comment: "c"
        case .directive: "cp" // assembler directive or C preprocessor line
        case .label: "nl"
        case .type: "kt"
        case .function: "nf" // function, or a shell command
        case .variable: "nv"
        case .attribute: "na" // a shell option
        case .prompt: "gp"
        case .output: "go" // console output
        }
    }
}

/// Accumulates escaped HTML; closes and reopens spans around line breaks. A token of the same
/// class as the one just closed, with nothing but spaces between them on the line, extends that
/// span instead of opening another: colour and style do not show on spaces.
struct TokenWriter {
    private(set) var bytes: [UInt8] = []
    /// Where the last span's `</span>` starts and its class, while only spaces followed it.
    private var lastClose: (at: Int, cls: TokenClass)?
    private static let close = Array("</span>".utf8)

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    var string: String { String(decoding: bytes, as: UTF8.self) }

    mutating func plain(_ text: ArraySlice<UInt8>) {
        if !text.allSatisfy(Bytes.isSpace) { lastClose = nil }
        HTMLEscaping.appendEscaped(text, to: &bytes)
    }

    mutating func token(_ cls: TokenClass, _ text: ArraySlice<UInt8>) {
        guard !text.isEmpty else { return }
        var start = text.startIndex
        while start < text.endIndex {
            var end = start
            while end < text.endIndex, text[end] != 0x0A { end += 1 }
            if end > start {
                open(cls)
                HTMLEscaping.appendEscaped(text[start..<end], to: &bytes)
                lastClose = (bytes.count, cls)
                bytes.append(contentsOf: Self.close)
            }
            if end < text.endIndex {
                bytes.append(0x0A)
                lastClose = nil
            }
            start = end + 1
        }
    }

    // The scanning steps every tokenizer shares: each emits what it recognises at `start` and
    // returns the index just past it.

    /// A run of spaces and tabs (not line breaks), as plain text.
    mutating func spaces(_ b: [UInt8], from start: Int, to stop: Int) -> Int {
        var end = start
        while end < stop, Bytes.isSpace(b[end]) { end += 1 }
        plain(b[start..<end])
        return end
    }

    /// A comment from `start` to the end of the line (`;`, `#`, `//`).
    mutating func lineComment(_ b: [UInt8], from start: Int) -> Int {
        let end = Bytes.endOfLine(b, from: start)
        token(.comment, b[start..<end])
        return end
    }

    /// A `/* ... */` comment, possibly over several lines (spans are closed at each line break).
    mutating func blockComment(_ b: [UInt8], from start: Int) -> Int {
        let end = Bytes.endOfBlockComment(b, from: start)
        token(.comment, b[start..<end])
        return end
    }

    /// A quoted string or character constant that ends at its line's end if unterminated.
    mutating func quoted(_ b: [UInt8], from start: Int, escapes: Bool) -> Int {
        let end = Bytes.endOfString(b, from: start, escapes: escapes)
        token(.string, b[start..<end])
        return end
    }

    private mutating func open(_ cls: TokenClass) {
        if let last = lastClose, last.cls == cls {
            // Only spaces since this class's span closed: reopen it by dropping its `</span>`.
            bytes.removeSubrange(last.at..<(last.at + Self.close.count))
            return
        }
        bytes.append(contentsOf: "<span class=\"".utf8)
        cls.name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: "\">".utf8)
    }
}

/// Byte classification shared by the tokenizers.
enum Bytes {
    @inline(__always) static func isIdentStart(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || b == 0x5F || b >= 0x80
    }
    @inline(__always) static func isIdent(_ b: UInt8) -> Bool { isIdentStart(b) || isDigit(b) }
    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    @inline(__always) static func isHexDigit(_ b: UInt8) -> Bool {
        isDigit(b) || (b >= 0x61 && b <= 0x66) || (b >= 0x41 && b <= 0x46)
    }
    @inline(__always) static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D }
    @inline(__always) static func lower(_ b: UInt8) -> UInt8 { (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b }

    /// The lowercased ASCII text of `slice`, for keyword lookups.
    static func lowerString(_ slice: ArraySlice<UInt8>) -> String {
        var bytes = Array(slice)
        for i in bytes.indices { bytes[i] = lower(bytes[i]) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Index just past a quoted string starting at `start` (which holds the quote), honouring
    /// backslash escapes when `escapes` is set; stops at end of line if unterminated.
    static func endOfString(_ b: [UInt8], from start: Int, escapes: Bool) -> Int {
        let quote = b[start]
        var i = start + 1
        while i < b.count {
            let c = b[i]
            if escapes, c == 0x5C, i + 1 < b.count { i += 2; continue }
            if c == quote { return i + 1 }
            if c == 0x0A { return i }
            i += 1
        }
        return i
    }

    /// Index just past a `/* ... */` comment starting at `start`, or the end of the code.
    static func endOfBlockComment(_ b: [UInt8], from start: Int) -> Int {
        var i = start + 2
        while i + 1 < b.count {
            if b[i] == 0x2A, b[i + 1] == 0x2F { return i + 2 }
            i += 1
        }
        return b.count
    }

    /// `//` or `/*` at `i`.
    static func startsComment(_ b: [UInt8], at i: Int, block: Bool) -> Bool {
        b[i] == 0x2F && i + 1 < b.count && b[i + 1] == (block ? 0x2A : 0x2F)
    }

    static func endOfLine(_ b: [UInt8], from start: Int) -> Int {
        var i = start
        while i < b.count, b[i] != 0x0A { i += 1 }
        return i
    }
}

/// A keyword set looked up by bytes: words of up to 8 bytes are packed into an integer, so the
/// tokenizers need no String per identifier (most identifiers are not keywords).
struct WordSet: Sendable {
    private let packed: Set<UInt64>
    private let long: Set<String>

    init(_ words: Set<String>) {
        packed = Set(words.compactMap { Self.pack(Array($0.utf8)[...], lowercase: false) })
        long = words.filter { $0.utf8.count > 8 }
    }

    @inline(__always) static func pack(_ bytes: ArraySlice<UInt8>, lowercase: Bool) -> UInt64? {
        guard bytes.count <= 8 else { return nil }
        var value: UInt64 = 0
        var shift: UInt64 = 0
        for byte in bytes {
            value |= UInt64(lowercase ? Bytes.lower(byte) : byte) << shift
            shift += 8
        }
        return value
    }

    func contains(_ bytes: ArraySlice<UInt8>, lowercase: Bool = false) -> Bool {
        if let key = Self.pack(bytes, lowercase: lowercase) { return packed.contains(key) }
        return long.contains(lowercase ? Bytes.lowerString(bytes) : String(decoding: bytes, as: UTF8.self))
    }
}
