import Common
import Foundation
import Testing

@testable import Site

/// Every file the build reads is inside the content folder once symlinks are followed: a lesson,
/// `_index.md` or `course.yml` that links outside is an error at that file, and nothing of the
/// target reaches the site or its search index. A linked chapter folder is a warning, not a silent gap.
@Suite struct SymlinkedContentTests {
    let scratch = Scratch()
    let fm = FileManager.default
    static let secret = "SECRET-OUTSIDE-THE-COURSE"

    /// A Markdown file outside the course, that would render fine.
    func outsideFile() -> URL {
        scratch.write(["secret.md": "---\ntitle: Outside\n---\n\n\(Self.secret)\n", "course.yml": "title: \(Self.secret)\n"], in: "outside")
    }

    func expectNothingPublished(_ errors: [SiteError], at file: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        #expect(errors.count == 1, "\(errors)", sourceLocation: sourceLocation)
        #expect(errors.first?.file?.hasSuffix(file) == true, "\(errors)", sourceLocation: sourceLocation)
        #expect(
            errors.first?.message.contains("is a symlink to a file outside the content folder") == true, "\(errors)",
            sourceLocation: sourceLocation)
        #expect(!errors.contains { $0.message.contains(Self.secret) }, sourceLocation: sourceLocation)
        #expect(!scratch.exists("out"), sourceLocation: sourceLocation)
    }

    @Test(arguments: ["01-ch/02-linked.md", "01-ch/_index.md", "_index.md"])
    func aMarkdownFileLinkedOutsideIsRefused(link: String) async throws {
        let outside = outsideFile()
        let content = scratch.write(["01-ch/01-a.md": "---\ntitle: A\n---\n\nAlpha\n"])
        try fm.createSymbolicLink(at: content.appendingPathComponent(link), withDestinationURL: outside.appendingPathComponent("secret.md"))
        expectNothingPublished(await buildErrors(content, into: scratch), at: link)
    }

    @Test func aCourseFileLinkedOutsideIsRefused() async throws {
        let outside = outsideFile()
        let content = scratch.write(["01-ch/01-a.md": "---\ntitle: A\n---\n\nAlpha\n"])
        try fm.createSymbolicLink(
            at: content.appendingPathComponent("course.yml"), withDestinationURL: outside.appendingPathComponent("course.yml"))
        expectNothingPublished(await buildErrors(content, into: scratch), at: "course.yml")
    }

    /// A link that stays inside the content folder is fine: the boundary is where files are, not how
    /// they are reached.
    @Test func aLessonLinkedInsideTheCourseBuilds() async throws {
        let content = scratch.write(["01-ch/01-a.md": "---\ntitle: A\n---\n\nAlpha\n", "shared/b.md": "---\ntitle: B\n---\n\nBeta\n"])
        try fm.createSymbolicLink(
            at: content.appendingPathComponent("01-ch/02-b.md"), withDestinationURL: content.appendingPathComponent("shared/b.md"))
        _ = try await build(content, into: scratch)
        #expect(scratch.read("out/ch/b.html").contains("Beta"))
    }

    @Test func aLinkedChapterFolderIsAWarningAndLeftOut() async throws {
        let outside = outsideFile()
        let content = scratch.write(["01-ch/01-a.md": "---\ntitle: A\n---\n\nAlpha\n"])
        try fm.createSymbolicLink(at: content.appendingPathComponent("02-linked"), withDestinationURL: outside)
        let summary = try await build(content, into: scratch)
        #expect(
            summary.warnings.contains { $0.message.contains("chapter folder '02-linked' is a symlink and is left out") },
            "\(summary.warnings)")
        #expect(!scratch.exists("out/linked"))
        let index = searchIndexText(scratch.url.appendingPathComponent("out"))
        #expect(!index.contains(Self.secret) && !index.contains("secret"))
        // Listed in course.yml, it is an error at its line.
        try "title: T\nchapters:\n  - 01-ch\n  - 02-linked\n".write(
            to: content.appendingPathComponent("course.yml"), atomically: true, encoding: .utf8)
        let errors = await buildErrors(content, into: scratch, out: "out2")
        #expect(
            errors.map(\.message) == [
                "chapter folder '02-linked' is a symlink; the course is what is inside the content folder (move the folder in)"
            ])
        #expect(errors.first?.line == 4)
    }

    /// A lesson larger than the documented bound is refused before it is read.
    @Test func aHugeLessonIsRefusedBeforeItIsRead() async throws {
        let content = scratch.write(["01-ch/01-a.md": "---\ntitle: A\n---\n\nAlpha\n"])
        let huge = content.appendingPathComponent("01-ch/02-huge.md")
        #expect(fm.createFile(atPath: huge.path, contents: nil))
        let handle = try FileHandle(forWritingTo: huge)
        try handle.truncate(atOffset: UInt64(SourceFile.maxBytes) * 16)
        try handle.close()
        let errors = await buildErrors(content, into: scratch)
        #expect(errors.count == 1 && errors.first?.file?.hasSuffix("02-huge.md") == true, "\(errors)")
        #expect(errors.first?.message == "is 64 MiB; the largest file a course may hold is 4 MiB (split the lesson)")
    }
}
