import Testing

@testable import Markdown

@Suite struct MarkdownDocumentTests {
    @Test func headingsGetStableUniqueIDsAndAnchors() throws {
        let doc = try MarkdownDocument(
            "# Title\n\n## The run loop\n\ntext\n\n## The run loop\n\n### `KVM_RUN` *now*\n\n## Custom {#my-id}\n")
        #expect(doc.headings.map(\.id) == ["title", "the-run-loop", "the-run-loop-1", "kvm_run-now", "my-id"])
        #expect(doc.headings.map(\.level) == [1, 2, 2, 3, 2])
        #expect(doc.headings[3].html == "<code>KVM_RUN</code> <em>now</em>")
        #expect(doc.headings[3].text == "KVM_RUN now")
        #expect(doc.headings[4].text == "Custom")
        #expect(doc.headings.map(\.line) == [1, 3, 7, 9, 11])
        let html = try doc.html()
        #expect(html.contains("<h2 id=\"the-run-loop\">The run loop <a class=\"heading-anchor\" href=\"#the-run-loop\""))
        #expect(html.contains("<h2 id=\"my-id\">Custom <a class=\"heading-anchor\" href=\"#my-id\""))
        #expect(!html.contains("{#my-id}"))
    }

    @Test func idPrefixAppliesToHeadingsAndFootnotes() throws {
        let doc = try MarkdownDocument("## A\n\nSee[^pg74].\n\n[^pg74]: Popek & Goldberg, 1974.\n")
        let html = try doc.html(idPrefix: "ch--l--")
        #expect(html.contains("<h2 id=\"ch--l--a\">"))
        #expect(html.contains("href=\"#ch--l--fn-pg74\" id=\"ch--l--fnref-pg74\""))
        #expect(html.contains("<li id=\"ch--l--fn-pg74\">"))
        #expect(html.contains("href=\"#ch--l--fnref-pg74\""))
        #expect(doc.hasFootnotes)
        #expect(MarkdownDocument.ids(inHTML: html) == ["ch--l--a", "ch--l--fnref-pg74", "ch--l--hc-footnotes", "ch--l--fn-pg74"])
    }

    @Test func footnotesAreLabelledAndLocalised() throws {
        var options = MarkdownOptions()
        options.footnotesTitle = "References"
        options.footnoteBackLabel = "Back to text"
        let doc = try MarkdownDocument("Claim[^a].\n\n[^a]: Source & page.\n", options: options)
        let html = try doc.html()
        #expect(html.contains("<section class=\"footnotes\" data-footnotes aria-labelledby=\"hc-footnotes\">"))
        #expect(html.contains("<h2 class=\"footnotes-title\" id=\"hc-footnotes\">References</h2>"))
        #expect(html.contains("aria-label=\"Back to text\""))
        #expect(!html.contains("Back to content"))
        #expect(html.contains("Source &amp; page."))
    }

    @Test func gfmExtensionsAreOn() throws {
        let doc = try MarkdownDocument("| a | b |\n|---|---|\n| 1 | 2 |\n\n~~gone~~ www.example.com\n\n- [x] done\n- [ ] todo\n")
        let html = try doc.html()
        #expect(html.contains("<table>"))
        #expect(html.contains("<td>1</td>"))
        #expect(html.contains("<del>gone</del>"))
        #expect(html.contains("<a href=\"http://www.example.com\">www.example.com</a>"))
        #expect(html.contains("<input type=\"checkbox\" checked=\"\" disabled=\"\" /> done"))
    }

    @Test func rawHTMLIsKeptButTagFilterNeutralisesScript() throws {
        let doc = try MarkdownDocument(
            "<svg id=\"fig1\" viewBox=\"0 0 1 1\"><rect/></svg>\n\n<script>alert(1)</script>\n\nInline <span id='x2'>y</span>.\n")
        let html = try doc.html()
        #expect(html.contains("<svg id=\"fig1\""))
        #expect(html.contains("&lt;script>alert(1)&lt;/script>"))
        #expect(!html.contains("<script>"))
        #expect(doc.rawHTMLIDs == ["fig1", "x2"])
    }

    @Test func admonitionsInGitHubAlertForm() throws {
        var options = MarkdownOptions()
        options.admonitionTitles["warning"] = "Attention"
        let doc = try MarkdownDocument(
            "> [!NOTE]\n> Useful **info**.\n\n> [!warning]\n> Careful.\n\n> [!NOTE] not alone\n\n> plain quote\n", options: options)
        let html = try doc.html()
        #expect(doc.admonitions == [Admonition(kind: "note", line: 1), Admonition(kind: "warning", line: 4)])
        #expect(html.contains("<div class=\"admonition admonition-note\" role=\"note\"><p class=\"admonition-title\"><svg"))
        #expect(html.contains("Note</p>\n<p>Useful <strong>info</strong>.</p>\n</div>"))
        #expect(html.contains("Attention</p>"))
        #expect(html.contains("<blockquote>\n<p>[!NOTE] not alone</p>"))
        #expect(html.contains("<blockquote>\n<p>plain quote</p>"))
        #expect(!doc.sections[0].text.contains("[!NOTE]\n"))
        #expect(doc.sections[0].text.hasPrefix("Useful info."))
    }

