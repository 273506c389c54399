/// Checks the assembly clang generates for a C guest (`clang -S`) for directives that make the
/// assembler read a file. Inline assembly is the only way C code reaches them, and the compiler's
/// own output never uses them; by this point string pasting, escapes and macros of the C side are
/// gone, and the assembler's own text-pasting directives are refused too.
enum InlineAssembly {
    /// `.incbin` and `.include` read files; `.macro` and `.irp`/`.irpc` paste text and could spell them.
    static let forbidden: Set<String> = [".incbin", ".include", ".macro", ".irp", ".irpc", ".altmacro"]

    /// The first forbidden directive in `assembly`, as written, or nil.
    static func fileDirective(in assembly: String) -> String? {
        for line in assembly.split(whereSeparator: \.isNewline) {
            for statement in line.split(separator: ";") {
                var rest = statement.drop { $0 == " " || $0 == "\t" }
                // Labels before the directive: `1:`, `name:`.
                while let colon = rest.firstIndex(of: ":"),
                      rest[..<colon].allSatisfy({ $0.isLetter || $0.isNumber || "_.$".contains($0) }), colon != rest.startIndex {
                    rest = rest[rest.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
                }
                let word = rest.prefix { !($0 == " " || $0 == "\t" || $0 == "\"" || $0 == "'" || $0 == ",") }.lowercased()
                if forbidden.contains(word) { return word }
            }
        }
        return nil
    }
}
