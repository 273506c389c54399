import Common
import Foundation
import Testing

@testable import Site

/// Every kind of bad input stops the build with file:line and leaves the output alone.
@Suite struct ErrorTests {
    let scratch = Scratch()
    private let counter = Locked(0)

    /// A fresh content folder holding one good lesson plus `extra`.
    func course(_ extra: [String: String]) -> URL {
        var files = ["01-ch/01-a.md": "---\ntitle: A\n---\n\n## Alpha\n\nText.\n"]
        files.merge(extra) { _, new in new }
        let n = counter.withLock { value -> Int in
            value += 1
            return value
        }
        return scratch.write(files, in: "content\(n)")
    }

    func single(_ content: URL, file: String, line: Int?, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) async {
        let errors = await buildErrors(content, into: scratch)
        #expect(errors.count == 1, "\(errors)", sourceLocation: sourceLocation)
        guard let error = errors.first else { return }
        #expect(error.file?.hasSuffix(file) == true, "\(error)", sourceLocation: sourceLocation)
        #expect(error.line == line, "\(error)", sourceLocation: sourceLocation)
        #expect(error.message.contains(fragment), "\(error)", sourceLocation: sourceLocation)
        #expect(
            error.description.hasPrefix(
                "\(error.file!):\(line.map(String.init) ?? "")".replacingOccurrences(of: ":$", with: "", options: .regularExpression)),
            sourceLocation: sourceLocation)
        #expect(!scratch.exists("out"), "output written despite the error", sourceLocation: sourceLocation)
    }

    /// A course with one bad file: where the build must stop (`line` nil for a folder) and a fragment
    /// of what it must say.
    struct BadCourse: Sendable, CustomTestStringConvertible {
        var files: [String: String]
        var file: String
        var line: Int?
        var fragment: String
        var testDescription: String { "\(file):\(line.map(String.init) ?? "") \(fragment)" }
    }

    /// A file the include tests cut by line range and by anchor.
    static let anchored = "a\n// ANCHOR: x\nb\n// ANCHOR_END: x\nc\n"

    static let badCourses: [BadCourse] = [
        // Front matter
        BadCourse(
            files: ["01-ch/02-b.md": "---\ntitle: B\nweight: [1, 2\n---\nbody\n"], file: "01-ch/02-b.md", line: 3,
            fragment: "malformed YAML"),
        BadCourse(
            files: ["01-ch/02-b.md": "---\ntitle: B\n  bad: indent\n---\nbody\n"], file: "01-ch/02-b.md", line: 3,
            fragment: "malformed YAML"),
        BadCourse(files: ["01-ch/02-b.md": "---\ntitle: B\n\nbody\n"], file: "01-ch/02-b.md", line: 1, fragment: "no closing '---'"),
        BadCourse(files: ["01-ch/02-b.md": "---\nweight: 2\n---\nbody\n"], file: "01-ch/02-b.md", line: 1, fragment: "no 'title'"),
        BadCourse(files: ["01-ch/02-b.md": "# Just Markdown\n"], file: "01-ch/02-b.md", line: 1, fragment: "no front matter"),
        BadCourse(
            files: ["01-ch/02-b.md": "---\ntitle: B\nweight: heavy\n---\n"], file: "01-ch/02-b.md", line: 3,
            fragment: "'weight' must be a whole number"),
        BadCourse(
            files: ["01-ch/02-b.md": "---\ntitle: B\ndraft: maybe\n---\n"], file: "01-ch/02-b.md", line: 3,
            fragment: "'draft' must be true or false"),
        BadCourse(
            files: ["01-ch/02-b.md": "---\ntitle: B\nobjectives: {a: 1}\n---\n"], file: "01-ch/02-b.md", line: 3,
            fragment: "'objectives' must be a list"),
        // Slugs
        BadCourse(
            files: ["01-ch/02-a.md": "---\ntitle: Other A\n---\n"], file: "01-ch/02-a.md", line: 1, fragment: "duplicate lesson slug 'a'"),
        BadCourse(
            files: ["01-ch/02-b.md": "---\ntitle: B\nslug: a\n---\n"], file: "01-ch/02-b.md", line: 3, fragment: "duplicate lesson slug 'a'"
        ),
        BadCourse(files: ["02-ch/01-x.md": "---\ntitle: X\n---\n"], file: "02-ch", line: nil, fragment: "duplicate chapter slug 'ch'"),
        BadCourse(
            files: ["01-ch/02-b.md": "---\ntitle: B\nslug: Not OK\n---\n"], file: "01-ch/02-b.md", line: 3, fragment: "must use only a-z"),
        BadCourse(files: ["assets/01-x.md": "---\ntitle: X\n---\n"], file: "assets", line: nil, fragment: "reserved"),
        // Includes: a missing file, line ranges and anchors, a cycle
        BadCourse(
            files: ["01-ch/02-b.md": "---\ntitle: B\n---\n\n```asm\n{{#include nope.asm}}\n```\n"], file: "01-ch/02-b.md", line: 6,
            fragment: "included file 'nope.asm' not found"),
        BadCourse(
            files: ["01-ch/c.txt": anchored, "01-ch/02-b.md": "---\ntitle: B\n---\n{{#include c.txt:9:12}}\n"], file: "01-ch/02-b.md",
            line: 4, fragment: "do not exist (it has 5 lines)"),
        BadCourse(
            files: ["01-ch/c.txt": anchored, "01-ch/02-b.md": "---\ntitle: B\n---\n{{#include c.txt:y}}\n"], file: "01-ch/02-b.md", line: 4,
            fragment: "anchor 'y' not found"),
        BadCourse(
            files: ["01-ch/c.txt": anchored, "01-ch/02-b.md": "---\ntitle: B\n---\n{{#include c.txt:3:1}}\n"], file: "01-ch/02-b.md",
            line: 4, fragment: "bad line range"),
        BadCourse(
            files: ["01-ch/02-b.md": "---\ntitle: B\n---\n{{#include 02-b.md}}\n"], file: "01-ch/02-b.md", line: 4,
            fragment: "include cycle"),
        // Links
        BadCourse(
            files: ["01-ch/02-b.md": "---\ntitle: B\n---\n\nSee [x](nope.md).\n"], file: "01-ch/02-b.md", line: 5,
            fragment: "broken link 'nope.md'"),
        BadCourse(
            files: ["01-ch/02-b.md": "---\ntitle: B\n---\n\nSee\n[x](01-a.md#alpah).\n"], file: "01-ch/02-b.md", line: 6,
            fragment: "no heading or id 'alpah' on that page (did you mean '#alpha'?)"),
        BadCourse(
            files: ["01-ch/02-b.md": "---\ntitle: B\n---\n[x](#nowhere)\n"], file: "01-ch/02-b.md", line: 4,
            fragment: "no heading or id 'nowhere'"),
        BadCourse(
            files: ["01-ch/02-b.md": "---\ntitle: B\n---\n[x](/01-ch/01-a.md)\n"], file: "01-ch/02-b.md", line: 4, fragment: "is absolute"),
        BadCourse(
            files: ["01-ch/02-b.md": "---\ntitle: B\n---\n[x](../../elsewhere.md)\n"], file: "01-ch/02-b.md", line: 4,
            fragment: "leads outside the content folder"),
        BadCourse(
            files: ["01-ch/02-b.md": "---\ntitle: B\n---\n![pic](img/missing.png)\n"], file: "01-ch/02-b.md", line: 4,
            fragment: "broken link 'img/missing.png'"),
        BadCourse(
            files: ["01-ch/02-b.md": "---\ntitle: B\n---\n[d](03-d.md)\n", "01-ch/03-d.md": "---\ntitle: D\ndraft: true\n---\n"],
            file: "01-ch/02-b.md", line: 4, fragment: "draft lesson"),
        // course.yml
        BadCourse(
            files: ["course.yml": "title: T\nchapters:\n  - 01-ch\n  - 09-missing\n"], file: "course.yml", line: 4,
            fragment: "chapter folder '09-missing' not found"),
        BadCourse(files: ["course.yml": "title: [unclosed\n"], file: "course.yml", line: 1, fragment: "malformed YAML"),
        BadCourse(
            files: ["course.yml": "title: T\ntemplates: no-such-theme/\n"], file: "course.yml", line: 2,
            fragment: "templates folder 'no-such-theme/' not found"),
        BadCourse(
            files: ["course.yml": "title: T\nrepository: javascript:alert(1)\n"], file: "course.yml", line: 2,
            fragment: "'repository' must be an http:// or https:// address"),
        BadCourse(
            files: ["course.yml": "title: T\n\nedit-url: https://example.org/edit/main/\n"], file: "course.yml", line: 3,
            fragment: "'edit-url' must contain {path}"),
        BadCourse(
            files: ["course.yml": "title: T\nedit-url: /edit/{path}\n"], file: "course.yml", line: 2,
            fragment: "'edit-url' must be an http:// or https:// address"),
        BadCourse(
            files: ["course.yml": "title: T\nbase-url: course/\n"], file: "course.yml", line: 2,
            fragment: "'base-url' must be an http:// or https:// address"),
        BadCourse(
            files: ["course.yml": "title: T\n\nbase-url: https://example.org/course/?v=2\n"], file: "course.yml", line: 3,
            fragment: "'base-url' is where the site is published, a folder such as https://example.org/course/, without ? or #"),
        BadCourse(
            files: ["course.yml": "title: T\nurl: https://example.org/a/\nlicense: MIT\nbase-url: https://example.org/b/\n"],
            file: "course.yml", line: 4, fragment: "'base-url' repeats 'url' (line 2): both say where the site is published"),
        BadCourse(
            files: ["course.yml": "title: T\nbase-url: https://example.org/a/\nbase-url: https://example.org/b/\n"], file: "course.yml",
            line: 3, fragment: "duplicate YAML key base-url"),
        BadCourse(
            files: ["course.yml": "title: T\nlicense: MIT\n\nlicense: CC0\n"], file: "course.yml", line: 4,
            fragment: "duplicate YAML key license")
    ]

    @Test(arguments: badCourses)
    func aBadFileStopsTheBuildAtItsLine(_ bad: BadCourse) async {
        await single(course(bad.files), file: bad.file, line: bad.line, bad.fragment)
    }

    @Test func includeOutsideTheContentFolder() async throws {
        try "secret\n".write(to: scratch.url.appendingPathComponent("secret.txt"), atomically: true, encoding: .utf8)
        await single(
            course(["01-ch/02-b.md": "---\ntitle: B\n---\n{{#include ../../secret.txt}}\n"]), file: "01-ch/02-b.md", line: 4,
            "leads outside the content folder")
        await single(
            course(["01-ch/02-b.md": "---\ntitle: B\n---\n{{#include /etc/passwd}}\n"]), file: "01-ch/02-b.md", line: 4, "must be relative")
        let content = course(["01-ch/02-b.md": "---\ntitle: B\n---\n\n{{#include link.txt}}\n"])
        try FileManager.default.createSymbolicLink(
            atPath: content.appendingPathComponent("01-ch/link.txt").path,
            withDestinationPath: scratch.url.appendingPathComponent("secret.txt").path)
        await single(content, file: "01-ch/02-b.md", line: 5, "symlink that leads outside")
    }

    @Test func unknownTemplates() async throws {
        let theme = scratch.write(["partials/footer.mustache": "<footer>{{> partials/nope}}</footer>\n"], in: "theme")
        let content = course([:])
        let errors = await buildErrors(content, into: scratch, templates: theme)
        #expect(errors.first?.file?.hasSuffix("theme/partials/footer.mustache") == true)
        #expect(errors.first?.line == 1)
        #expect(errors.first?.message.contains("unknown template 'partials/nope'") == true)

        let strings = scratch.write(["partials/footer.mustache": "<footer>\n{{t.no_such_string}}</footer>\n"], in: "theme2")
        let errors2 = await buildErrors(content, into: scratch, templates: strings)
        #expect(errors2.first?.line == 2)
        #expect(errors2.first?.message.contains("unknown UI string 't.no_such_string'") == true)

        let syntax = scratch.write(["lesson.mustache": "ok\n{{#unclosed}}\n"], in: "theme3")
        let errors3 = await buildErrors(content, into: scratch, templates: syntax)
        #expect(errors3.first?.file?.hasSuffix("theme3/lesson.mustache") == true)
        #expect(errors3.first?.message.contains("template syntax error") == true)

        // A theme without a required page template.
        let partial = scratch.write(["layout.mustache": "{{{content}}}"], in: "partial-theme")
        let options = BuildOptions(
            contentDirectory: content, outputDirectory: scratch.url.appendingPathComponent("out"), themeDirectory: partial)
        await #expect(throws: BuildFailure.self) { try await SiteBuilder(options: options).build() }
        do { _ = try await SiteBuilder(options: options).build() } catch let failure as BuildFailure {
            #expect(failure.errors[0].message.hasPrefix("unknown template 'home'"))
        }
        #expect(!scratch.exists("out"))
    }

    @Test func unreadableFiles() async throws {
        let content = course([:])
        try Data([0x2D, 0x2D, 0x2D, 0x0A, 0xFF, 0xFE, 0x0A]).write(to: content.appendingPathComponent("01-ch/02-bad.md"))
        await single(content, file: "01-ch/02-bad.md", line: 2, "not valid UTF-8 text: byte 0xFF at column 1")
        try FileManager.default.removeItem(at: content.appendingPathComponent("01-ch/02-bad.md"))
        try FileManager.default.createSymbolicLink(
            atPath: content.appendingPathComponent("01-ch/03-gone.md").path, withDestinationPath: "/nonexistent/gone.md")
        await single(content, file: "01-ch/03-gone.md", line: nil, "cannot read '03-gone.md': No such file or directory")
    }

    /// Invalid UTF-8 anywhere in a lesson: the line (and column) of its first bad byte, also past
    /// valid multi-byte text, and in an included file.
    @Test func invalidUTF8IsReportedAtItsLine() async throws {
        let content = course(["01-ch/03-inc.md": "---\ntitle: I\n---\n\n{{#include part.txt}}\n"])
        var lesson = Data("---\ntitle: 虚拟化\n---\n\nGood text: é ü 中.\n".utf8)
        lesson += Data("Then a Latin-1 byte: caf".utf8) + Data([0xE9]) + Data("\n".utf8)
        try lesson.write(to: content.appendingPathComponent("01-ch/02-bad.md"))
        try (Data("ok\nstill ok\n".utf8) + Data([0xC3, 0x28]) + Data("\n".utf8)).write(to: content.appendingPathComponent("01-ch/part.txt"))
        let errors = await buildErrors(content, into: scratch)
        let places = errors.map { "\($0.file!.split(separator: "/").last!):\($0.line ?? 0)" }
        #expect(places == ["02-bad.md:6", "part.txt:3"], "\(errors)")
        #expect(errors.first?.message.contains("byte 0xE9 at column 25") == true, "\(errors)")
        #expect(errors.last?.message.contains("byte 0xC3 at column 1") == true, "\(errors)")
    }

    /// `{{#include .}}`, a folder, a FIFO (which must not be waited on) or a device: an error at the
    /// directive's line. A link to a FIFO too (its copy would never end).
    @Test(.timeLimit(.minutes(5)))
    func includesAndLinksOfThingsThatAreNotFiles() async throws {
        await single(
            course(["01-ch/02-b.md": "---\ntitle: B\n---\n\n{{#include .}}\n"]), file: "01-ch/02-b.md", line: 5,
            "'.' is a folder, not a file")
        await single(
            course(["01-ch/02-b.md": "---\ntitle: B\n---\n```\n{{#include ../01-ch}}\n```\n"]), file: "01-ch/02-b.md", line: 5,
            "is a folder, not a file")
        let fifo = course(["01-ch/02-b.md": "---\ntitle: B\n---\n\ntext\n{{#include pipe.txt}}\n"])
        #expect(mkfifo(fifo.appendingPathComponent("01-ch/pipe.txt").path, 0o644) == 0)
        await single(fifo, file: "01-ch/02-b.md", line: 6, "'pipe.txt' is a FIFO (named pipe), not a file")
        let device = course(["01-ch/02-b.md": "---\ntitle: B\n---\n{{#include zero}}\n"])
        try FileManager.default.createSymbolicLink(
            atPath: device.appendingPathComponent("01-ch/zero").path, withDestinationPath: "/dev/zero")
        let errors = await buildErrors(device, into: scratch)
        #expect(errors.map(\.line) == [4] && errors.first?.message.contains("outside the content folder") == true, "\(errors)")
        let linked = course(["01-ch/02-b.md": "---\ntitle: B\n---\n\n[data](pipe.bin)\n"])
        #expect(mkfifo(linked.appendingPathComponent("01-ch/pipe.bin").path, 0o644) == 0)
        await single(linked, file: "01-ch/02-b.md", line: 5, "not a regular file")
        // A FIFO named like a lesson: an error naming it, not a build that waits forever.
        let lessonFIFO = course([:])
        #expect(mkfifo(lessonFIFO.appendingPathComponent("01-ch/03-pipe.md").path, 0o644) == 0)
        await single(lessonFIFO, file: "01-ch/03-pipe.md", line: nil, "is a FIFO (named pipe), not a file")
    }

    @Test func theHomeIntroductionIsCheckedLikeALesson() async {
        await single(
            course(["_index.md": "Intro.\n\nSee [x](01-ch/nope.md).\n"]), file: "/_index.md", line: 3, "broken link '01-ch/nope.md'")
        await single(
            course(["_index.md": "---\ntitle: Hi\n---\n[x](01-ch/01-a.md#alpah)\n"]), file: "/_index.md", line: 4,
            "no heading or id 'alpah' on that page (did you mean '#alpha'?)")
        await single(course(["_index.md": "---\ntitle: [unclosed\n---\nText.\n"]), file: "/_index.md", line: 2, "malformed YAML")
        // A lesson may link to the home page's introduction and its headings.
        let linked = course(["_index.md": "## Welcome\n\nHello.\n", "01-ch/02-b.md": "---\ntitle: B\n---\n[home](../_index.md#welcome)\n"])
        let built = try? await build(linked, into: scratch, out: "linked")
        #expect(built?.pages == 7 && scratch.read("linked/ch/b.html").contains("<a href=\"../index.html#welcome\">home</a>"))
        await single(
            course(["_index.md": "## Welcome\n", "01-ch/02-b.md": "---\ntitle: B\n---\n[home](../_index.md#welcom)\n"]),
            file: "01-ch/02-b.md", line: 4, "(did you mean '#welcome'?)")
    }

    @Test func linkedFileMustBeInsideTheContentFolder() async throws {
        try "secret\n".write(to: scratch.url.appendingPathComponent("secret.txt"), atomically: true, encoding: .utf8)
        let content = course(["01-ch/02-b.md": "---\ntitle: B\n---\n\n[s](data.txt)\n"])
        try FileManager.default.createSymbolicLink(
            atPath: content.appendingPathComponent("01-ch/data.txt").path,
            withDestinationPath: scratch.url.appendingPathComponent("secret.txt").path)
        await single(content, file: "01-ch/02-b.md", line: 5, "symlink that leads outside")
    }

    @Test func externalLinksAreLeftAlone() async throws {
        let content = course(["01-ch/02-b.md": "---\ntitle: B\n---\n[w](https://example.com/x.md#y) [m](mailto:a@b.c) <https://kvm.org>\n"])
        _ = try await build(content, into: scratch)
        let page = scratch.read("out/ch/b.html")
        #expect(page.contains("<a href=\"https://example.com/x.md#y\">w</a>"))
        #expect(page.contains("<a href=\"mailto:a@b.c\">m</a>"))
    }

    @Test func allErrorsAreReportedTogether() async {
        let content = course([
            "01-ch/02-b.md": "---\ntitle: B\n---\n[x](gone.md)\n",
            "01-ch/03-c.md": "---\ntitle: C\n---\n\n[y](01-a.md#nope)\n"
        ])
        let errors = await buildErrors(content, into: scratch)
        #expect(errors.count == 2)
        #expect(Set(errors.map { "\($0.file!.split(separator: "/").last!):\($0.line!)" }) == ["02-b.md:4", "03-c.md:5"])
    }

    /// A page with a missing file still has its other links' anchors checked in the same build,
    /// its own headings included, and links to it from other pages.
    @Test func aMissingAnchorIsReportedBesideAMissingFileOnTheSamePage() async {
        let content = course([
            "01-ch/02-b.md": "---\ntitle: B\n---\n\n[gone](nope.md)\n\n[a](01-a.md#alhpa)\n\n[self](#nowhere)\n\n## Here\n\n[ok](#here)\n",
            "01-ch/03-c.md": "---\ntitle: C\n---\n[b](02-b.md#here) [b](02-b.md#ther)\n"
        ])
        let errors = await buildErrors(content, into: scratch)
        #expect(
            errors.map { "\($0.file!.split(separator: "/").last!):\($0.line!)" } == ["02-b.md:5", "02-b.md:7", "02-b.md:9", "03-c.md:4"],
            "\(errors)")
        #expect(errors[1].message.contains("did you mean '#alpha'?"))
        #expect(errors.last?.message.contains("'ther'") == true)
    }

    @Test func missingContentFolder() async {
        let errors = await buildErrors(scratch.url.appendingPathComponent("nope"), into: scratch)
        #expect(errors.first?.message.contains("content folder not found") == true)
    }
}
