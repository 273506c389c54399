/// C (C11 plus common GNU extensions used by freestanding guests).
struct CHighlighter {
    private let b: [UInt8]

    init(_ bytes: [UInt8]) { self.b = bytes }

    static let keywords: Set<String> = [
        "auto", "break", "case", "const", "continue", "default", "do", "else", "enum", "extern", "for", "goto",
        "if", "inline", "register", "restrict", "return", "sizeof", "static", "struct", "switch", "typedef",
        "union", "volatile", "while", "_Alignas", "_Alignof", "_Atomic", "_Generic", "_Noreturn",
        "_Static_assert", "_Thread_local", "asm", "__asm__", "__asm", "__volatile__", "__attribute__",
        "alignof", "static_assert", "true", "false", "NULL", "nullptr"
    ]

    static let types: Set<String> = [
        "void", "char", "short", "int", "long", "float", "double", "signed", "unsigned", "_Bool", "bool",
        "size_t", "ssize_t", "ptrdiff_t", "intptr_t", "uintptr_t", "va_list"
    ]

    static let keywordWords = WordSet(keywords)
    static let typeWords = WordSet(types)

    func run(into out: inout TokenWriter) {
        var i = 0
        var lineStart = true
        while i < b.count {
            let c = b[i]
            if c == 0x0A {
                out.plain(b[i..<(i + 1)])
                lineStart = true
                i += 1
                continue
            }
            if Bytes.isSpace(c) {
                i = out.spaces(b, from: i, to: b.count)
                continue
            }
            if Bytes.startsComment(b, at: i, block: false) {
                i = out.lineComment(b, from: i)
                continue
            }
            if Bytes.startsComment(b, at: i, block: true) {
                i = out.blockComment(b, from: i)
                continue
            }
            if lineStart, c == 0x23 { // preprocessor line
                i = directive(from: i, into: &out)
                lineStart = false
                continue
            }
            lineStart = false
            if c == 0x22 || c == 0x27 {
                i = out.quoted(b, from: i, escapes: true)
                continue
            }
            if Bytes.isDigit(c) || (c == 0x2E && i + 1 < b.count && Bytes.isDigit(b[i + 1])) {
                i = number(from: i, into: &out)
                continue
            }
            if Bytes.isIdentStart(c) {
                i = word(from: i, into: &out)
                continue
            }
            out.plain(b[i..<(i + 1)])
            i += 1
        }
    }

    /// A preprocessor directive's name (`#include`), and a `<file.h>` after it as a string; returns
    /// where the rest of the line starts.
    private func directive(from i: Int, into out: inout TokenWriter) -> Int {
        var j = i + 1
        while j < b.count, Bytes.isSpace(b[j]) { j += 1 }
        while j < b.count, Bytes.isIdent(b[j]) { j += 1 }
        out.token(.directive, b[i..<j])
        // `#include <file.h>`: the header name reads as a string.
        var k = j
        while k < b.count, Bytes.isSpace(b[k]) { k += 1 }
        if k < b.count, b[k] == 0x3C {
            var e = k + 1
            while e < b.count, b[e] != 0x3E, b[e] != 0x0A { e += 1 }
            if e < b.count, b[e] == 0x3E {
                out.plain(b[j..<k])
                out.token(.string, b[k...e])
                return e + 1
            }
        }
        return j
    }

    /// A number: decimal, hex, float, with suffixes and exponent signs (`1e-5`, `0x1p+3`).
    private func number(from i: Int, into out: inout TokenWriter) -> Int {
        var j = i + 1
        while j < b.count {
            let d = b[j]
            if Bytes.isIdent(d) || d == 0x2E { j += 1; continue }
            if d == 0x2B || d == 0x2D, j > i, [0x65, 0x45, 0x70, 0x50].contains(b[j - 1]) { j += 1; continue }
            break
        }
        out.token(.number, b[i..<j])
        return j
    }

    /// An identifier: keyword, type (the built-in ones and any `*_t`), function name before `(`,
    /// or plain.
    private func word(from i: Int, into out: inout TokenWriter) -> Int {
        var j = i + 1
        while j < b.count, Bytes.isIdent(b[j]) { j += 1 }
        let word = b[i..<j]
        if Self.keywordWords.contains(word) {
            out.token(.keyword, word)
        } else if Self.typeWords.contains(word) || (word.count > 2 && word[j - 2] == 0x5F && word[j - 1] == 0x74) {
            out.token(.type, word)
        } else {
            var k = j
            while k < b.count, Bytes.isSpace(b[k]) { k += 1 }
            if k < b.count, b[k] == 0x28 { out.token(.function, word) } else { out.plain(word) }
        }
        return j
    }
}
