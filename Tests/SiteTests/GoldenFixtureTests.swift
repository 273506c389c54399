import Foundation
import Testing

@testable import Site

/// Builds the fixture course once per test and checks the HTML's structure: navigation, ids,
/// tables of contents, highlighting, links, search index.
@Suite struct GoldenFixtureTests {
    let scratch = Scratch()
    var out: (String) -> String { { self.scratch.read("out/" + $0) } }

    func built() async throws -> BuildSummary {
        try await build(Repo.fixture, into: scratch)
    }

    @Test func pagesAndSummary() async throws {
        let summary = try await built()
        #expect(summary.chapters == 3)
        #expect(summary.lessons == 6) // the draft is left out
        #expect(summary.pages == 3 + 3 + 3 + 6) // index, print, 404 + chapters + their print pages + lessons
        #expect(summary.exercises == 1)
        #expect(summary.exercisesRun == 0 && summary.exercisesRecorded == 0)
        for page in [
            "index.html", "print.html", "404.html", "search-index.js", "search/t0.js", "search/d0.js", "sidebar.js", "assets/style.css",
            "assets/site.js", "assets/search.js", "assets/favicon.svg",
            "foundations/index.html", "foundations/what-is-a-vm.html", "foundations/history.html", "foundations/img/trap.svg",
            "cpu-virtualization/index.html", "cpu-virtualization/sensitive.html", "cpu-virtualization/kvm-basics.html",
            "memory-virtualization/index.html", "memory-virtualization/shadow-paging.html", "memory-virtualization/ept.html",
            "out/.hypercourse-output"
        ].map({ $0.hasPrefix("out/") ? String($0.dropFirst(4)) : $0 }) {
            #expect(scratch.exists("out/" + page), "\(page) missing")
        }
        #expect(!scratch.exists("out/foundations/unfinished.html"))
    }

    @Test func everyPageHasLangLandmarksAndOnlyRelativeURLs() async throws {
        _ = try await built()
        let pages = [
            "index.html", "print.html", "404.html", "foundations/index.html", "foundations/what-is-a-vm.html",
            "cpu-virtualization/kvm-basics.html"
        ]
        for page in pages {
            let html = out(page)
            #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\" dir=\"ltr\">"), "\(page)")
            #expect(html.contains("<a class=\"skip-link\" href=\"#hc-main\">Skip to content</a>"), "\(page)")
            #expect(html.contains("<header class=\"site-header\">"), "\(page)")
            #expect(html.contains("<nav id=\"hc-sidebar\" class=\"sidebar\" aria-label=\"Course navigation\">"), "\(page)")
            #expect(html.contains("<main id=\"hc-main\" class=\"main\" tabindex=\"-1\">"), "\(page)")
            #expect(html.contains("<footer class=\"site-footer\">"), "\(page)")
            for url in captures("(?:href|src)=\"([^\"]*)\"", in: html) {
                #expect(!url.hasPrefix("/") && !url.hasPrefix("http:") && !url.contains("://"), "\(page): non-relative URL \(url)")
            }
        }
    }

