import Foundation
import Testing

/// `hypercourse translations`, as the built binary: the table per language, --mark and --mark-all.
@Suite struct TranslationsCommandTests {
    static let files = [
        "course.yml": "title: Demo\nlanguage: en\nlanguages:\n  - {code: en, name: English}\n  - {code: zh, name: 中文}\n",
        "01-a/_index.md": "---\ntitle: A\n---\nThe chapter.\n",
        "01-a/01-x.md": "---\ntitle: X\n---\n## One\n",
        "01-a/01-x.zh.md": "---\ntitle: 甲\n---\n## 一\n",
        "01-a/02-y.md": "---\ntitle: Y\n---\n"
    ]

    @Test func listsMarksAndFindsStaleTranslations() async throws {
        let course = FixtureCourse(files: Self.files)
        let listed = try await course.run(["translations"])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.hasPrefix("zh: 3 pages: 0 up to date, 0 stale, 1 not reviewed, 2 missing\n"))
        #expect(listed.stdout.contains("  missing       content/01-a/_index.zh.md\n"))
        #expect(listed.stdout.contains("  not reviewed  content/01-a/01-x.zh.md\n"))
        #expect(listed.stdout.contains("  missing       content/01-a/02-y.zh.md\n"))

        let marked = try await course.run(["translations", "--mark", "content/01-a/01-x.zh.md"])
        #expect(marked.status == 0 && marked.stdout.contains("marked content/01-a/01-x.zh.md (source-hash "), "\(marked.stderr)")
        #expect(try await course.run(["translations"]).stdout.contains("  up to date    content/01-a/01-x.zh.md\n"))

        course.write("content/01-a/01-x.md", "---\ntitle: X\n---\n## One\n\nMore.\n")
        #expect(try await course.run(["translations"]).stdout.contains("  stale         content/01-a/01-x.zh.md\n"))
        let built = try await course.run(["build", "-q", "--kvm-device", "/nonexistent"])
        #expect(built.status == 0, "\(built.stderr)")
        #expect(built.stderr.contains("content/01-a/01-x.zh.md:1: warning: stale translation"))

        #expect(try await course.run(["translations", "--mark-all", "zh"]).status == 0)
        #expect(try await course.run(["translations"]).stdout.hasPrefix("zh: 3 pages: 1 up to date, 0 stale, 0 not reviewed, 2 missing\n"))
    }

    @Test func refusesWhatIsNotATranslation() async throws {
        let course = FixtureCourse(files: Self.files)
        let wrong = try await course.run(["translations", "--mark", "content/01-a/01-x.md", "content/01-a/02-y.zh.md"])
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("content/01-a/01-x.md: error: not a translation of a page of this course"))
        #expect(wrong.stderr.contains("02-y.zh.md: error: no translation to mark: the file does not exist"))
        let language = try await course.run(["translations", "--mark-all", "fr"])
        #expect(language.status == 1 && language.stderr.contains("'fr' is not a translation language of this course"))
    }
}
