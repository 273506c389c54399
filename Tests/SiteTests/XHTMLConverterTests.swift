import Foundation
import Testing

@testable import Site

@Suite struct XHTMLConverterTests {
    let plain = XHTMLConverter(mapLink: { $0 }, mapSource: { $0 })

    @Test func attributesAreQuotedBooleanOnesGetAValueAndVoidElementsClose() {
        #expect(plain.convert("<details open><summary>S</summary></details>") == "<details open=\"\"><summary>S</summary></details>")
        #expect(plain.convert("<p>a<br>b<img src=x.png alt=x></p>") == "<p>a<br/>b<img src=\"x.png\" alt=\"x\"/></p>")
        #expect(plain.convert("<a href=\"#f\" data-footnote-backref>↩</a>") == "<a href=\"#f\" data-footnote-backref=\"\">↩</a>")
    }

    @Test func entitiesResolveAndControlCharactersBecomeVisible() {
        #expect(plain.convert("a&nbsp;b &mdash; &#x41;&#66; &bogus; &lt;") == "a\u{A0}b — AB &amp;bogus; &lt;")
        #expect(plain.convert("<samp>\u{1B}[0m\u{7}</samp>") == "<samp>\u{241B}[0m\u{2407}</samp>")
    }

    @Test func scriptsFormsButtonsAndHandlersAreLeftOut() {
        let html = "<p onclick=\"x()\">t<script>if (a < b) alert(1)</script><button>Run</button><template>x</template></p><input type=text>"
        #expect(plain.convert(html) == "<p>t</p>")
    }

    @Test func unclosedAndStrayTagsStillGiveAWellFormedFragment() {
        #expect(plain.convert("<ul><li>a<li>b</ul></span><p>x<div>y</div>") == "<ul><li>a</li><li>b</li></ul><p>x</p><div>y</div>")
        #expect(plain.convert("a < b <!-- note --> c") == "a &lt; b  c")
    }

    @Test func svgKeepsItsCaseAndGetsItsNamespace() {
        #expect(
            plain.convert("<svg viewBox=\"0 0 1 1\"><linearGradient gradientUnits=\"x\"/></svg>")
                == "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1 1\"><linearGradient gradientUnits=\"x\"/></svg>")
    }

    @Test func idsBecomeXMLNamesAndLinksWithoutATargetKeepTheirText() {
        let converter = XHTMLConverter(
            mapLink: { $0.hasPrefix("#") ? "#" + EPUBNames.id(String($0.dropFirst())) : nil }, mapSource: { _ in nil })
        #expect(
            converter.convert("<h2 id=\"1-intro\">I</h2><a href=\"#1-intro\">go</a>")
                == "<h2 id=\"_1-intro\">I</h2><a href=\"#_1-intro\">go</a>")
        #expect(converter.convert("<a href=\"x.asm\" download>get <code>x</code></a><img src=\"http://e/x.png\">") == "get <code>x</code>")
        #expect(EPUBNames.id("a::b/c") == "a__b_c" && EPUBNames.id("虚拟化") == "虚拟化")
    }

    @Test func sourceLinesGetTheirNumberAsText() {
        #expect(
            plain.convert("<span class=\"line\" id=\"e-L3\" data-line=\"3\">mov</span>")
                == "<span class=\"line\" id=\"e-L3\" data-line=\"3\"><span class=\"ln\" aria-hidden=\"true\">3</span>mov</span>")
    }

    @Test func linksBetweenPagesGoToTheBooksDocuments() {
        let links = EPUBLinks(
            page: "kvm/run-loop.html",
            pages: [
                "index.html": "title.xhtml", "kvm/run-loop.html": "kvm/run-loop.xhtml", "mem/ept.html": "mem/ept.xhtml",
                "mem/index.html": "mem/index.xhtml"
            ],
            resources: ["kvm/fig.png": "02-kvm/fig.png", "kvm/guest.asm": "02-kvm/guest.asm"], baseURL: nil)
        #expect(links.link("../mem/ept.html#2-walk") == "../mem/ept.xhtml#_2-walk")
        #expect(links.link("../mem/") == "../mem/index.xhtml")
        #expect(links.link("../index.html") == "../title.xhtml")
        #expect(links.link("fig.png") == "fig.png")
        #expect(links.link("guest.asm") == nil && links.link("../print.html") == nil && links.link("javascript:x") == nil)
        #expect(links.link("https://example.org/a") == "https://example.org/a")
        let published = EPUBLinks(page: "kvm/run-loop.html", pages: [:], resources: [:], baseURL: "https://course.example.org/v")
        #expect(published.link("guest.asm") == "https://course.example.org/v/kvm/guest.asm")
    }
}
