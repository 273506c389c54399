import Foundation
import Testing

@testable import Site

/// A course in English and Chinese: where each language's pages go, how a translation takes its
/// original's exercises and heading ids, and what it may not change.
@Suite struct TranslationTests {
    let scratch = Scratch()

    static let courseYAML = """
        title: Demo
        language: en
        languages:
          - code: en
            name: English
          - code: zh
            name: 中文
            title: 演示课程
            complete: false
        chapters:
          - path: 01-basics
            title: Basics

        """

    static let first = """
        ---
        title: First
        ---
        ## The run loop

        See [the details](02-second.md#details).

        ```asm exercise id=hello
        mov al, 'A'
        out 0xe9, al
        hlt
        ```

        ### Deeper {#deep}

        More.

        """

    static let firstZh = """
        ---
        title: 第一课
        ---
        ## 运行循环

        参见[细节](02-second.md#details)。

        ```asm exercise id=hello
        ```

        ### 更深入

        更多。

        """

    func course(_ extra: [String: String] = [:]) -> URL {
        var files = [
            "course.yml": Self.courseYAML,
            "01-basics/01-first.md": Self.first,
            "01-basics/01-first.zh.md": Self.firstZh,
            "01-basics/02-second.md": "---\ntitle: Second\n---\n## Details\n\nBack to [the first](01-first.md#deep).\n",
            "01-basics/_index.zh.md": "---\ntitle: 基础\n---\n",
            "_index.zh.md": "---\ntitle: 欢迎\n---\n这是首页。\n"
        ]
        files.merge(extra) { _, new in new }
        return scratch.write(files)
    }

    @Test func eachLanguageHasItsOwnSite() async throws {
        _ = try await build(course(), into: scratch)
        for page in [
            "index.html", "404.html", "print.html", "basics/index.html", "basics/_print.html", "basics/first.html", "basics/second.html"
        ] {
            #expect(scratch.exists("out/\(page)"), "out/\(page)")
            #expect(scratch.exists("out/zh/\(page)"), "out/zh/\(page)")
        }
        #expect(scratch.exists("out/zh/sidebar.js"))
        #expect(scratch.exists("out/zh/search"))
        // The translation is not a lesson of its own.
        #expect(!scratch.exists("out/basics/first.zh.html"))
        #expect(!scratch.exists("out/zh/basics/first.zh.html"))
        let home = scratch.read("out/zh/index.html")
        #expect(home.contains("<html lang=\"zh\""))
        #expect(home.contains("<title>演示课程</title>"))
        #expect(home.contains("这是首页。"))
        #expect(home.contains("</span> 基础</a>"))
        #expect(scratch.read("out/index.html").contains("<html lang=\"en\""))
        // Assets are shared, one folder up.
        #expect(scratch.read("out/zh/basics/first.html").contains("href=\"../../assets/style.css\""))
        #expect(!scratch.exists("out/zh/assets"))
    }

    @Test func translationKeepsTheOriginalsHeadingIDsAndExercise() async throws {
        _ = try await build(course(), into: scratch)
        let page = scratch.read("out/zh/basics/first.html")
        #expect(page.contains("<h2 id=\"the-run-loop\">运行循环"))
        #expect(page.contains("<h3 id=\"deep\">更深入"))
        #expect(page.contains("第一课"))
        // The reference shows the original's source.
        #expect(page.contains("0xe9"))
        #expect(page.contains("id=\"exercise-hello\""))
        // Links are written once and resolved in the reader's language.
        #expect(page.contains("href=\"second.html#details\""))
        // A lesson without a translation shows the original's text.
        #expect(scratch.read("out/zh/basics/second.html").contains("Back to"))
    }

    @Test func aTranslationCannotForkAnExercise() async throws {
        let zh = """
            ---
            title: 第一课
            ---
            ## 运行循环

            ```asm exercise id=hello
            mov al, 'B'
            ```

            ```asm exercise id=nope
            ```

            ```asm exercise id=hello timeout=5
            ```

            ### 更深入

            """
        let errors = await buildErrors(course(["01-basics/01-first.zh.md": zh]), into: scratch)
        let text = errors.map(\.description)
        #expect(text.contains { $0.contains("01-first.zh.md:6:") && $0.contains("empty body") }, "\(text)")
        #expect(text.contains { $0.contains("01-first.zh.md:10:") && $0.contains("no exercise 'nope'") }, "\(text)")
        #expect(text.contains { $0.contains("01-first.zh.md:13:") && $0.contains("a reference") }, "\(text)")
    }

    @Test func headingsMustFollowTheOriginal() async throws {
        let zh = "---\ntitle: 第一课\n---\n## 运行循环\n\n```asm exercise id=hello\n```\n\n## 更深入\n"
        let errors = await buildErrors(course(["01-basics/01-first.zh.md": zh]), into: scratch)
        #expect(errors.contains { $0.description.contains("01-first.zh.md:9:") && $0.description.contains("level 2") }, "\(errors)")
    }

    @Test func aLeftOutExerciseAndAnOrphanAreWarnings() async throws {
        let zh = "---\ntitle: 第一课\n---\n## 运行循环\n\n### 更深入\n"
        let summary = try await build(
            course(["01-basics/01-first.zh.md": zh, "01-basics/03-gone.zh.md": "---\ntitle: 没了\n---\n"]), into: scratch)
        #expect(summary.warnings.contains { $0.message.contains("leaves out exercise 'hello'") }, "\(summary.warnings)")
        #expect(summary.warnings.contains { $0.file?.hasSuffix("03-gone.zh.md") == true && $0.message.contains("without an original") })
    }

    @Test func aOneLanguageCourseTreatsNoFileAsATranslation() async throws {
        let content = scratch.write([
            "01-a/01-x.md": "---\ntitle: X\n---\n", "01-a/01-x.zh.md": "---\ntitle: X in Chinese\n---\n"
        ])
        let summary = try await build(content, into: scratch)
        #expect(summary.lessons == 2)
        #expect(!scratch.exists("out/zh"))
    }

    @Test func aChapterCannotTakeALanguagesFolder() async throws {
        let errors = await buildErrors(course(["zh/01-x.md": "---\ntitle: X\n---\n"]), into: scratch)
        #expect(errors.contains { $0.description.contains("reserved") }, "\(errors)")
    }
}