    @Test func homeOutlineIsInReadingOrder() async throws {
        _ = try await built()
        let home = out("index.html")
        #expect(home.contains("<title>Virtualization Fixture</title>"))
        #expect(
            home.contains(
                "<meta name=\"description\" content=\"Trap-and-emulate, KVM and memory virtualization in three short chapters, used by the site generator&#39;s golden tests and browser check.\">"
            ))
        let outline = captures("<li class=\"outline-chapter\">\\s*<h3><a href=\"([^\"]+)\">", in: home)
        #expect(outline == ["foundations/index.html", "cpu-virtualization/index.html", "memory-virtualization/index.html"])
        let lessons = captures("<ol class=\"outline-lessons\">(.*?)</ol>", in: home).flatMap { captures("<a href=\"([^\"]+)\">", in: $0) }
        #expect(
            lessons == [
                "foundations/what-is-a-vm.html", "foundations/history.html", "cpu-virtualization/sensitive.html",
                "cpu-virtualization/kvm-basics.html", "memory-virtualization/shadow-paging.html", "memory-virtualization/ept.html"
            ])
        // content/_index.md: between the hero and the outline, its title as the heading, links rewritten.
        let intro = captures("(<section class=\"home-intro content\".*?</section>)", in: home).first ?? ""
        #expect(
            intro.hasPrefix(
                "<section class=\"home-intro content\" aria-labelledby=\"hc-intro-title\">\n    <h2 id=\"hc-intro-title\">About this course</h2>"
            ))
        #expect(intro.contains("<a href=\"foundations/what-is-a-vm.html\">what a virtual machine is</a>"))
        #expect(intro.contains("<a href=\"cpu-virtualization/kvm-basics.html#the-run-loop\">the run loop</a>"))
        #expect(
            intro.contains(
                "<h2 id=\"how-the-exercises-work\">How the exercises work <a class=\"heading-anchor\" href=\"#how-the-exercises-work\""))
        let heroEnd = home.range(of: "</header>\n  <section class=\"home-intro")
        let outlineStart = home.range(of: "<section class=\"outline\"")
        #expect(heroEnd != nil && outlineStart != nil && heroEnd!.upperBound < outlineStart!.lowerBound)
        // Titles: course.yml wins over _index.md; a bare path gets a title derived from the folder.
        #expect(home.contains("<span class=\"num\">1</span> Foundations</a>"))
        #expect(home.contains("<span class=\"num\">2</span> Cpu virtualization</a>"))
        #expect(home.contains("<a class=\"button button-primary\" href=\"foundations/index.html\">Start reading →</a>"))
    }

    @Test func lessonSidebarBreadcrumbsAndPager() async throws {
        _ = try await built()
        let page = out("foundations/what-is-a-vm.html")
        #expect(page.contains("<title>What is a virtual machine? · Virtualization Fixture</title>"))
        let current = captures("<a href=\"([^\"]+)\" aria-current=\"page\">", in: page)
        #expect(current == ["what-is-a-vm.html"])
        // Without JavaScript the page's own sidebar holds its chapter and a link to the outline;
        // sidebar.js (SidebarTests) puts the whole course there.
        let sidebarLinks = captures("<nav id=\"hc-sidebar\".*?</nav>", in: page).flatMap { captures("href=\"([^\"]+)\"", in: $0) }
        #expect(sidebarLinks == ["index.html", "what-is-a-vm.html", "history.html", "../index.html#hc-outline-title"])
        #expect(page.contains("</nav>\n<script src=\"../sidebar.js\"></script>"))
        let crumbs = captures("<nav class=\"breadcrumbs\".*?</nav>", in: page)[0]
        #expect(captures("href=\"([^\"]+)\"", in: crumbs) == ["../index.html", "index.html"])
        #expect(crumbs.contains("<li aria-current=\"page\">What is a virtual machine?</li>"))
        #expect(
            page.contains(
                "<a class=\"pager-link pager-prev\" href=\"index.html\" rel=\"prev\"><span class=\"pager-label\">← Previous</span><span class=\"pager-title\">Foundations</span></a>"
            ))
        #expect(
            page.contains(
                "<a class=\"pager-link pager-next\" href=\"history.html\" rel=\"next\"><span class=\"pager-label\">Next →</span><span class=\"pager-title\">A short history</span></a>"
            ))
        // The last lesson has no next link; the chapter page after a chapter's lessons is next.
        #expect(!out("memory-virtualization/ept.html").contains("rel=\"next\""))
        #expect(out("cpu-virtualization/kvm-basics.html").contains("href=\"../memory-virtualization/index.html\" rel=\"next\""))
    }

    @Test func headingIDsAnchorsAndTableOfContents() async throws {
        _ = try await built()
        let page = out("foundations/what-is-a-vm.html")
        let content = captures("<div class=\"content\">(.*?)<nav class=\"pager\"", in: page)[0]
        #expect(captures("<h[23] id=\"([^\"]+)\">", in: content) == ["three-properties", "equivalence-in-practice", "trap-and-emulate"])
        #expect(
            content.contains(
                "<h2 id=\"three-properties\">Three properties <a class=\"heading-anchor\" href=\"#three-properties\" aria-label=\"Link to this section: Three properties\">#</a></h2>"
            ))
        let toc = captures("<nav class=\"toc toc-side\".*?</nav>", in: page)[0]
        #expect(toc.contains("<h2 id=\"hc-toc-title\" class=\"toc-title\">On this page</h2>"))
        #expect(captures("href=\"#([^\"]+)\"", in: toc) == ["three-properties", "equivalence-in-practice", "trap-and-emulate"])
        // h3 nested under its h2.
        #expect(
            toc.range(
                of: "<li><a href=\"#three-properties\">Three properties</a>\n    <ol>\n      <li><a href=\"#equivalence-in-practice\">")
                != nil)
        #expect(page.contains("<details class=\"toc toc-inline\">"))
        // Objectives box.
        #expect(page.contains("<h2 id=\"hc-objectives-title\" class=\"objectives-title\">In this lesson you will</h2>"))
        #expect(page.contains("<li>Explain why privileged instructions must trap</li>"))
    }

    @Test func markdownFeaturesRender() async throws {
        _ = try await built()
        let page = out("foundations/what-is-a-vm.html")
        #expect(page.contains("<table>"))
        #expect(page.contains("<del>Perfect</del>"))
        #expect(page.contains("<div class=\"admonition admonition-note\" role=\"note\"><p class=\"admonition-title\"><svg"))
        #expect(page.contains("<div class=\"admonition admonition-warning\" role=\"note\">"))
        #expect(page.contains("<input type=\"checkbox\" checked=\"\" disabled=\"\" /> Read the definition"))
        #expect(page.contains("<sup class=\"footnote-ref\"><a href=\"#fn-pg74\" id=\"fnref-pg74\" data-footnote-ref>1</a></sup>"))
        #expect(page.contains("<h2 class=\"footnotes-title\" id=\"hc-footnotes\">Notes</h2>"))
        #expect(page.contains("aria-label=\"Back to the text\""))
        #expect(page.contains("<img src=\"img/trap.svg\" alt=\"A guest trapping into the hypervisor\" />"))
        // Highlighting: NASM in a nasm block, AT&T detected in an asm block.
        #expect(
            page.contains(
                "<pre data-lang=\"nasm\" tabindex=\"0\"><code class=\"language-nasm\"><span class=\"c\">; ANCHOR is not special here: this block is inline</span>"
            ))
        #expect(page.contains("<span class=\"k\">out</span> <span class=\"nb\">dx</span>, <span class=\"nb\">al</span>"))
        #expect(
            page.contains(
                "<code class=\"language-gas\">    <span class=\"k\">movw</span> <span class=\"m\">$0x3f8</span>, <span class=\"nb\">%dx</span>"
            ))
        let history = out("foundations/history.html")
        #expect(history.contains("<svg id=\"timeline-figure\""))
        #expect(history.contains("<a href=\"#timeline-figure\">the figure</a>"))
        let sensitive = out("cpu-virtualization/sensitive.html")
        #expect(sensitive.contains("<span class=\"cp\">#include</span> <span class=\"s\">&lt;stdint.h&gt;</span>"))
        #expect(sensitive.contains("<span class=\"nf\">read_flags</span>"))
        #expect(sensitive.contains("admonition-tip") && sensitive.contains("admonition-caution"))
    }

    @Test func linksAreRewrittenToPages() async throws {
        _ = try await built()
        let page = out("foundations/what-is-a-vm.html")
        #expect(page.contains("<a href=\"../cpu-virtualization/index.html\">the next chapter</a>"))
        #expect(page.contains("<a href=\"../cpu-virtualization/kvm-basics.html#the-run-loop\">KVM basics</a>"))
        #expect(out("foundations/index.html").contains("<a href=\"what-is-a-vm.html#trap-and-emulate\">trap-and-emulate</a>"))
        #expect(out("foundations/history.html").contains("<a href=\"what-is-a-vm.html#three-properties\">the three properties</a>"))
        // `slug:` changes the URL; authors still link to the file.
        let kvm = out("cpu-virtualization/kvm-basics.html")
        #expect(kvm.contains("<a href=\"sensitive.html#the-offending-instructions\">sensitive instructions</a>"))
        #expect(kvm.contains("<a href=\"#exercise-hello\">exercise above</a>"))
        #expect(out("cpu-virtualization/sensitive.html").contains("<a href=\"../foundations/index.html\">the foundations</a>"))
    }

    @Test func includesAndExercisePlaceholder() async throws {
        _ = try await built()
        let kvm = out("cpu-virtualization/kvm-basics.html")
        // Anchor include: only the marked lines, without the ANCHOR markers.
        #expect(
            kvm.contains(
                "<code class=\"language-nasm\">    <span class=\"k\">mov</span> <span class=\"nb\">dx</span>, <span class=\"m\">0x3f8</span>\n    <span class=\"k\">mov</span> <span class=\"nb\">al</span>, <span class=\"s\">&#39;H&#39;</span>\n    <span class=\"k\">out</span> <span class=\"nb\">dx</span>, <span class=\"nb\">al</span>\n</code>"
            ))
        #expect(!kvm.contains("ANCHOR"))
        // Line range include.
        #expect(
            kvm.contains(
                "<code class=\"language-nasm\">    <span class=\"cp\">bits</span> <span class=\"m\">16</span>\n    <span class=\"cp\">org</span> <span class=\"m\">0x7c00</span>\n</code>"
            ))
        // Exercise without a provider: highlighted, numbered source and a note.
        let exercise = captures("(<figure class=\"exercise is-pending\" id=\"exercise-hello\".*?</figure>)", in: kvm)
        #expect(exercise.count == 1)
        #expect(
            exercise.first?.contains(
                "<span class=\"line\" id=\"exercise-hello-L6\" data-line=\"6\">    <span class=\"k\">hlt</span></span>") == true)
        #expect(exercise.first?.contains("This exercise runs when the course is built with its hypervisor") == true)
        #expect(
            kvm.contains(
                "<pre data-lang=\"haskell\" tabindex=\"0\"><code>main = putStrLn &quot;&lt;not highlighted&gt;&quot;\n</code></pre>"))
        #expect(kvm.contains("<span class=\"gp\">$</span>"))
    }

    @Test func chapterPages() async throws {
        _ = try await built()
        let foundations = out("foundations/index.html")
        #expect(foundations.contains("<h1 id=\"hc-page-title\">Foundations</h1>"))
        #expect(foundations.contains("<p class=\"lead\">Why virtual machines exist and what a hypervisor must guarantee.</p>"))
        #expect(foundations.contains("<h2 id=\"how-to-read-this-chapter\">"))
        #expect(captures("<li class=\"card\"><a href=\"([^\"]+)\">", in: foundations) == ["what-is-a-vm.html", "history.html"])
        let cpu = out("cpu-virtualization/index.html")
        #expect(cpu.contains("<h1 id=\"hc-page-title\">Cpu virtualization</h1>"))
        #expect(captures("<a class=\"nav-chapter-link\" href=\"([^\"]+)\" aria-current=\"page\">", in: cpu) == ["index.html"])
        // Weight orders lessons (shadow-paging weight 1 before ept weight 2, against the alphabet).
        #expect(
            captures("<li class=\"card\"><a href=\"([^\"]+)\">", in: out("memory-virtualization/index.html")) == [
                "shadow-paging.html", "ept.html"
            ])
    }

    @Test func printPageHasEverythingWithUniqueIDs() async throws {
        _ = try await built()
        let print = out("print.html")
        let sections = captures("<article class=\"print-lesson\" id=\"([^\"]+)\"", in: print)
        #expect(
            sections == [
                "foundations/what-is-a-vm", "foundations/history", "cpu-virtualization/sensitive", "cpu-virtualization/kvm-basics",
                "memory-virtualization/shadow-paging", "memory-virtualization/ept"
            ])
        #expect(print.contains("<h2 id=\"foundations/what-is-a-vm::three-properties\">"))
        #expect(print.contains("<h2 id=\"foundations::how-to-read-this-chapter\">"))
        #expect(print.contains("<a href=\"#cpu-virtualization/kvm-basics::the-run-loop\">KVM basics</a>"))
        #expect(print.contains("<a href=\"#cpu-virtualization\">the next chapter</a>"))
        #expect(print.contains("id=\"foundations/what-is-a-vm::fn-pg74\""))
        #expect(print.contains("<img src=\"foundations/img/trap.svg\""))
        let ids = captures(" id=\"([^\"]+)\"", in: print)
        #expect(
            Set(ids).count == ids.count,
            "duplicate ids: \(Dictionary(grouping: ids, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted())")
    }

    @Test func searchIndexHasSectionsOfEveryPage() async throws {
        _ = try await built()
        let docs = try searchDocs(scratch.url.appendingPathComponent("out"))
        let urls = docs.map(\.url)
        #expect(urls.contains("foundations/what-is-a-vm.html#trap-and-emulate"))
        #expect(urls.contains("foundations/index.html#how-to-read-this-chapter"))
        #expect(urls.contains("cpu-virtualization/sensitive.html#the-offending-instructions"))
        let trap = try #require(docs.first { $0.url == "foundations/what-is-a-vm.html#trap-and-emulate" })
        #expect(trap.page == "What is a virtual machine?")
        #expect(trap.chapter == "Foundations")
        #expect(trap.heading == "Trap-and-emulate")
        // Its words: from the text (counted), the page's title (+6) and the heading (+12).
        for word in ["executes", "privileged", "traps", "vmm"] { #expect(trap.words[word].map { $0 % 6 } ?? 0 > 0, "\(word)") }
        #expect(trap.words["machine"].map { $0 % 12 >= 6 } == true && trap.words["trap"].map { $0 >= 12 } == true)
        #expect(!docs.contains { $0.words["drafts"] != nil })
        // The home page's introduction is searchable, section by section.
        let home = docs.first { $0.url == "index.html#how-the-exercises-work" }
        #expect(home?.page == "About this course" && home?.chapter == "Virtualization Fixture" && home?.heading == "How the exercises work")
        #expect(home?.words["searchable"] != nil && home?.excerpt.hasPrefix("Every exercise is a guest program") == true)
        #expect(docs.contains { $0.url == "index.html" && $0.excerpt.contains("This fixture course has three short chapters.") })
        #expect(!searchIndexText(scratch.url.appendingPathComponent("out")).contains("<")) // escaped as \u003c, safe in any context
    }

    @Test func draftsWhenAsked() async throws {
        let summary = try await build(Repo.fixture, into: scratch, drafts: true)
        #expect(summary.lessons == 7)
        #expect(scratch.exists("out/foundations/unfinished.html"))
    }

    /// Each chapter on its own print page: its lessons only, links inside the chapter kept, links to
    /// another chapter sent to that chapter's print page, files one folder up.
    @Test func eachChapterHasAPrintPage() async throws {
        _ = try await built()
        let page = out("cpu-virtualization/_print.html")
        #expect(
            captures("<article class=\"print-lesson\" id=\"([^\"]+)\"", in: page) == [
                "cpu-virtualization/sensitive", "cpu-virtualization/kvm-basics"
            ])
        #expect(page.contains("href=\"#cpu-virtualization/sensitive::the-offending-instructions\""))
        #expect(page.contains("href=\"../foundations/_print.html#foundations\""))
        #expect(out("foundations/_print.html").contains("src=\"../foundations/img/trap.svg\""))
        #expect(page.contains("<link rel=\"stylesheet\" href=\"../assets/style.css\">"))
        // The move adds no link to an id the page lacks (print.html's own are its own matter).
        func missing(_ html: String) -> Set<String> {
            let ids = Set(captures(" id=\"([^\"]+)\"", in: html))
            return Set(captures("href=\"#([^\"]+)\"", in: html).filter { !ids.contains($0) })
        }
        #expect(missing(page).isSubset(of: missing(out("print.html"))), "\(missing(page))")
        // Nothing this page holds is sought on the whole course's print page (an exercise card's
        // line links stay on the card).
        let ids = Set(captures(" id=\"([^\"]+)\"", in: page))
        let sentAway = Set(captures("href=\"\\.\\./print\\.html#([^\"]+)\"", in: page))
        #expect(sentAway.isDisjoint(with: ids), "\(sentAway.intersection(ids))")
        #expect(out("cpu-virtualization/index.html").contains("<a href=\"_print.html\">Print this chapter</a>"))
        #expect(out("foundations/_print.html").contains("<article class=\"print-lesson\" id=\"foundations/what-is-a-vm\""))
    }

    /// A chapter print page's links, one by one: an exercise card's own anchors (no chapter, no page
    /// prefix) stay on the page; a link into another chapter goes to its print page, one to the home
    /// page's introduction to print.html.
    @Test func chapterPrintLinksKeepACardsOwnAnchors() {
        let links = PrintLinks(chapterSlug: "memory", chapterSlugs: ["memory", "io"])
        #expect(links.url("#exercise-probe-L2") == "#exercise-probe-L2")
        #expect(links.url("#memory/ept::walk") == "#memory/ept::walk")
        #expect(links.url("#io/uart::fifo") == "../io/_print.html#io/uart::fifo")
        #expect(links.url("#io") == "../io/_print.html#io")
        #expect(links.url("#hc-home::why") == "../print.html#hc-home::why")
        #expect(links.url("img/a.svg") == "../img/a.svg")
    }

    /// Two builds of the same course write the same files with the same bytes, every one of them.
    @Test func buildsAreByteIdentical() async throws {
        _ = try await build(Repo.fixture, into: scratch, out: "a")
        _ = try await build(Repo.fixture, into: scratch, out: "b")
        let a = try files(under: scratch.url.appendingPathComponent("a")), b = try files(under: scratch.url.appendingPathComponent("b"))
        #expect(a.keys.sorted() == b.keys.sorted())
        #expect(a.count > 20 && a.keys.contains("search/t0.js") && a.keys.contains("sidebar.js"))
        for (path, bytes) in a.sorted(by: { $0.key < $1.key }) {
            #expect(bytes == b[path], "\(path) differs between builds")
        }
    }

    private func files(under root: URL) throws -> [String: Data] {
        var result: [String: Data] = [:]
        let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
        while let url = walker?.nextObject() as? URL {
            guard try url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true else { continue }
            result[String(url.path.dropFirst(root.path.count + 1))] = try Data(contentsOf: url)
        }
        return result
    }
}
