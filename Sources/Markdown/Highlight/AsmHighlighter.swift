/// x86 assembly in NASM (Intel) or GAS (AT&T) syntax. A statement is `[label:] [prefix] mnemonic
/// operands`; the first word of a statement is the instruction, so no mnemonic table is needed.
struct AsmHighlighter {
    enum Syntax { case nasm, gas }

    private let b: [UInt8]
    private let syntax: Syntax

    init(_ bytes: [UInt8], syntax: Syntax) {
        self.b = bytes
        self.syntax = syntax
    }

    static let registers: Set<String> = {
        var names: Set<String> = [
            "al", "ah", "ax", "eax", "rax", "bl", "bh", "bx", "ebx", "rbx", "cl", "ch", "cx", "ecx", "rcx",
            "dl", "dh", "dx", "edx", "rdx", "si", "esi", "rsi", "sil", "di", "edi", "rdi", "dil",
            "sp", "esp", "rsp", "spl", "bp", "ebp", "rbp", "bpl", "ip", "eip", "rip",
            "cs", "ds", "es", "fs", "gs", "ss", "flags", "eflags", "rflags",
            "gdtr", "idtr", "ldtr", "tr", "st", "mxcsr"
        ]
        for n in 8...15 { for s in ["", "b", "w", "d", "l"] { names.insert("r\(n)\(s)") } }
        for n in 0...15 {
            names.insert("cr\(n)")
            names.insert("dr\(n)")
            names.insert("xmm\(n)")
            names.insert("ymm\(n)")
            names.insert("zmm\(n)")
        }
        for n in 0...7 {
            names.insert("mm\(n)")
            names.insert("st\(n)")
            names.insert("k\(n)")
        }
        return names
    }()

    static let nasmDirectives: Set<String> = [
        "bits", "use16", "use32", "use64", "org", "section", "segment", "global", "extern", "common",
        "align", "alignb", "times", "db", "dw", "dd", "dq", "dt", "do", "dy", "dz", "resb", "resw",
        "resd", "resq", "rest", "reso", "resy", "resz", "equ", "incbin", "cpu", "default", "absolute",
        "struc", "endstruc", "istruc", "iend", "at", "static", "rel", "abs"
    ]

    static let sizeWords: Set<String> = [
        "byte", "word", "dword", "qword", "tword", "oword", "yword", "zword", "ptr", "far", "near", "short"
    ]

    static let registerWords = WordSet(registers)
    static let directiveWords = WordSet(nasmDirectives)
    static let sizeWordSet = WordSet(sizeWords)
    static let prefixWords = WordSet(prefixes)

    static let prefixes: Set<String> = [
        "rep", "repe", "repz", "repne", "repnz", "lock", "o16", "o32", "o64", "a16", "a32", "a64", "data16", "addr32"
    ]

    /// Words that define what a colon-less label before them names.
    static let definitionWords = WordSet([
        "equ", "db", "dw", "dd", "dq", "dt", "do", "dy", "dz", "resb", "resw", "resd", "resq", "rest", "reso",
        "resy", "resz", "times", "istruc"
    ])

    /// True when the next word on the line after `index` is a definition word.
    static func isDefinition(after index: Int, in b: [UInt8]) -> Bool {
        var start = index
        guard start < b.count, b[start] == 0x20 || b[start] == 0x09 else { return false }
        while start < b.count, b[start] == 0x20 || b[start] == 0x09 { start += 1 }
        var end = start
        while end < b.count, Bytes.isIdent(b[end]) { end += 1 }
        return end > start && (end == b.count || !Bytes.isIdent(b[end])) && definitionWords.contains(b[start..<end], lowercase: true)
    }

