/// Checks a C guest's inline assembly for directives that make the assembler read a file. clang's
/// `-MD` does not list what `.incbin` reads; the LLVM IR clang makes of the guest (`-emit-llvm -S`,
/// before any optimisation, so no asm statement has been dropped yet) holds every inline-assembly
/// string exactly as the assembler will get it, after the C side's macros, string pasting and
/// escapes. The assembler's own text-pasting directives are refused too.
enum InlineAssembly {
    /// The inline-assembly strings of an LLVM IR module: `module asm "…"` lines and the templates of
    /// `asm` calls, with IR's `\XX` escapes decoded.
    static func strings(inIR ir: String) -> [String] {
        var found: [String] = []
        for line in ir.split(separator: "\n") {
            let text = Substring(line)
            let start: Substring.Index?
            if text.hasPrefix("module asm \"") {
                start = text.index(text.startIndex, offsetBy: "module asm \"".count)
            } else if let call = text.range(of: " asm ") {
                // `asm [sideeffect] [alignstack] [inteldialect] [unwind] "template", "constraints"`
                var rest = text[call.upperBound...]
                while let word = rest.split(separator: " ", maxSplits: 1).first,
                    ["sideeffect", "alignstack", "inteldialect", "unwind"].contains(word)
                {
                    rest = rest.dropFirst(word.count).drop { $0 == " " }
                }
                start = rest.first == "\"" ? rest.index(after: rest.startIndex) : nil
            } else {
                start = nil
            }
            guard let start, let end = text[start...].firstIndex(of: "\"") else { continue }
            found.append(decode(text[start..<end]))
        }
        return found
    }

    /// IR string escapes: `\XX` is the byte XX (quotes, backslashes, newlines and every byte outside
    /// printable ASCII are written so).
    private static func decode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.first {
            if byte == UInt8(ascii: "\\"), utf8.count >= 3,
                let value = UInt8(String(decoding: utf8.dropFirst().prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                utf8 = utf8.dropFirst(3)
            } else {
                bytes.append(byte)
                utf8 = utf8.dropFirst()
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `.incbin` and `.include` read files; `.macro` and `.irp`/`.irpc` paste text and could spell them.
    static let forbidden: Set<String> = [".incbin", ".include", ".macro", ".irp", ".irpc", ".altmacro"]

    /// The first forbidden directive in `assembly`, as written, or nil.
    static func fileDirective(in assembly: String) -> String? {
        for line in assembly.split(whereSeparator: \.isNewline) {
            for statement in line.split(separator: ";") {
                var rest = statement.drop { $0 == " " || $0 == "\t" }
                // Labels before the directive: `1:`, `name:`.
                while let colon = rest.firstIndex(of: ":"),
                    rest[..<colon].allSatisfy({ $0.isLetter || $0.isNumber || "_.$".contains($0) }), colon != rest.startIndex
                {
                    rest = rest[rest.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
                }
                let word = rest.prefix { !($0 == " " || $0 == "\t" || $0 == "\"" || $0 == "'" || $0 == ",") }.lowercased()
                if forbidden.contains(word) { return word }
            }
        }
        return nil
    }
}