    @Test func linksAreReportedWithPositionsAndRewritable() throws {
        let doc = try MarkdownDocument(
            "Intro\n\nSee [the loop](../05-kvm/kvm.md#the-run-loop) and ![a diagram](img/d.svg).\n\n[ext](https://example.com)\n")
        #expect(doc.links.count == 3)
        #expect(
            doc.links[0]
                == LinkReference(index: 0, kind: .link, destination: "../05-kvm/kvm.md#the-run-loop", altText: "", line: 3, column: 5))
        #expect(doc.links[1].kind == .image)
        #expect(doc.links[1].altText == "a diagram")
        let html = try doc.html { link in
            link.destination.hasSuffix(".md#the-run-loop") ? "../kvm/kvm.html#the-run-loop" : nil
        }
        #expect(html.contains("<a href=\"../kvm/kvm.html#the-run-loop\">the loop</a>"))
        #expect(html.contains("<img src=\"img/d.svg\" alt=\"a diagram\" />"))
        #expect(html.contains("<a href=\"https://example.com\">ext</a>"))
    }

    @Test func codeBlocksAreHighlightedOrReplaced() throws {
        let source = "```asm\nmov al, 'H' ; say H\nout dx, al\n```\n\n```asm exercise id=x\nhlt\n```\n\n```rust\nfn main() {}\n```\n"
        var seen: [CodeBlock] = []
        let doc = try MarkdownDocument(source) { block in
            seen.append(block)
            return block.info.contains("exercise")
                ? CodeBlockReplacement(html: "<div class=\"placeholder\"></div>", searchText: "shown-instead") : nil
        }
        #expect(seen.map(\.line) == [1, 6, 10])
        #expect(seen[1].info == "asm exercise id=x")
        #expect(seen[1].literal == "hlt\n")
        let html = try doc.html()
        #expect(
            html.contains(
                "<pre data-lang=\"asm\" tabindex=\"0\"><code class=\"language-nasm\"><span class=\"k\">mov</span> <span class=\"nb\">al</span>, <span class=\"s\">&#39;H&#39;</span> <span class=\"c\">; say H</span>"
            ))
        #expect(html.contains("<div class=\"placeholder\"></div>"))
        #expect(html.contains("<pre data-lang=\"rust\" tabindex=\"0\"><code>fn main() {}\n</code></pre>"))
        // A replaced block is searched by the text its caller gave, not by its own.
        #expect(doc.sections[0].text.contains("shown-instead") && !doc.sections[0].text.contains("hlt"))
        #expect(doc.sections[0].text.contains("mov al, 'H' ; say H out dx, al"))
    }

    /// `data-lang` labels a block with its info word as written (cmark-gfm's `language-` class);
    /// a block without one has no label.
    @Test func codeBlockLabelIsTheInfoWordAsWritten() throws {
        let html = try MarkdownDocument("```Python title=x\nprint(1)\n```\n\n```\nplain\n```\n\n    indented\n").html()
        #expect(html.contains("<pre data-lang=\"Python\" tabindex=\"0\"><code>print(1)\n</code></pre>"))
        #expect(html.contains("<pre tabindex=\"0\"><code class=\"language-text\">plain\n</code></pre>"))
        #expect(html.contains("<pre tabindex=\"0\"><code class=\"language-text\">indented\n</code></pre>"))
    }

    /// A code span in a table cell kept its text: the cell refused the node that marks it
    /// unbreakable, and the span was unlinked anyway (`<td></td>` on the published pages).
    @Test func codeSpansInTableCellsAreKept() throws {
        let source = """
            | Instruction | What it does |
            | --- | --- |
            | `SGDT`, `SIDT`, `SLDT` | Store the GDT register |
            | **`PUSHF`** | [`POPF`](x.md) ~~`CLI`~~ *`STI`* and a long one: `mov eax, [ebx + ecx * 4 + 0x1000]` |

            """
        let html = try MarkdownDocument(source).html()
        #expect(
            html.contains(
                "<td><code class=\"nowrap\">SGDT</code>, <code class=\"nowrap\">SIDT</code>, <code class=\"nowrap\">SLDT</code></td>"))
        #expect(html.contains("<td><strong><code class=\"nowrap\">PUSHF</code></strong></td>"))
        #expect(
            html.contains(
                "<a href=\"x.md\"><code class=\"nowrap\">POPF</code></a> <del><code class=\"nowrap\">CLI</code></del> <em><code class=\"nowrap\">STI</code></em>"
            ))
        #expect(html.contains("a long one: <code>mov eax, [ebx + ecx * 4 + 0x1000]</code></td>"))
        #expect(!html.contains("<td></td>"))
    }

    /// Table cells, rows and block quotes end a word in search text, as paragraphs do.
    @Test func searchTextSeparatesTableCells() throws {
        let doc = try MarkdownDocument("| Instruction | Reveals |\n|---|---|\n| `SGDT` | the GDTR |\n| PUSHF | IF |\n\n> quoted\n\nafter\n")
        #expect(doc.sections[0].text == "Instruction Reveals SGDT the GDTR PUSHF IF quoted after")
    }

    @Test func searchSectionsFollowHeadings() throws {
        let doc = try MarkdownDocument("Lead text.\n\n## First\n\nAlpha `code` beta.\n\n#### Deep\n\nGamma.\n\n## Second\n\n- one\n- two\n")
        #expect(doc.sections.count == 3)
        #expect(doc.sections[0] == SearchSection(headingID: nil, heading: "", text: "Lead text."))
        #expect(doc.sections[1].headingID == "first")
        #expect(doc.sections[1].text == "Alpha code beta. Deep Gamma.")
        #expect(doc.sections[2].text == "one two")
    }

    @Test func imagesWithoutAltInRawHTMLAreFound() throws {
        let doc = try MarkdownDocument("text\n\n<div>\n<img src=\"a.png\">\n<img alt=\"ok\" src=\"b.png\">\n</div>\n")
        #expect(doc.rawImagesWithoutAlt == [4])
    }

    /// An `<svg role="img">` is named by `aria-label` or `aria-labelledby` only: GFM's tagfilter
    /// escapes a `<title>` child, so the page would show a nameless image.
    @Test func svgImagesWithoutNameInRawHTMLAreFound() throws {
        let doc = try MarkdownDocument(
            """
            text

            <figure>
            <svg role="img" viewBox="0 0 1 1">
            <title>Escaped by the tagfilter</title>
            </svg>
            <svg viewBox="0 0 1 1"
                 role='img' aria-label="A named figure"></svg>
            <svg role="img" aria-labelledby="cap"></svg>
            <svg role="img" aria-label=""></svg>
            <svg aria-hidden="true"></svg>
            <SVG ROLE="IMG"></SVG>
            </figure>
            """)
        #expect(doc.rawSVGImagesWithoutName == [4, 10, 12])
        #expect(try doc.html().contains("&lt;title>"), "the tagfilter this check relies on is on")
    }

    /// Short code spans never break across lines (`--steps 10` split at its hyphen on a phone);
    /// long ones are left to wrap. Headings keep plain `<code>`.
    @Test func shortCodeSpansAreMarkedUnbreakable() throws {
        let doc = try MarkdownDocument(
            "Run `--steps 10` or `a<b & 'c'` or `hypercourse run --mode long --trace --json hello64.asm`.\n\n## The `KVM_RUN` call\n\n`ünïcödé-ünïcödé-ünïcödé-` `ünïcödé-ünïcödé-ünïcödé-ü`\n"
        )
        let html = try doc.html()
        #expect(
            html.contains(
                "Run <code class=\"nowrap\">--steps 10</code> or <code class=\"nowrap\">a&lt;b &amp; &#39;c&#39;</code> or <code>hypercourse run --mode long --trace --json hello64.asm</code>."
            ))
        #expect(html.contains("The <code>KVM_RUN</code> call"))
        // The limit counts characters (24), not UTF-8 bytes.
        #expect(html.contains("<code class=\"nowrap\">ünïcödé-ünïcödé-ünïcödé-</code> <code>ünïcödé-ünïcödé-ünïcödé-ü</code>"))
        #expect(doc.sections.contains { $0.text.contains("--steps 10") })
    }
}