    /// True when the code uses AT&T register or directive syntax (`%eax`, `.globl`).
    static func looksLikeATT(_ b: [UInt8]) -> Bool {
        var i = 0
        var lineStart = true
        while i < b.count {
            let c = b[i]
            if c == 0x0A { lineStart = true; i += 1; continue }
            if lineStart, Bytes.isSpace(c) { i += 1; continue }
            if c == 0x3B { i = Bytes.endOfLine(b, from: i); continue } // ';' comment in NASM
            if c == 0x25, i + 1 < b.count, Bytes.isIdentStart(b[i + 1]) {
                var j = i + 1
                while j < b.count, Bytes.isIdent(b[j]) { j += 1 }
                if registers.contains(Bytes.lowerString(b[(i + 1)..<j])) { return true }
            }
            if lineStart, c == 0x2E, i + 1 < b.count, Bytes.isIdentStart(b[i + 1]) {
                var j = i + 1
                while j < b.count, Bytes.isIdent(b[j]) { j += 1 }
                let word = Bytes.lowerString(b[(i + 1)..<j])
                if [
                    "globl", "global", "section", "text", "data", "code16", "code32", "code64", "byte", "word",
                    "long", "quad", "ascii", "asciz", "string", "intel_syntax", "att_syntax", "align", "balign"
                ].contains(word) {
                    // `.text:` would be a NASM local label; a directive is followed by space or EOL.
                    if j >= b.count || b[j] != 0x3A { return true }
                }
            }
            lineStart = false
            i += 1
        }
        return false
    }

    func run(into out: inout TokenWriter) {
        var i = 0
        var expectMnemonic = true
        while i < b.count {
            let c = b[i]
            if c == 0x0A {
                out.plain(b[i..<(i + 1)])
                i += 1
                expectMnemonic = true
                continue
            }
            if Bytes.isSpace(c) {
                i = out.spaces(b, from: i, to: b.count)
                continue
            }
            // Comments.
            if syntax == .nasm, c == 0x3B {
                i = out.lineComment(b, from: i)
                continue
            }
            if syntax == .gas, let next = gasCommentOrSeparator(from: i, into: &out, expectMnemonic: &expectMnemonic) {
                i = next
                continue
            }
            // Strings and character constants.
            if c == 0x22 || c == 0x27 || (syntax == .nasm && c == 0x60) {
                i = out.quoted(b, from: i, escapes: syntax == .gas || c == 0x60)
                expectMnemonic = false
                continue
            }
            // NASM preprocessor (`%define`, `%include`, `%1`), GAS registers (`%eax`).
            if c == 0x25 {
                i = percentWord(from: i, into: &out, expectMnemonic: &expectMnemonic)
                continue
            }
            if syntax == .gas, c == 0x24 {
                i = gasImmediate(from: i, into: &out)
                continue
            }
            if Bytes.isDigit(c) || (syntax == .nasm && c == 0x24 && i + 1 < b.count && Bytes.isHexDigit(b[i + 1])) {
                i = number(from: i, into: &out, expectMnemonic: &expectMnemonic)
                continue
            }
            if Bytes.isIdentStart(c) || c == 0x2E || c == 0x40 || c == 0x3F || (syntax == .nasm && c == 0x24) {
                i = word(from: i, into: &out, expectMnemonic: &expectMnemonic)
                continue
            }
            out.plain(b[i..<(i + 1)])
            i += 1
        }
    }

    /// GAS comments (`#`, `//`, `/* */`) and the `;` statement separator; nil for anything else.
    private func gasCommentOrSeparator(from i: Int, into out: inout TokenWriter, expectMnemonic: inout Bool) -> Int? {
        if b[i] == 0x23 || Bytes.startsComment(b, at: i, block: false) { return out.lineComment(b, from: i) }
        if Bytes.startsComment(b, at: i, block: true) { return out.blockComment(b, from: i) }
        guard b[i] == 0x3B else { return nil }
        out.plain(b[i..<(i + 1)])
        expectMnemonic = true
        return i + 1
    }

