import Foundation
import Testing

@testable import Markdown

/// Our renderer (`HTMLWriter`) writes byte for byte what libcmark-gfm's renderer writes for the
/// same parsed and edited document: every GFM example, every page of the course (both languages),
/// hostile input and generated documents, each rendered both ways, whole and split into groups.
@Suite struct HTMLWriterTests {
    /// Renders `markdown` both ways (whole and one block per group); the first difference, or nil.
    static func difference(_ markdown: String, options: MarkdownOptions = MarkdownOptions()) throws -> String? {
        let document = try MarkdownDocument(markdown, options: options)
        let retarget: (LinkReference) -> String? = { $0.destination.hasSuffix(".md") ? "moved/\($0.destination)'\"&.html" : nil }
        for perGroup in [Int.max, 1] {
            let theirs = try document.html(idPrefix: "p-", linkURL: retarget, blocksPerGroup: perGroup, libcmark: true)
            let ours = try document.html(idPrefix: "p-", linkURL: retarget, blocksPerGroup: perGroup, libcmark: false)
            if ours != theirs { return GFMConformanceTests.firstDifference(ours, theirs) }
        }
        return nil
    }

    /// Whether HTMLWriter (not the libcmark-gfm fallback) renders `markdown`.
    static func rendersOurselves(_ markdown: String) throws -> Bool { try !MarkdownDocument(markdown).hasFootnotes }

