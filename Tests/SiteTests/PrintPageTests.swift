import Foundation
import Testing

@testable import Markdown
@testable import Site

/// Print pages are written a body at a time into the rendered page (`PrintPage`).
@Suite struct PrintPageTests {
    let scratch = Scratch()

    /// Each body lands in its own article, once, in reading order; a title holding the token's
    /// characters stays text and does not take a body's place.
    /// Once the pages are written, a body's print copy and search text go (the editions use
    /// neither), its page HTML stays for the EPUB, and the print copy stays when a PDF is printed.
    @Test func printCopiesAndSearchTextGoOnceThePagesAreWritten() {
        let body = RenderedBody(
            html: "<p>page</p>", printHTML: "<p>print</p>", headings: [],
            sections: [SearchSection(headingID: "a", heading: "A", text: "words")], ids: ["a"], anchorChecks: [], files: [],
            exercises: [], warnings: [], errors: [])
        var pages = RenderedPages(rendered: [body, nil], jobs: [], errors: [], partialChecks: [])
        var forPDF = pages
        pages.releaseSiteOnlyParts(keepingPrintHTML: false)
        #expect(pages.rendered[0]?.html == "<p>page</p>" && pages.rendered[0]?.printHTML == "")
        #expect(pages.rendered[0]?.sections.isEmpty == true && pages.rendered[0]?.ids == ["a"] && pages.rendered[1] == nil)
        forPDF.releaseSiteOnlyParts(keepingPrintHTML: true)
        #expect(forPDF.rendered[0]?.printHTML == "<p>print</p>" && forPDF.rendered[0]?.sections.isEmpty == true)
    }

    @Test func bodiesLandInTheirArticlesWhateverTheTitles() async throws {
        let stray = "\u{E005}0\u{E006}"
        let content = scratch.write(
            [
                "course.yml": "title: Pieces\n",
                "01-one/_index.md": "---\ntitle: One\n---\n\nIntro of one.\n",
                "01-one/01-a.md": "---\ntitle: A \(stray)\n---\n\nBody of a.\n",
                "01-one/02-b.md": "---\ntitle: B\ndescription: \(stray)1\u{E006}\n---\n\nBody of b.\n",
                "02-two/01-c.md": "---\ntitle: C\n---\n\nBody of c, [back](../01-one/01-a.md).\n"
            ], in: "course")
        _ = try await build(content, into: scratch)
        let print = scratch.read("out/print.html")
        let articles = captures("<article class=\"print-lesson\" id=\"([^\"]+)\".*?</article>", in: print)
        #expect(articles == ["one/a", "one/b", "two/c"])
        for (id, body) in [("one/a", "Body of a."), ("one/b", "Body of b."), ("two/c", "Body of c")] {
            let article = try #require(captures("(<article class=\"print-lesson\" id=\"\(id)\".*?</article>)", in: print).first)
            #expect(article.contains(body), "\(id)")
            #expect(print.components(separatedBy: body).count == 2, "\(body) once")
        }
        // The introduction in its chapter's section, not in the outline beside the stray title.
        let outline = try #require(captures("(<nav class=\"print-toc\".*?</nav>)", in: print).first)
        #expect(outline.contains("1.1 A \(stray)</a>") && !outline.contains("Intro of one."))
        let one = try #require(captures("(<section class=\"print-chapter\" id=\"one\".*?</section>)", in: print).first)
        #expect(one.contains("Intro of one.") && print.components(separatedBy: "Intro of one.").count == 2)
        #expect(print.contains("A \(stray)</h1>") && print.contains("\(stray)1\u{E006}"))
        // A chapter's page: its bodies only, links moved one folder down.
        let chapter = scratch.read("out/two/_print.html")
        #expect(captures("<article class=\"print-lesson\" id=\"([^\"]+)\"", in: chapter) == ["two/c"])
        #expect(chapter.contains("Body of c, <a href=\"../one/_print.html#one/a\">back</a>"))
        #expect(!chapter.contains("Body of a."))
    }

    /// A printed heading cannot be clicked: print pages give headings their ids (links and the
    /// PDF's outline reach them) but no link to themselves, which the lesson's page keeps.
    @Test func printedHeadingsKeepTheirIdsWithoutSelfLinks() async throws {
        let content = scratch.write(
            [
                "course.yml": "title: Headings\n",
                "01-one/01-a.md":
                    "---\ntitle: A\n---\n\n## First part\n\nText, [to the second](#second-part).\n\n### Second part\n\nMore.\n"
            ], in: "course")
        _ = try await build(content, into: scratch)
        for page in ["out/print.html", "out/one/_print.html"] {
            let print = scratch.read(page)
            #expect(print.contains("<h2 id=\"one/a::first-part\">First part</h2>"), "\(page)")
            #expect(print.contains("<h3 id=\"one/a::second-part\">Second part</h3>"), "\(page)")
            #expect(print.contains("href=\"#one/a::second-part\""), "\(page)")
            #expect(!print.contains("heading-anchor"), "\(page)")
        }
        let lesson = scratch.read("out/one/a.html")
        #expect(lesson.contains("<h2 id=\"first-part\">First part <a class=\"heading-anchor\" href=\"#first-part\""))
    }

    /// On paper every answer and hidden result is open; nothing else changes.
    @Test func answersOpenOnlyTheirOwnDetails() {
        let html =
            "<details class=\"predict-answer\"><summary>é</summary>a</details>\n<details class=\"other\">b</details>"
            + "<details class=\"exercise-reveal\">c</details><details class=\"predict-answer\">"
        #expect(
            PageRenderer.answersOpen(html)
                == "<details class=\"predict-answer\" open><summary>é</summary>a</details>\n<details class=\"other\">b</details>"
                + "<details class=\"exercise-reveal\" open>c</details><details class=\"predict-answer\" open>")
        let plain = "<p>No <details class=\"predict-answer\" here</p><details class=\"predict"
        #expect(PageRenderer.answersOpen(plain) == plain)
    }
}
