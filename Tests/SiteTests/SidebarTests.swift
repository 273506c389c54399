import Foundation
import Testing

@testable import Site

/// The sidebar lives in one shared file, `sidebar.js`; a page holds only its own chapter, for
/// readers without JavaScript. The browser check shows the script at work.
@Suite struct SidebarTests {
    let scratch = Scratch()

    /// A course of `chapters` chapters of three lessons each, the same titles for the same places.
    func course(chapters: Int, in folder: String) -> URL {
        var files = ["course.yml": "title: Sizes\n"]
        for c in 1...chapters {
            let chapter = String(format: "%02d-chapter-%02d", c, c)
            for l in 1...3 {
                files["\(chapter)/0\(l)-lesson-\(l).md"] = "---\ntitle: Lesson \(l)\n---\n\n## Part\n\nText of lesson \(l).\n"
            }
        }
        return scratch.write(files, in: folder)
    }

    /// The HTML the shared sidebar puts in place: the JSON string `sidebar.js` holds, decoded.
    func sharedList(_ script: String) throws -> String {
        let start = try #require(script.range(of: "box.innerHTML = "))
        let end = try #require(script.range(of: ";\n", range: start.upperBound..<script.endIndex))
        let literal = String(script[start.upperBound..<end.lowerBound])
        return try #require(try JSONSerialization.jsonObject(with: Data(literal.utf8), options: .fragmentsAllowed) as? String)
    }

    @Test func aPageDoesNotGrowWithTheNumberOfChapters() async throws {
        _ = try await build(course(chapters: 3, in: "small"), into: scratch, out: "small-out")
        _ = try await build(course(chapters: 40, in: "large"), into: scratch, out: "large-out")
        for page in ["chapter-01/lesson-1.html", "chapter-01/index.html", "chapter-02/lesson-3.html", "404.html"] {
            let small = scratch.read("small-out/" + page), large = scratch.read("large-out/" + page)
            #expect(!small.isEmpty && small == large, "\(page): \(small.utf8.count) bytes with 3 chapters, \(large.utf8.count) with 40")
        }
        // What grows is the one shared file.
        let smallList = try sharedList(scratch.read("small-out/sidebar.js")),
            largeList = try sharedList(scratch.read("large-out/sidebar.js"))
        #expect(captures("href=\"([^\"]+)\"", in: smallList).count == 3 * 4 && captures("href=\"([^\"]+)\"", in: largeList).count == 40 * 4)
    }

    @Test func theSharedSidebarListsEveryPageFromTheRoot() async throws {
        _ = try await build(Repo.fixture, into: scratch)
        let script = scratch.read("out/sidebar.js")
        let list = try sharedList(script)
        #expect(
            captures("href=\"([^\"]+)\"", in: list) == [
                "foundations/index.html", "foundations/what-is-a-vm.html", "foundations/history.html", "cpu-virtualization/index.html",
                "cpu-virtualization/sensitive.html", "cpu-virtualization/kvm-basics.html", "memory-virtualization/index.html",
                "memory-virtualization/shadow-paging.html", "memory-virtualization/ept.html"
            ])
        // No page is current in the shared file: the script marks the page it runs on.
        #expect(!list.contains("aria-current") && !list.contains("is-active"))
        #expect(script.contains("var everyChapterOpen = true;"))
        // Every page loads it right after its sidebar, from the root.
        #expect(scratch.read("out/index.html").contains("</nav>\n<script src=\"sidebar.js\"></script>"))
        #expect(scratch.read("out/cpu-virtualization/index.html").contains("</nav>\n<script src=\"../sidebar.js\"></script>"))
        #expect(scratch.read("out/cpu-virtualization/index.html").contains("data-root=\"../\" data-page=\"cpu-virtualization/index.html\""))
    }

    /// Without JavaScript: the chapter page marks itself; a root page has no chapter, only the outline.
    @Test func theFallbackHoldsTheCurrentChapter() async throws {
        _ = try await build(Repo.fixture, into: scratch)
        let chapter = scratch.read("out/cpu-virtualization/index.html")
        let nav = try #require(captures("<nav id=\"hc-sidebar\".*?</nav>", in: chapter).first)
        #expect(
            captures("href=\"([^\"]+)\"", in: nav) == ["index.html", "sensitive.html", "kvm-basics.html", "../index.html#hc-outline-title"])
        #expect(captures("<a class=\"nav-chapter-link\" href=\"([^\"]+)\" aria-current=\"page\">", in: nav) == ["index.html"])
        // Every page carries it: a link is its number and its title, with no other markup and no indentation.
        #expect(nav.contains("\n<li><a href=\"sensitive.html\"><span>2.1</span> "))
        #expect(!nav.contains("class=\"num\"") && !nav.contains("class=\"label\"") && !nav.contains("\n "))
        let home = try #require(captures("<nav id=\"hc-sidebar\".*?</nav>", in: scratch.read("out/index.html")).first)
        #expect(captures("href=\"([^\"]+)\"", in: home) == ["index.html#hc-outline-title"])
    }
}
