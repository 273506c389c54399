import Testing

@testable import Markdown

/// The highlighter's short class names (Pygments' and Chroma's) by what tests call them.
let tokenClassNames = [
    "k": "kw", "nb": "reg", "m": "num", "s": "str", "c": "com", "cp": "dir", "nl": "label", "kt": "type",
    "nf": "fn", "nv": "var", "na": "attr", "gp": "prompt", "go": "out"
]

/// Extracts `(class, text)` pairs so tests read as token lists rather than HTML.
func tokens(_ html: String) -> [(String, String)] {
    var result: [(String, String)] = []
    var rest = Substring(html)
    while let open = rest.range(of: "<span class=\"") {
        let afterOpen = rest[open.upperBound...]
        guard let quote = afterOpen.firstIndex(of: "\""), let close = afterOpen.range(of: "</span>") else { break }
        let cls = String(afterOpen[..<quote])
        let text = String(afterOpen[afterOpen.index(quote, offsetBy: 2)..<close.lowerBound])
        result.append((tokenClassNames[cls] ?? "unknown class \(cls)", text))
        rest = afterOpen[close.upperBound...]
    }
    return result
}

func has(_ html: String, _ cls: String, _ text: String) -> Bool {
    tokens(html).contains { $0.0 == cls && $0.1 == text }
}

@Suite struct HighlighterTests {
    @Test func nasmStatements() {
        let code = """
            %define COM1 0x3f8
            bits 16
            org 0x7c00
            start:
                mov dx, COM1        ; serial port
                mov al, 'H'
                out dx, al
            .wait: rep movsb
                mov byte [msg+1], 10h
                jmp .wait
                hlt
            msg: db "Hi<&>", 0
            """
        let html = SyntaxHighlighter.highlight(code, as: .nasm)
        #expect(has(html, "dir", "%define"))
        #expect(has(html, "dir", "bits"))
        #expect(has(html, "num", "0x7c00"))
        #expect(has(html, "label", "start:"))
        #expect(has(html, "kw", "mov"))
        #expect(has(html, "reg", "dx"))
        #expect(has(html, "com", "; serial port"))
        #expect(has(html, "str", "&#39;H&#39;"))
        #expect(has(html, "label", ".wait:"))
        #expect(has(html, "kw", "rep movsb"))
        #expect(has(html, "type", "byte"))
        #expect(has(html, "num", "10h"))
        #expect(has(html, "label", ".wait"))
        #expect(has(html, "dir", "db"))
        #expect(has(html, "str", "&quot;Hi&lt;&amp;&gt;&quot;"))
        // Symbols used as operands are not instructions.
        #expect(!has(html, "kw", "COM1"))
        #expect(!has(html, "kw", "msg"))
    }

    @Test func nasmLabelsWithoutAColonBeforeDataAndEqu() {
        let html = SyntaxHighlighter.highlight(
            "INSIDE  equ 0x00200000\nmsg db \"Hi\", 0\nbuf times 4 db 0\n    mov eax, [INSIDE]\nequ_like: dd 1\n", as: .nasm)
        #expect(has(html, "label", "INSIDE") && has(html, "dir", "equ"))
        #expect(has(html, "label", "msg") && has(html, "dir", "db"))
        #expect(has(html, "label", "buf") && has(html, "dir", "times"))
        #expect(!has(html, "kw", "INSIDE") && !has(html, "kw", "msg") && !has(html, "kw", "buf"))
        #expect(has(html, "kw", "mov") && has(html, "label", "equ_like:"))
        // An instruction followed by an operand named like a directive stays an instruction.
        #expect(has(SyntaxHighlighter.highlight("    push dword 3\n", as: .nasm), "kw", "push"))
    }

    @Test func gasStatements() {
        let code = """
            .code16
            .globl _start
            _start:
                movw $0x3f8, %dx   # COM1
                movb $'H', %al
                outb %al, %dx
            1:  hlt
                jmp 1b
            /* block
               comment */
            """
        let html = SyntaxHighlighter.highlight(code, as: .gas)
        #expect(has(html, "dir", ".code16"))
        #expect(has(html, "dir", ".globl"))
        #expect(has(html, "label", "_start:"))
        #expect(has(html, "kw", "movw"))
        #expect(has(html, "num", "$0x3f8"))
        #expect(has(html, "reg", "%dx"))
        #expect(has(html, "com", "# COM1"))
        #expect(has(html, "num", "$&#39;H&#39;"))
        #expect(has(html, "label", "1:"))
        #expect(has(html, "kw", "hlt"))
        // A multi-line comment is closed and reopened at the line break.
        #expect(html.contains("<span class=\"c\">/* block</span>\n<span class=\"c\">   comment */</span>"))
    }