/// Chinese source wrapped at any column reads as one sentence; English keeps its line breaks.
@Suite struct EastAsianLineBreakTests {
    @Test func aBreakBetweenHanCharactersDisappearsFromPageAndSearchText() throws {
        let doc = try MarkdownDocument("虚拟机监控器让客户机\n直接运行，**陷入**\n并模拟。\n")
        let html = try doc.html()
        #expect(html.contains("<p>虚拟机监控器让客户机直接运行，<strong>陷入</strong>并模拟。</p>"))
        #expect(doc.sections.map(\.text).joined().contains("客户机直接运行"))
    }

    @Test func breaksBesideLatinTextStay() throws {
        let html = try MarkdownDocument("the guest\nruns 客户机\nKVM 模块\n`KVM_RUN`\n运行\n").html()
        #expect(html.contains("the guest\nruns 客户机\nKVM 模块\n<code class=\"nowrap\">KVM_RUN</code>\n运行"))
    }

    @Test func fullWidthPunctuationCountsAsWideAndCurlyQuotesDoNot() {
        #expect(EastAsianLineBreaks.isWide("，"))
        #expect(EastAsianLineBreaks.isWide("（"))
        #expect(EastAsianLineBreaks.isWide("。"))
        #expect(!EastAsianLineBreaks.isWide("\u{201C}"))
        #expect(!EastAsianLineBreaks.isWide("a"))
    }
}