    @Test(.enabled(if: GFMConformanceTests.folder != nil, "skipped: no GFM examples beside the repository"))
    func everyGFMExampleRendersAsLibcmarkGFMDoes() throws {
        let examples = try GFMExamples.load(from: try #require(GFMConformanceTests.folder))
        var differing: [String] = []
        var ours = 0
        for example in examples {
            if let difference = try Self.difference(example.markdown) { differing.append("\(example): \(difference)") }
            if try Self.rendersOurselves(example.markdown) { ours += 1 }
        }
        #expect(differing.isEmpty, "\(differing.count) differ:\n\(differing.prefix(10).joined(separator: "\n"))")
        // Only documents with footnotes fall back to libcmark-gfm: a few dozen examples.
        #expect(ours > examples.count - 40, "HTMLWriter rendered \(ours) of \(examples.count) examples")
    }

    @Test func everyPageOfTheCourseRendersAsLibcmarkGFMDoes() throws {
        let content = GFMExamples.repositoryRoot.appendingPathComponent("content")
        let files = try #require(FileManager.default.enumerator(atPath: content.path)).compactMap { $0 as? String }
            .filter { $0.hasSuffix(".md") }
        #expect(files.count >= 60, "the course has lessons in two languages")
        for file in files {
            let text = try String(contentsOf: content.appendingPathComponent(file), encoding: .utf8)
            let difference = try Self.difference(text)
            #expect(difference == nil, "\(file): \(difference ?? "")")
        }
    }

    static let hostile: [String] = [
        String(repeating: "> ", count: 3000) + "deep quote\n",
        String(repeating: "- ", count: 1500) + "deep list\n",
        String(repeating: "*a ", count: 2000) + String(repeating: "b* ", count: 2000),
        String(repeating: "[", count: 3000) + "x" + String(repeating: "](y)", count: 3000),
        "[a](javascript:alert(1)) [b](vbscript:x) [c](data:text/html,<script>) ![d](file:///etc/passwd)\n",
        "<script>alert(1)</script>\n\n<ScRiPt >x</sCrIpT>\n\n<style/>\n\n<title>t</title>\n\n<textarea\n/>\n",
        "a <script>x</script> b <iframe src=x> c <xmp> d <plaintext/> e <noembed>f</noembed> <noframes >\n",
        "<div>\n<script>\n<scripts> <titles> <TITLE> </title\tx> <style\u{0B}> <xmp/\n</div>\n",
        "<!-- <script> --> <?php echo '<script>'; ?> <![CDATA[<style>]]> <!DOCTYPE html>\n",
        "[q](<a b'c\"d&e>) [r](%20%zz\u{7F}\u{1}) [s](https://é.example/ü?a=1&b='2' \"t'i\\\"t&le\")\n",
        "![a *b* `c` <i>d</i> [e](f) ![g](h) ~~i~~\nj  \nk](u \"v\") ![](x)\n",
        "| a | b | c |\n|:--|:-:|--:|\n| `x\\|y` | **z** | ![i](j) |\n| 1 |\n| 1 | 2 | 3 | 4 |\n\n| h |\n|---|\n",
        "- [ ] open\n- [x] done\n  - [X] nested\n    1. [ ] ordered\n\n* [x]\n* [ ]not a task\n",
        "0. zero\n\n123456789. big\n-1. no\n\n7) paren\n8) more\n",
        "a\u{0}b &amp; &#0; &#x110000; &nbsp; &bogus; \"'/\\\n\r\nc\rd\r\n\u{2028}e\n",
        "www.example.com/a?b=c&d=e< https://x.y/(z) mailto:a@b.c foo@bar.baz http://a.b/\"c\n",
        "# h *e* `c` [l](m) {#custom}\n\nSetext `x`\n===\n\n## 中文标题\n\n中文\n段落\n\n`short` and `a much longer code span that wraps`\n",
        "> [!NOTE]\n> noted\n\n> [!PREDICT]\n> guess\n> > the answer\n\n> [!BOGUS]\n> plain\n",
        "```\n<&>\"'\n```\n\n~~~ a&b\"c more words\nx\n~~~\n\n    indented <b>\n\n```\u{0B}py\ny\n```\n",
        "<a href=\"x.md\" src='y.md'>raw link</a> <img src=z.md>\n\n<div href=\"w.md\">\nblock\n</div>\n",
        "***\n---\n___\n\n\\*escaped\\* \\<tag\\> ~~strike~~ ~one~ ***both*** __a__ _b_\n"
    ]

    @Test func hostileInputRendersAsLibcmarkGFMDoes() throws {
        for (index, input) in Self.hostile.enumerated() {
            let difference = try Self.difference(input)
            #expect(difference == nil, "hostile input \(index): \(difference ?? "")")
            #expect(try Self.rendersOurselves(input))
        }
    }

    /// Documents put together from fragments by a seeded generator: blocks inside quotes, lists
    /// and tables, in combinations nobody wrote by hand.
    @Test func generatedDocumentsRenderAsLibcmarkGFMDoes() throws {
        let fragments =
            Self.hostile.map { String($0.prefix(300)) } + [
                "> ", "- ", "1. ", "  ", "    ", "\n", "\n\n", "| a | b |\n|---|---|\n| ", " | ", "`", "*", "_", "~~", "[", "](", ")", "!",
                "<", ">", "&", "<div>", "</div>", "<span>", "```\n", "# ", "---\n", "- [ ] ", "[x]", "text", "中文", "\\", "\t"
            ]
        var generator = SeededGenerator(seed: 0x5EED)
        var differing: [String] = []
        for _ in 0..<1500 {
            let count = Int.random(in: 1...24, using: &generator)
            let markdown = (0..<count).map { _ in fragments.randomElement(using: &generator)! }.joined()
            if let difference = try Self.difference(markdown) {
                differing.append("\(markdown.debugDescription.prefix(300)): \(difference)")
            }
        }
        #expect(differing.isEmpty, "\(differing.count) differ:\n\(differing.prefix(5).joined(separator: "\n"))")
    }

    @Test func theOptionSelectsLibcmarkGFMsRendererWithTheSameBytes() throws {
        var options = MarkdownOptions()
        options.libcmarkRenderer = true
        let text = Self.hostile.joined(separator: "\n\n")
        #expect(try MarkdownDocument(text, options: options).html() == MarkdownDocument(text).html())
    }
}

/// splitmix64: the same sequence on every machine, so a failure can be reproduced.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