    /// Tokens of one class with only spaces between them on a line share a span (colour and
    /// style do not show on spaces); anything else between them, or a line break, keeps them apart.
    @Test func sameClassTokensShareASpanAcrossSpacesOnly() {
        let code = "    rep  movsb\n    rep movsb ; copy\n    mov dx, ax\nx: y:\n"
        let html = SyntaxHighlighter.highlight(code, as: .nasm)
        #expect(
            html == "    <span class=\"k\">rep  movsb</span>\n    <span class=\"k\">rep movsb</span> <span class=\"c\">; copy</span>\n"
                + "    <span class=\"k\">mov</span> <span class=\"nb\">dx</span>, <span class=\"nb\">ax</span>\n"
                + "<span class=\"nl\">x: y:</span>\n")
        let c = SyntaxHighlighter.highlight("static const int a;\n/* a\n   b */ /* c */\n", as: .c)
        #expect(
            c == "<span class=\"k\">static const</span> <span class=\"kt\">int</span> a;\n<span class=\"c\">/* a</span>\n"
                + "<span class=\"c\">   b */ /* c */</span>\n")
    }

    @Test func asmDialectDetection() {
        #expect(SyntaxHighlighter.resolve(infoWord: "asm", code: "mov %eax, %ebx\n") == .gas)
        #expect(SyntaxHighlighter.resolve(infoWord: "asm", code: ".globl x\nx: ret\n") == .gas)
        #expect(SyntaxHighlighter.resolve(infoWord: "asm", code: "%define X 1\nmov eax, X\n") == .nasm)
        #expect(SyntaxHighlighter.resolve(infoWord: "asm", code: ".loop: dec ecx\n") == .nasm)
        #expect(SyntaxHighlighter.resolve(infoWord: "nasm", code: "mov %eax, %ebx\n") == .nasm)
        #expect(SyntaxHighlighter.resolve(infoWord: "gas", code: "mov eax, 1\n") == .gas)
        #expect(SyntaxHighlighter.resolve(infoWord: "python", code: "") == nil)
    }

    @Test func cCode() {
        let code = """
            #include <stdint.h>
            #define PORT 0x3f8 // COM1
            /* multi
               line */
            static inline void outb(uint16_t port, uint8_t v) {
                __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port));
            }
            int main(void) { char c = 'x'; return 1.5e-3 > 0 ? 42u : 0; }
            """
        let html = SyntaxHighlighter.highlight(code, as: .c)
        #expect(has(html, "dir", "#include"))
        #expect(has(html, "str", "&lt;stdint.h&gt;"))
        #expect(has(html, "dir", "#define"))
        #expect(has(html, "com", "// COM1"))
        #expect(has(html, "com", "/* multi"))
        #expect(has(html, "kw", "static inline"))
        #expect(has(html, "type", "void"))
        #expect(has(html, "type", "uint16_t"))
        #expect(has(html, "fn", "outb"))
        #expect(has(html, "kw", "__asm__ volatile"))
        #expect(has(html, "str", "&quot;outb %0, %1&quot;"))
        #expect(has(html, "str", "&#39;x&#39;"))
        #expect(has(html, "num", "1.5e-3"))
        #expect(has(html, "num", "42u"))
        #expect(has(html, "kw", "return"))
        #expect(has(html, "fn", "main"))
    }

    @Test func shellAndConsole() {
        let sh = SyntaxHighlighter.highlight(
            "# build it\nNASM=nasm make -j2 site | tee \"$LOG\" && echo ${HOME} $1\nfor f in *.md; do wc -l $f; done\n", as: .shell)
        #expect(has(sh, "com", "# build it"))
        #expect(has(sh, "var", "NASM=nasm"))
        #expect(has(sh, "fn", "make"))
        #expect(has(sh, "attr", "-j2"))
        #expect(has(sh, "fn", "tee"))
        #expect(has(sh, "str", "&quot;$LOG&quot;"))
        #expect(!has(sh, "fn", "f"))
        #expect(has(sh, "fn", "echo"))
        #expect(has(sh, "var", "${HOME} $1"))
        #expect(has(sh, "kw", "for"))
        #expect(has(sh, "kw", "do"))
        #expect(has(sh, "fn", "wc"))
        let console = SyntaxHighlighter.highlight("$ swift build -c release\nBuilding <3>\n# apt-get install nasm\n", as: .console)
        #expect(has(console, "prompt", "$"))
        #expect(has(console, "fn", "swift"))
        #expect(has(console, "attr", "-c"))
        #expect(has(console, "out", "Building &lt;3&gt;"))
        #expect(has(console, "prompt", "#"))
        #expect(has(console, "fn", "apt-get"))
    }

    @Test func plainTextIsEscapedAndSpansNeverCrossLines() {
        #expect(SyntaxHighlighter.highlight("<b>&\n", as: .text) == "&lt;b&gt;&amp;\n")
        #expect(SyntaxHighlighter.plain("a<b") == "a&lt;b")
        for language in SyntaxHighlighter.Language.allCases {
            let html = SyntaxHighlighter.highlight("/* a\nb */ \"x\ny\" 'p\nq' ; c\n# d\n", as: language)
            for line in html.split(separator: "\n", omittingEmptySubsequences: false) {
                #expect(
                    line.components(separatedBy: "<span").count == line.components(separatedBy: "</span>").count, "\(language): \(line)")
            }
        }
    }

    @Test func unknownLanguageWords() {
        #expect(SyntaxHighlighter.language(forInfoWord: "C") == .c)
        #expect(SyntaxHighlighter.language(forInfoWord: "Bash") == .shell)
        #expect(SyntaxHighlighter.language(forInfoWord: "haskell") == nil)
    }
}
