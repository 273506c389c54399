import Testing

@testable import Markdown

/// `href` and `src` in the author's raw HTML are links like Markdown's: reported for checking and
/// rewritten at render time.
@Suite struct RawHTMLLinkTests {
    func urls(_ html: String) -> [RawHTMLURL] { RawHTMLScanner.urls(in: Array(html.utf8)) }

    @Test func findsQuotedAndUnquotedValuesInTags() throws {
        let html = #"<figure class="f"><img alt='x' SRC='img/trap.svg'><a title="go > there" href=02-b.md#x>B</a></figure>"#
        let found = urls(html)
        #expect(found.map(\.value) == ["img/trap.svg", "02-b.md#x"])
        let bytes = Array(html.utf8)
        #expect(found.map { String(decoding: bytes[$0.range], as: UTF8.self) } == ["img/trap.svg", "02-b.md#x"])
    }

    @Test func ignoresCommentsTextAndLookalikeAttributes() throws {
        let html =
            "<!-- <a href=\"old.md\"> -->\nUse href=\"x.md\" in text.\n<a data-href=\"no.md\" xlink:href=\"no2.md\" href=\"yes.md\">\n<svg><use href=\"#arrow\"/></svg>"
        let found = urls(html)
        #expect(found.map(\.value) == ["yes.md", "#arrow"])
        #expect(found.map(\.lineOffset) == [2, 3])
    }

    @Test func decodesCharacterReferencesAndCountsLinesInsideTags() throws {
        let found = urls("<a\n  title=\"a\nb\"\n  href=\"x.md?a=1&amp;b=&quot;2&quot;\">")
        #expect(found.map(\.value) == ["x.md?a=1&b=\"2\""])
        #expect(found.map(\.lineOffset) == [3])
    }

    @Test func rawLinksAreReportedAndRewrittenFromTheOriginalOnEveryRender() throws {
        let doc = try MarkdownDocument(
            "Text with <a href=\"b.md\">a link</a>.\n\n<p>\n<img src=\"pic.svg\" alt=\"p\">\n<a href=\"https://example.org/?a=1&amp;b=2\">out</a>\n</p>\n\n[md](c.md)\n"
        )
        #expect(doc.links.map(\.destination) == ["b.md", "pic.svg", "https://example.org/?a=1&b=2", "c.md"])
        #expect(doc.links.map(\.kind) == [.rawHTML, .rawHTML, .rawHTML, .link])
        #expect(doc.links.map(\.line) == [1, 4, 5, 8])
        #expect(doc.links.map(\.index) == [0, 1, 2, 3])

        let page = try doc.html { link in
            link.destination.hasPrefix("https:")
                ? nil : "out/" + link.destination.replacingOccurrences(of: ".md", with: ".html") + "?q=\"1\"&r"
        }
        #expect(page.contains(#"<a href="out/b.html?q=&quot;1&quot;&amp;r">a link</a>"#))
        #expect(page.contains(#"<img src="out/pic.svg?q=&quot;1&quot;&amp;r" alt="p">"#))
        #expect(page.contains(#"<a href="https://example.org/?a=1&amp;b=2">out</a>"#), "an external link keeps its original bytes")
        #expect(page.contains(#"<a href="out/c.html?q=%221%22&amp;r">md</a>"#))

        let again = try doc.html { link in "#" + link.destination }
        #expect(again.contains(##"<a href="#b.md">a link</a>"##))
        #expect(again.contains(##"<img src="#pic.svg" alt="p">"##))
        #expect(!again.contains("out/"))
    }
}
