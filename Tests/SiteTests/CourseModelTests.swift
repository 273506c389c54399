import Foundation
import Testing

@testable import Site

@Suite struct CourseModelTests {
    let scratch = Scratch()

    /// No course.yml, no _index.md: titles from folders, order from weight then names.
    @Test func plainFolderOfChapters() async throws {
        let content = scratch.write([
            "02-memory-virtualization/b-later.md": "---\ntitle: Later\n---\n",
            "02-memory-virtualization/a-first.md": "---\ntitle: First by weight\nweight: 1\n---\n",
            "01-the-basics/intro.md": "---\ntitle: Intro\n---\n",
            "images/not-a-chapter.svg": "<svg/>",
            "README.md": "# Notes for authors\n"
        ])
        let summary = try await build(content, into: scratch)
        #expect(summary.chapters == 2)
        #expect(summary.warnings.contains { $0.file?.hasSuffix("content/README.md") == true && $0.message.contains("not a page") })
        let home = scratch.read("out/index.html")
        #expect(home.contains("<span class=\"num\">1</span> The basics</a>"))
        #expect(home.contains("<span class=\"num\">2</span> Memory virtualization</a>"))
        let lessons = captures("<ol class=\"outline-lessons\">(.*?)</ol>", in: home).flatMap { captures("<a href=\"([^\"]+)\">", in: $0) }
        #expect(lessons == ["the-basics/intro.html", "memory-virtualization/a-first.html", "memory-virtualization/b-later.html"])
        // The course title comes from the content folder's name.
        #expect(home.contains("<title>Content</title>"))
    }

    @Test func chapterWeightsOrderChaptersWithoutCourseYAML() async throws {
        let content = scratch.write([
            "aaa/_index.md": "---\ntitle: Second\nweight: 2\n---\nIntro of the second.\n",
            "zzz/_index.md": "---\ntitle: First\nweight: 1\n---\n",
            "aaa/x.md": "---\ntitle: X\n---\n",
            "zzz/y.md": "---\ntitle: Y\n---\n"
        ])
        _ = try await build(content, into: scratch)
        let home = scratch.read("out/index.html")
        #expect(captures("<li class=\"outline-chapter\">\\s*<h3><a href=\"([^\"]+)\">", in: home) == ["zzz/index.html", "aaa/index.html"])
        #expect(scratch.read("out/aaa/index.html").contains("Intro of the second."))
    }