    /// `%...`: a NASM preprocessor word (`%define`, `%include`, `%1`) or a GAS register (`%eax`).
    private func percentWord(from i: Int, into out: inout TokenWriter, expectMnemonic: inout Bool) -> Int {
        var j = i + 1
        while j < b.count, Bytes.isIdent(b[j]) || b[j] == 0x25 || b[j] == 0x24 { j += 1 }
        if syntax == .gas {
            out.token(Self.registerWords.contains(b[(i + 1)..<j], lowercase: true) ? .register : .directive, b[i..<j])
        } else {
            out.token(.directive, b[i..<j])
            expectMnemonic = false
        }
        return max(j, i + 1)
    }

    /// GAS immediates: `$0x10`, `$'A'`, `$label`.
    private func gasImmediate(from i: Int, into out: inout TokenWriter) -> Int {
        var j = i + 1
        if j < b.count, b[j] == 0x27 {
            j = Bytes.endOfString(b, from: j, escapes: true)
            out.token(.number, b[i..<j])
        } else {
            if j < b.count, b[j] == 0x2D { j += 1 }
            while j < b.count, Bytes.isIdent(b[j]) { j += 1 }
            out.token(.number, b[i..<j]) // every immediate, numeric or symbolic
        }
        return max(j, i + 1)
    }

    /// Numbers: decimal, 0x/0b/0o prefixes, h/b/q suffixes, NASM `$0FF`; and GAS numeric local
    /// labels (`1:`).
    private func number(from i: Int, into out: inout TokenWriter, expectMnemonic: inout Bool) -> Int {
        var j = i + 1
        while j < b.count, Bytes.isIdent(b[j]) || b[j] == 0x2E { j += 1 }
        // GAS numeric local labels: `1:` and references `1f`/`1b`.
        if syntax == .gas, j < b.count, b[j] == 0x3A, expectMnemonic {
            out.token(.label, b[i...j])
            return j + 1
        }
        out.token(.number, b[i..<j])
        expectMnemonic = false
        return j
    }

    /// A word: label definition, directive, register, size, instruction (and whether a prefix keeps
    /// the next word an instruction), local label reference, or plain.
    private func word(from i: Int, into out: inout TokenWriter, expectMnemonic: inout Bool) -> Int {
        let c = b[i]
        var j = i + 1
        while j < b.count, Bytes.isIdent(b[j]) || b[j] == 0x2E || b[j] == 0x40 || b[j] == 0x3F || b[j] == 0x24 || b[j] == 0x23 { j += 1 }
        let word = b[i..<j]
        // Label definition `name:` (NASM also allows `.local:`).
        if expectMnemonic, j < b.count, b[j] == 0x3A {
            out.token(.label, b[i...j])
            return j + 1
        }
        // NASM also takes a label without the colon before data and `equ` (`msg db "Hi"`).
        if syntax == .nasm, expectMnemonic, Self.isDefinition(after: j, in: b), !Self.directiveWords.contains(word, lowercase: true) {
            out.token(.label, word)
            return j
        }
        let bare = c == 0x2E ? word.dropFirst() : word
        if syntax == .gas, c == 0x2E {
            out.token(.directive, word)
            expectMnemonic = false
        } else if syntax == .nasm, Self.directiveWords.contains(word, lowercase: true) {
            out.token(.directive, word)
            expectMnemonic = false
        } else if syntax == .nasm, Self.registerWords.contains(word, lowercase: true) {
            out.token(.register, word)
            expectMnemonic = false
        } else if syntax == .nasm, Self.sizeWordSet.contains(word, lowercase: true) {
            out.token(.type, word)
        } else if expectMnemonic, c != 0x2E {
            out.token(.keyword, word)
            // A prefix keeps the next word an instruction (`rep movsb`, `lock xadd`).
            expectMnemonic = Self.prefixWords.contains(bare, lowercase: true)
        } else if syntax == .nasm, expectMnemonic == false, NasmLabelWord.isLocal(word) {
            out.token(.label, word)
        } else {
            out.plain(word)
            expectMnemonic = false
        }
        return j
    }
}

private enum NasmLabelWord {
    /// `.loop` used as an operand: a NASM local label reference.
    static func isLocal(_ word: ArraySlice<UInt8>) -> Bool {
        word.first == 0x2E && word.count > 1
    }
}
