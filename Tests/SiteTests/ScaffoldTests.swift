import Foundation
import Testing

@testable import Site

@Suite struct ScaffoldTests {
    let scratch = Scratch()

    @Test func newLessonIsNumberedAfterExistingOnes() async throws {
        let content = scratch.write(["05-kvm/01-intro.md": "---\ntitle: Intro\n---\n", "05-kvm/02-ioctls.md": "---\ntitle: I\n---\n"])
        let file = try Scaffold.newLesson(contentDirectory: content, chapter: "kvm", title: "The \"run\" loop")
        #expect(file.lastPathComponent == "03-the-run-loop.md")
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text.hasPrefix("---\ntitle: \"The \\\"run\\\" loop\"\n"))
        // The scaffold builds.
        _ = try await build(content, into: scratch)
        #expect(scratch.read("out/kvm/the-run-loop.html").contains("<h1 id=\"hc-page-title\">The &quot;run&quot; loop</h1>"))
        #expect(throws: SiteError.self) { try Scaffold.newLesson(contentDirectory: content, chapter: "05-kvm", title: "The run loop") }
        #expect(throws: SiteError.self) { try Scaffold.newLesson(contentDirectory: content, chapter: "nope", title: "X") }
        let created = try Scaffold.newLesson(contentDirectory: content, chapter: "06-memory", title: "EPT", createChapter: true)
        #expect(created.path.hasSuffix("06-memory/01-ept.md"))
    }

    /// A title in any script makes a file name of `a-z 0-9 -`: transliterated, not dropped.
    @Test(arguments: [
        ("虚拟化入门", "xu-ni-hua-ru-men"),
        ("Виртуализация и KVM", "virtualizacia-i-kvm"),
        ("Εικονικοποίηση", "eikonikopoiese"),
        ("Ünïcödé café", "unicode-cafe")
    ])
    func lessonSlugsFromAnyScript(title: String, slug: String) throws {
        let content = scratch.write(["01-ch/01-a.md": "---\ntitle: A\n---\n"])
        let file = try Scaffold.newLesson(contentDirectory: content, chapter: "ch", title: title)
        #expect(file.lastPathComponent == "02-\(slug).md")
        #expect(try String(contentsOf: file, encoding: .utf8).hasPrefix("---\ntitle: \"\(title)\"\n"))
        #expect(!LessonSlug.usesFallback(title))
    }

    /// Nothing to transliterate: a stable name from a hash of the title, the same every time.
    @Test func emojiOnlyTitlesGetAStableSlug() throws {
        let slug = LessonSlug.make("🚀🔥")
        #expect(LessonSlug.usesFallback("🚀🔥"))
        #expect(slug.hasPrefix("lesson-") && slug.count == "lesson-".count + 8 && Slug.isValid(slug))
        #expect(LessonSlug.make("🚀🔥") == slug)
        #expect(LessonSlug.make("🔥🚀") != slug)
        let content = scratch.write(["01-ch/_index.md": "---\ntitle: Ch\n---\n"])
        let first = try Scaffold.newLesson(contentDirectory: content, chapter: "ch", title: "🚀🔥")
        let second = try Scaffold.newLesson(contentDirectory: content, chapter: "ch", title: "🔥🚀")
        #expect(first.lastPathComponent == "01-\(slug).md" && second.lastPathComponent != first.lastPathComponent)
    }

    @Test func slugOptionChoosesTheNameAndIsValidated() async throws {
        let content = scratch.write(["01-ch/01-a.md": "---\ntitle: A\n---\n"])
        let file = try Scaffold.newLesson(contentDirectory: content, chapter: "ch", title: "内存虚拟化", slug: "memory")
        #expect(file.lastPathComponent == "02-memory.md")
        for bad in ["Memory", "two words", "-dash", "../up", "内存", ""] {
            #expect(throws: SiteError.self, "\(bad)") {
                try Scaffold.newLesson(contentDirectory: content, chapter: "ch", title: "X", slug: bad)
            }
        }
        _ = try await build(content, into: scratch)
        #expect(scratch.read("out/ch/memory.html").contains("内存虚拟化"))
    }

    /// The starter course builds (every link, anchor and include in it resolves) and says what it is.
    @Test func newCourseBuildsAtOnce() async throws {
        let folder = scratch.url.appendingPathComponent("my-course")
        let written = try Scaffold.newCourse(in: folder)
        #expect(written.contains(".gitignore") && written.contains("content/course.yml"))
        #expect(written.contains { $0.hasSuffix(".md") && $0.contains("01-first-steps/01-") })
        let ignore = try String(contentsOf: folder.appendingPathComponent(".gitignore"), encoding: .utf8)
        #expect(ignore.contains("/public/\n") && ignore.contains(".hypercourse-cache/\n"))
        let summary = try await build(folder.appendingPathComponent("content"), into: scratch)
        #expect(summary.warnings.isEmpty, "\(summary.warnings)")
        #expect(summary.lessons == 2 && summary.exercises == 4)
        #expect(scratch.read("out/index.html").contains("My course"))
        #expect(scratch.read("out/first-steps/hello-guest.html").contains("id=\"exercise-hello-real\""))
    }

    @Test func newCourseTakesATitleAndQuotesIt() async throws {
        let folder = scratch.url.appendingPathComponent("c")
        _ = try Scaffold.newCourse(in: folder, title: #"Ada's "virtual" \ machines"#)
        _ = try await build(folder.appendingPathComponent("content"), into: scratch)
        #expect(
            scratch.read("out/index.html").contains("Ada&#39;s &quot;virtual&quot; \\ machines")
                || scratch.read("out/index.html").contains("Ada's &quot;virtual&quot; \\ machines"))
        #expect(throws: SiteError.self) { try Scaffold.newCourse(in: scratch.url.appendingPathComponent("d"), title: "two\nlines") }
    }

    /// A folder with anything but `.git` in it is refused; `--force` adds the files beside what is
    /// there, but replaces nothing and, when any starter file exists, writes nothing at all.
    @Test func newCourseRefusesAFolderInUse() throws {
        let fm = FileManager.default
        let gitOnly = scratch.url.appendingPathComponent("git-only")
        try fm.createDirectory(at: gitOnly.appendingPathComponent(".git"), withIntermediateDirectories: true)
        #expect(try Scaffold.newCourse(in: gitOnly).count > 5)

        let used = scratch.write(["notes.txt": "mine\n"], in: "used")
        #expect(throws: SiteError.self) { try Scaffold.newCourse(in: used) }
        #expect(try fm.contentsOfDirectory(atPath: used.path) == ["notes.txt"])
        _ = try Scaffold.newCourse(in: used, force: true)
        #expect(fm.fileExists(atPath: used.appendingPathComponent("content/course.yml").path))
        #expect(scratch.read("used/notes.txt") == "mine\n")

        let clash = scratch.write(["content/course.yml": "title: Mine\n"], in: "clash")
        do {
            _ = try Scaffold.newCourse(in: clash, force: true)
            Issue.record("a clash was accepted")
        } catch let error as SiteError {
            #expect(error.message.contains("content/course.yml") && error.message.contains("nothing was written"))
        }
        #expect(scratch.read("clash/content/course.yml") == "title: Mine\n")
        #expect(!fm.fileExists(atPath: clash.appendingPathComponent(".gitignore").path))
    }
}