    @Test func unlistedChapterIsAppendedWithAWarning() async throws {
        let content = scratch.write([
            "course.yml": "title: T\nchapters:\n  - b\n",
            "a/x.md": "---\ntitle: X\n---\n",
            "b/y.md": "---\ntitle: Y\n---\n"
        ])
        let summary = try await build(content, into: scratch)
        #expect(summary.warnings.contains { $0.message.contains("chapter folder 'a' is not listed") })
        #expect(
            captures("<li class=\"outline-chapter\">\\s*<h3><a href=\"([^\"]+)\">", in: scratch.read("out/index.html")) == [
                "b/index.html", "a/index.html"
            ])
    }

    @Test func warningsForMissingAltTextNamelessFiguresAndUnknownKeys() async throws {
        let content = scratch.write([
            "c/x.md":
                "---\ntitle: X\ntitel: typo\n---\n\n![](pic.svg)\n\n<p><img src=\"pic.svg\"></p>\n\n<figure>\n<svg role=\"img\">\n<title>T</title>\n</svg>\n</figure>\n",
            "c/pic.svg": "<svg xmlns=\"http://www.w3.org/2000/svg\"/>"
        ])
        let summary = try await build(content, into: scratch)
        let text = summary.warnings.map(\.description)
        #expect(
            text.contains {
                $0.hasSuffix(
                    "c/x.md:3: warning: unknown front matter key 'titel' (known: description, draft, objectives, slug, title, weight)")
            })
        #expect(text.contains { $0.contains("c/x.md:6: warning: image 'pic.svg' has no alt text") })
        #expect(text.contains { $0.contains("c/x.md:8: warning: <img> without an alt attribute") })
        #expect(text.contains { $0.contains("c/x.md:11: warning: <svg role=\"img\"> without a name; add aria-label") })
        #expect(scratch.exists("out/c/pic.svg"))
    }

    @Test func notFoundPageUsesThePublishedURLAsBase() async throws {
        let content = scratch.write([
            "course.yml": "title: T\nurl: https://example.org/course\n",
            "c/x.md": "---\ntitle: X\n---\n"
        ])
        _ = try await build(content, into: scratch)
        #expect(scratch.read("out/404.html").contains("<base href=\"https://example.org/course/\">"))
        #expect(!scratch.read("out/c/x.html").contains("<base "))
        #expect(!scratch.read("out/index.html").contains("<base "))
    }

    @Test func slugHelpers() {
        #expect(Slug.stripOrderPrefix("01-memory-virtualization") == "memory-virtualization")
        #expect(Slug.stripOrderPrefix("3_intro") == "intro")
        #expect(Slug.stripOrderPrefix("2024") == "2024")
        #expect(Slug.stripOrderPrefix("10x") == "10x")
        #expect(Slug.title(fromFolder: "01-memory-virtualization") == "Memory virtualization")
        #expect(Slug.make("The Run Loop!") == "the-run-loop")
        #expect(URLPaths.relative(from: "a/b.html", to: "c/d.html") == "../c/d.html")
        #expect(URLPaths.relative(from: "a/b.html", to: "a/img/x y.svg") == "img/x%20y.svg")
        #expect(URLPaths.relative(from: "index.html", to: "a/b.html") == "a/b.html")
        #expect(LinkResolver.normalize("a/../b/./c.md") == "b/c.md")
        #expect(LinkResolver.normalize("../x") == nil)
    }
}

@Suite struct IncludeTests {
    let scratch = Scratch()

    func expand(_ body: String, files: [String: String]) throws -> (String, SourceMap) {
        let content = scratch.write(files.merging(["ch/lesson.md": body]) { a, _ in a })
        let source = MarkdownSource(file: content.appendingPathComponent("ch/lesson.md"), body: body, firstLine: 4)
        return try IncludeExpander(contentRoot: content).expand(source)
    }

    @Test func wholeRangesAndAnchors() throws {
        let code = "l1\nl2\n; ANCHOR: mid\nl4\nl5\n; ANCHOR_END: mid\nl7\n"
        let (text, map) = try expand(
            "a\n{{#include code.asm}}\nb\n{{#include code.asm:2:4}}\n{{#include code.asm:mid}}\n{{#include code.asm:7}}\n{{#include code.asm::2}}\n",
            files: ["ch/code.asm": code])
        #expect(text == "a\nl1\nl2\nl4\nl5\nl7\nb\nl2\nl4\nl4\nl5\nl7\nl1\nl2\n")
        // Line map: "b" is line 3 of the body (file line 6); included lines point at code.asm.
        #expect(map.location(1).line == 4)
        #expect(map.location(2).file.lastPathComponent == "code.asm" && map.location(2).line == 1)
        #expect(map.location(7).file.lastPathComponent == "lesson.md" && map.location(7).line == 6)
        #expect(map.location(10).file.lastPathComponent == "code.asm" && map.location(10).line == 4)
    }

    @Test func inlineNestedAndEscaped() throws {
        let (text, _) = try expand(
            "x {{#include v.txt}} y\n\\{{#include literal}}\n{{#include _part.md}}\n",
            files: [
                "ch/v.txt": "1.2\n", "ch/_part.md": "Part with {{#include v.txt}}.\n"
            ])
        #expect(text == "x 1.2 y\n{{#include literal}}\nPart with 1.2.\n")
    }

    @Test func pathsMayClimbInsideTheContentFolder() throws {
        let (text, _) = try expand("{{#include ../shared/x.inc}}\n", files: ["shared/x.inc": "shared\n"])
        #expect(text == "shared\n")
    }
}
