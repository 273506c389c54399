import Testing

@testable import Markdown

/// The byte-level footnote pass: labels, the section's heading, and id prefixes.
@Suite struct FootnoteTests {
    static let lesson = "## Claim\n\nA fact[^a] and another[^b], the first again[^a].\n\n"
    static let notes = "[^a]: Source A.\n[^b]: Source B & C.\n"

    @Test func aLessonEndingWithAHeadingHasItsFootnotesUnderThatHeading() throws {
        let doc = try MarkdownDocument(Self.lesson + "## References\n\n" + Self.notes)
        let html = try doc.html()
        #expect(html.contains("<h2 id=\"references\">References <a class=\"heading-anchor\" href=\"#references\""))
        #expect(
            html.contains(
                "</h2>\n<section class=\"footnotes footnotes-headed\" data-footnotes aria-labelledby=\"references\">\n<ol>\n<li id=\"fn-a\">"
            ))
        // No second, generic title.
        #expect(!html.contains("footnotes-title") && !html.contains("hc-footnotes"))
        #expect(MarkdownDocument.ids(inHTML: html).filter { $0.hasPrefix("fn") } == ["fnref-a", "fnref-b", "fnref-a-2", "fn-a", "fn-b"])
    }

    @Test func withPrefixTheHeadingLabelAndEveryFootnoteIDArePrefixed() throws {
        let doc = try MarkdownDocument(Self.lesson + "## Sources {#src}\n\n" + Self.notes)
        let html = try doc.html(idPrefix: "ch/l::")
        #expect(html.contains("<section class=\"footnotes footnotes-headed\" data-footnotes aria-labelledby=\"ch/l::src\">"))
        #expect(html.contains("<a href=\"#ch/l::fn-a\" id=\"ch/l::fnref-a\" data-footnote-ref>1</a>"))
        #expect(html.contains("<a href=\"#ch/l::fn-a\" id=\"ch/l::fnref-a-2\" data-footnote-ref>1</a>"))
        #expect(html.contains("<li id=\"ch/l::fn-b\">"))
        #expect(html.contains("href=\"#ch/l::fnref-a-2\""))
        // Every id is prefixed exactly once.
        let ids = MarkdownDocument.ids(inHTML: html)
        #expect(ids.allSatisfy { $0.hasPrefix("ch/l::") && !$0.dropFirst(6).contains("ch/l::") })
    }

    @Test func textAfterTheLastHeadingKeepsTheGenericTitle() throws {
        let doc = try MarkdownDocument(Self.lesson + "## References\n\nSee also the paper.\n\n" + Self.notes)
        let html = try doc.html(idPrefix: "p-")
        #expect(
            html.contains(
                "<section class=\"footnotes\" data-footnotes aria-labelledby=\"p-hc-footnotes\">\n<h2 class=\"footnotes-title\" id=\"p-hc-footnotes\">Notes</h2>\n<ol>"
            ))
        #expect(!html.contains("footnotes-headed"))
    }

    @Test func backLinksAreRelabelledAndOtherEqualsSignsLeftAlone() throws {
        var options = MarkdownOptions()
        options.footnoteBackLabel = "Zurück zum Text"
        let source = "x = 1, <span id=\"fn-raw\" title=\"a=b\">raw</span>[^a]\n\n`a == b` href=\"#fn-x\"\n\n[^a]: Note.\n"
        let html = try MarkdownDocument(source, options: options).html()
        #expect(html.contains("aria-label=\"Zurück zum Text\""))
        #expect(!html.contains("Back to content"))
        #expect(html.contains("<p>x = 1, <span id=\"fn-raw\" title=\"a=b\">raw</span>"))
        #expect(html.contains("<code class=\"nowrap\">a == b</code> href=&quot;#fn-x&quot;"))
    }

    @Test func aDocumentWithoutFootnotesIsUntouched() throws {
        let doc = try MarkdownDocument("## A\n\n<section class=\"footnotes\" data-footnotes>\n<ol>\n</ol>\n</section>\n")
        #expect(!doc.hasFootnotes)
        #expect(try !doc.html().contains("aria-labelledby"))
    }
}
