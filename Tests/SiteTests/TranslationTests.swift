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

    func course(_ extra: [String: String] = [:]) -> URL { scratch.write(Self.files.merging(extra) { _, new in new }) }

    /// The course in both languages, as files under the content folder.
    static let files = [
        "course.yml": Self.courseYAML,
        "01-basics/01-first.md": Self.first,
        "01-basics/01-first.zh.md": Self.firstZh,
        "01-basics/02-second.md": "---\ntitle: Second\n---\n## Details\n\nBack to [the first](01-first.md#deep).\n",
        "01-basics/_index.zh.md": "---\ntitle: 基础\n---\n",
        "_index.zh.md": "---\ntitle: 欢迎\n---\n这是首页。\n"
    ]

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
        // Each language's site is whole: the scripts find their assets from its own root.
        #expect(scratch.read("out/zh/basics/first.html").contains("href=\"../assets/style.css\""))
        #expect(scratch.exists("out/zh/assets/search.js"))
        #expect(scratch.read("out/zh/assets/style.css").contains(".language-switch"))
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

    @Test func languageSwitchLeadsToTheSamePageBothWays() async throws {
        _ = try await build(course(), into: scratch)
        let english = scratch.read("out/basics/first.html"), chinese = scratch.read("out/zh/basics/first.html")
        #expect(english.contains("<a href=\"../zh/basics/first.html\" hreflang=\"zh\" lang=\"zh\">中文</a>"))
        #expect(english.contains("<span class=\"language-current\" aria-current=\"page\" lang=\"en\">English</span>"))
        #expect(english.contains("<link rel=\"alternate\" hreflang=\"zh\" href=\"../zh/basics/first.html\">"))
        #expect(chinese.contains("<a href=\"../../basics/first.html\" hreflang=\"en\" lang=\"en\">English</a>"))
        #expect(chinese.contains("<span class=\"language-current\" aria-current=\"page\" lang=\"zh\">中文</span>"))
        #expect(chinese.contains("<link rel=\"alternate\" hreflang=\"en\" href=\"../../basics/first.html\">"))
        // Every kind of page has the switch, the home pages and the print pages too.
        #expect(scratch.read("out/zh/index.html").contains("<a href=\"../index.html\" hreflang=\"en\""))
        #expect(scratch.read("out/print.html").contains("<a href=\"zh/print.html\" hreflang=\"zh\""))
        #expect(scratch.read("out/zh/basics/index.html").contains("<a href=\"../../basics/index.html\" hreflang=\"en\""))
    }

    @Test func anUntranslatedLessonShowsTheOriginalWithANotice() async throws {
        _ = try await build(course(), into: scratch)
        let page = scratch.read("out/zh/basics/second.html")
        #expect(page.contains("<p class=\"translation-notice\" role=\"note\">本页尚未翻译，以下是原文。</p>"))
        #expect(page.contains("<div class=\"content\" lang=\"en\">"))
        #expect(page.contains("<html lang=\"zh\""))
        // Translated pages and the original language have none.
        #expect(!scratch.read("out/zh/basics/first.html").contains("translation-notice"))
        #expect(!scratch.read("out/basics/second.html").contains("translation-notice"))
    }

    @Test func staleAndMissingTranslationsAreFoundAndMarked() async throws {
        let content = course()
        let builder = SiteBuilder(
            options: BuildOptions(contentDirectory: content, outputDirectory: scratch.url.appendingPathComponent("out")))
        func states() throws -> [String: Translation.State] {
            Dictionary(uniqueKeysWithValues: try builder.translationEntries().map { ($0.translation.lastPathComponent, $0.state) })
        }
        #expect(try states() == ["01-first.zh.md": .unreviewed, "02-second.zh.md": .missing])
        let first = try #require(try builder.translationEntries().first { $0.translation.lastPathComponent == "01-first.zh.md" })
        try TranslationMarker.mark(first)
        #expect(scratch.read("content/01-basics/01-first.zh.md").hasPrefix("---\ntitle: 第一课\nsource-hash: \(first.currentHash)\n---\n"))
        #expect(try states()["01-first.zh.md"] == .upToDate)
        // The original changes: the translation is stale, the build says so, and the page links to the original.
        scratch.write(["01-basics/01-first.md": Self.first + "\nA new paragraph.\n"])
        #expect(try states()["01-first.zh.md"] == .stale)
        let summary = try await build(content, into: scratch)
        #expect(summary.warnings.contains { $0.file?.hasSuffix("01-first.zh.md") == true && $0.message.contains("stale translation") })
        #expect(summary.warnings.contains { $0.message.hasPrefix("zh: 1 of 2 pages not translated") })
        #expect(
            scratch.read("out/zh/basics/first.html").contains(
                "本页原文在译文审校之后有过修改，译文可能已经过时。 <a href=\"../../basics/first.html\" hreflang=\"en\">阅读最新原文</a>"))
        // Marking again makes it up to date; only the hash line changed.
        try TranslationMarker.mark(try #require(try builder.translationEntries().first { $0.state == .stale }))
        #expect(try states()["01-first.zh.md"] == .upToDate)
        #expect(scratch.read("content/01-basics/01-first.zh.md").components(separatedBy: "source-hash:").count == 2)
    }

    @Test func checkFailsOnAStaleTranslationOfACompleteLanguageOnly() async throws {
        let marked = Self.firstZh.replacingOccurrences(of: "title: 第一课\n", with: "title: 第一课\nsource-hash: 0000000000000000\n")
        let second = "---\ntitle: 第二课\nsource-hash: 0000000000000000\n---\n## 细节\n"
        let files = ["01-basics/01-first.zh.md": marked, "01-basics/02-second.zh.md": second]
        let incomplete = course(files)
        let options = BuildOptions(contentDirectory: incomplete, includeDrafts: true)
        _ = try await SiteBuilder(options: options).exerciseBlocks(checkingTranslations: true)
        scratch.write(["course.yml": Self.courseYAML.replacingOccurrences(of: "complete: false", with: "complete: true")])
        do {
            _ = try await SiteBuilder(options: options).exerciseBlocks(checkingTranslations: true)
            Issue.record("check passed with stale translations of a complete language")
        } catch let failure as BuildFailure {
            let text = failure.errors.map(\.description)
            #expect(text.contains { $0.contains("01-first.zh.md:1:") && $0.contains("stale translation") }, "\(text)")
            #expect(text.contains { $0.contains("02-second.zh.md:1:") && $0.contains("stale translation") }, "\(text)")
        }
        // promote does not check translations.
        _ = try await SiteBuilder(options: options).exerciseBlocks()
    }

    @Test func checkFailsOnAnUnreviewedOrMissingTranslationOfACompleteLanguage() async throws {
        // The first lesson's translation has no source-hash; the second lesson has none at all.
        let options = BuildOptions(contentDirectory: course(["01-basics/01-first.zh.md": Self.firstZh]), includeDrafts: true)
        scratch.write(["course.yml": Self.courseYAML.replacingOccurrences(of: "complete: false", with: "complete: true")])
        do {
            _ = try await SiteBuilder(options: options).exerciseBlocks(checkingTranslations: true)
            Issue.record("check passed with an unreviewed and a missing translation of a complete language")
        } catch let failure as BuildFailure {
            let text = failure.errors.map(\.description)
            #expect(text.contains { $0.contains("01-first.zh.md") && $0.contains("translation not reviewed") }, "\(text)")
            #expect(text.contains { $0.contains("missing translation of") && $0.contains("02-second.md") }, "\(text)")
        }
    }

    @Test func checkFindsABrokenReferenceThatBuildWouldReport() async throws {
        let zh = Self.firstZh.replacingOccurrences(of: "id=hello", with: "id=hello timeout=1")
        let options = BuildOptions(contentDirectory: course(["01-basics/01-first.zh.md": zh]), includeDrafts: true)
        do {
            _ = try await SiteBuilder(options: options).exerciseBlocks(checkingTranslations: true)
            Issue.record("check passed with a forked exercise")
        } catch let failure as BuildFailure {
            #expect(failure.errors.contains { $0.description.contains("01-first.zh.md:8:") }, "\(failure.errors)")
        }
    }

    @Test func frontMatterKeysMustBeTheOriginals() async throws {
        let zh = Self.firstZh.replacingOccurrences(of: "title: 第一课\n", with: "title: 第一课\nweight: 3\n")
        let errors = await buildErrors(course(["01-basics/01-first.zh.md": zh]), into: scratch)
        #expect(errors.contains { $0.description.contains("01-first.zh.md:1:") && $0.description.contains("has weight") }, "\(errors)")
    }

    static let glossary = """
        - en: run loop
          zh: 运行循环
          lesson: 01-basics/01-first
          definition:
            en: "The loop that enters the guest and handles each exit."
            zh: "进入客户机并处理每次退出的循环。"
        - en: detail
          zh: 细枝末节
          lesson: 01-basics/01-first
          definition: {en: "A small thing.", zh: "小事。"}

        """

    @Test func glossaryPageInEachLanguageAndItsTermCheck() async throws {
        let summary = try await build(course(["glossary.yml": Self.glossary]), into: scratch)
        let english = scratch.read("out/glossary.html"), chinese = scratch.read("out/zh/glossary.html")
        // English alphabetical, Chinese by introducing lesson then term.
        #expect(captures("<tr id=\"([^\"]+)\">", in: english) == ["term-detail", "term-run-loop"])
        #expect(english.contains("<td><strong>run loop</strong></td><td lang=\"zh\">运行循环</td>"))
        #expect(english.contains("<a href=\"basics/first.html\">First</a>"))
        #expect(chinese.contains("<td><strong>运行循环</strong></td><td lang=\"en\">run loop</td><td>进入客户机并处理每次退出的循环。</td>"))
        #expect(chinese.contains("<a href=\"basics/first.html\">第一课</a>"))
        #expect(scratch.read("out/zh/index.html").contains("<a class=\"button\" href=\"glossary.html\">术语表</a>"))
        // The translation never writes 细枝末节: a warning, as zh is not complete.
        #expect(summary.warnings.contains { $0.file?.hasSuffix("01-first.zh.md") == true && $0.message.contains("'细枝末节'") })
        #expect(!summary.warnings.contains { $0.message.contains("'运行循环'") })
        scratch.write(["course.yml": Self.courseYAML.replacingOccurrences(of: "complete: false", with: "complete: true")])
        let errors = await buildErrors(scratch.url.appendingPathComponent("content"), into: scratch)
        #expect(errors.contains { $0.description.contains("01-first.zh.md:1:") && $0.description.contains("'细枝末节'") }, "\(errors)")
    }

    @Test func aBadGlossaryEntryIsAnErrorAtItsLine() async throws {
        let bad =
            "- en: x\n  lesson: 01-basics/01-first\n  definition: {en: X}\n- en: y\n  zh: 外\n  lesson: 01-basics/nope\n  definition: {en: Y, zh: 外}\n"
        let errors = await buildErrors(course(["glossary.yml": bad]), into: scratch).map(\.description)
        #expect(errors.contains { $0.contains("glossary.yml:1:") && $0.contains("lacks zh, definition.zh") }, "\(errors)")
        #expect(errors.contains { $0.contains("glossary.yml:4:") && $0.contains("no lesson '01-basics/nope'") }, "\(errors)")
    }

    @Test func eachLanguageHasItsOwnPrintPageAndSearchIndex() async throws {
        _ = try await build(course(), into: scratch)
        let print = scratch.read("out/zh/print.html")
        #expect(print.contains("<html lang=\"zh\""))
        #expect(print.contains("运行循环"))
        #expect(print.contains("id=\"basics/first::the-run-loop\""))
        // The untranslated lesson's text is marked as the original's language, the translated one's is not.
        #expect(print.components(separatedBy: "<div class=\"content\" lang=\"en\">").count == 2)
        #expect(!scratch.read("out/print.html").contains("<div class=\"content\" lang="))
        let chinese = try searchDocs(scratch.url.appendingPathComponent("out/zh"))
        let english = try searchDocs(scratch.url.appendingPathComponent("out"))
        // Han text as pairs beside Latin words; each index holds its own language's text.
        #expect(chinese.contains { $0.words["运行"] != nil && $0.words["循环"] != nil && $0.url == "basics/first.html#the-run-loop" })
        #expect(chinese.contains { $0.words["back"] != nil }) // the untranslated lesson, in the original
        #expect(!english.contains { $0.words["运行"] != nil })
        #expect(english.contains { $0.words["loop"] != nil })
    }

    @Test func aOneLanguageCourseHasNoLanguageParts() async throws {
        _ = try await build(Repo.fixture, into: scratch)
        let page = scratch.read("out/index.html")
        #expect(!page.contains("language-switch") && !page.contains("hreflang") && !page.contains("glossary"))
        #expect(!scratch.read("out/assets/style.css").contains(".language-switch"))
        #expect(!scratch.read("out/index.html").contains("translation_missing"))
    }
}
