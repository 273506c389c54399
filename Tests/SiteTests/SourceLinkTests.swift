import Foundation
import Testing

@testable import Site

/// course.yml's `repository` (a header link on every page) and `edit-url` (an "Edit this page"
/// link on each page that has a Markdown source), as mdBook's `git-repository-url` and
/// `edit-url-template`.
@Suite struct SourceLinkTests {
    let scratch = Scratch()

    let lessons = [
        "_index.md": "Welcome.\n",
        "01-ch/_index.md": "---\ntitle: Chapter one\n---\n\nIntro.\n",
        "01-ch/01-a.md": "---\ntitle: A\n---\n\nText.\n",
        "02-two/01-b c.md": "---\ntitle: B\nslug: b\n---\n\nText.\n"
    ]

    func editLinks(_ page: String) -> [String] {
        captures(#"<p class="edit-link"><a href="([^"]*)""#, in: scratch.read("out/\(page)"))
    }

    @Test func linksToTheRepositoryAndToEachPagesSource() async throws {
        var files = lessons
        files["course.yml"] = """
            title: T
            repository: https://git.example.org/course
            edit-url: https://git.example.org/course/edit/main/content/{path}
            """
        _ = try await build(scratch.write(files), into: scratch)

        #expect(editLinks("ch/a.html") == ["https://git.example.org/course/edit/main/content/01-ch/01-a.md"])
        #expect(editLinks("two/b.html") == ["https://git.example.org/course/edit/main/content/02-two/01-b%20c.md"])
        #expect(editLinks("ch/index.html") == ["https://git.example.org/course/edit/main/content/01-ch/_index.md"])
        #expect(editLinks("index.html") == ["https://git.example.org/course/edit/main/content/_index.md"])
        // A chapter without _index.md has no Markdown of its own to edit; print.html is made of many.
        #expect(editLinks("two/index.html").isEmpty)
        #expect(editLinks("print.html").isEmpty)
        #expect(!scratch.read("out/print.html").contains("class=\"edit-link\""))

        for page in ["index.html", "ch/a.html", "two/index.html", "print.html", "404.html"] {
            let html = scratch.read("out/\(page)")
            #expect(
                html.contains("<a class=\"icon-button\" href=\"https://git.example.org/course\" title=\"Source repository\">"), "\(page)")
        }
    }

    @Test func neitherLinkWithoutTheKeys() async throws {
        var files = lessons
        files["course.yml"] = "title: T\n"
        _ = try await build(scratch.write(files), into: scratch)
        for page in ["index.html", "ch/a.html", "ch/index.html"] {
            let html = scratch.read("out/\(page)")
            #expect(!html.isEmpty)
            #expect(!html.contains("edit-link"), "\(page)")
            #expect(!html.contains("title=\"Source repository\""), "\(page)")
        }
    }

    @Test func addressesAreEscapedInTheHTML() async throws {
        var files = lessons
        files["course.yml"] =
            "title: T\nrepository: \"https://example.org/a?x=1&y=\\\"2\\\"\"\nedit-url: https://example.org/e?p={path}&v=1\n"
        _ = try await build(scratch.write(files), into: scratch)
        let html = scratch.read("out/ch/a.html")
        #expect(html.contains("href=\"https://example.org/a?x=1&amp;y=&quot;2&quot;\""))
        #expect(editLinks("ch/a.html") == ["https://example.org/e?p=01-ch/01-a.md&amp;v=1"])
    }
}
