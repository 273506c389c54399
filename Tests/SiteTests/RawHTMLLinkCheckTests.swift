import Foundation
import Testing

@testable import Site

/// Links written in raw HTML go through the same resolver as Markdown links: `.md` becomes the
/// page, files are copied, anchors and missing targets are errors at their line.
@Suite struct RawHTMLLinkCheckTests {
    let scratch = Scratch()

    @Test func rawLinksAreRewrittenAndTheirFilesCopied() async throws {
        let content = scratch.write([
            "01-ch/01-a.md": """
            ---
            title: A
            ---

            <figure>
              <img src="img/trap.svg" alt="The trap">
              <figcaption>See <a href="02-b.md#the-loop">the loop</a> or <a href="https://example.org/x?a=1&amp;b=2">elsewhere</a>.</figcaption>
            </figure>

            Inline <a href="#figure-1">here</a> and <a href="../02-two/">chapter two</a>.

            <p id="figure-1">Figure 1.</p>
            """,
            "01-ch/02-b.md": "---\ntitle: B\n---\n\n## The loop\n",
            "01-ch/img/trap.svg": "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
            "02-two/01-c.md": "---\ntitle: C\n---\n"
        ])
        _ = try await build(content, into: scratch)
        let page = scratch.read("out/ch/a.html")
        #expect(page.contains(#"<img src="img/trap.svg" alt="The trap">"#))
        #expect(page.contains(#"<a href="b.html#the-loop">the loop</a>"#))
        #expect(page.contains(#"<a href="https://example.org/x?a=1&amp;b=2">elsewhere</a>"#))
        #expect(page.contains(##"<a href="#figure-1">here</a>"##))
        #expect(page.contains(#"<a href="../two/index.html">chapter two</a>"#))
        #expect(scratch.exists("out/ch/img/trap.svg"))

        let print = scratch.read("out/print.html")
        #expect(print.contains(#"<img src="ch/img/trap.svg" alt="The trap">"#))
        #expect(print.contains(##"<a href="#ch/b::the-loop">the loop</a>"##))
    }

    @Test func brokenRawLinksAreErrorsAtTheirLine() async {
        let content = scratch.write([
            "01-ch/01-a.md":
                "---\ntitle: A\n---\n\n<p>\n<img alt=\"x\"\n     src=\"missing.png\">\n</p>\n\nText <a href=\"../../outside.md\">out</a>.\n\n<!-- <a href=\"ignored.md\"> -->\n"
        ])
        let errors = await buildErrors(content, into: scratch)
        #expect(errors.map { "\($0.file!.lastPathComponent):\($0.line!)" } == ["01-a.md:7", "01-a.md:10"])
        #expect(errors.first?.message.contains("broken link 'missing.png'") == true)
        #expect(errors.last?.message.contains("leads outside the content folder") == true)
        #expect(!scratch.exists("out"))
    }

    @Test func aMissingAnchorInRawHTMLIsAnErrorWithASuggestion() async {
        let content = scratch.write([
            "01-ch/01-a.md": "---\ntitle: A\n---\n\n## The loop\n\n<a href=\"#the-lop\">up</a>\n"
        ])
        let errors = await buildErrors(content, into: scratch)
        #expect(errors.count == 1)
        #expect(errors.first?.line == 7)
        #expect(errors.first?.message.contains("did you mean '#the-loop'?") == true)
    }
}
