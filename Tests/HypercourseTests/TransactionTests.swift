import Foundation
import Site
import Testing

@testable import hypercourse

/// A build is one transaction: the site and the exercise records change together, or neither does;
/// and one build reports every problem it can find. On real KVM, nasm and files.
@Suite(.enabled(if: kvmPresent, "skipped: /dev/kvm is absent on this machine"))
struct TransactionTests {
    static func lesson(_ title: String, _ body: String) -> String { "---\ntitle: \(title)\n---\n\n\(body)" }

    static func exercise(_ id: String, _ text: String = "hi", options: String = "") -> String {
        "```asm exercise id=\(id) mode=long \(options)\nbits 64\norg 0x100000\n    mov dx, 0x3f8\n    mov al, '\(text.prefix(1))'\n    out dx, al\n    hlt\n```\n"
    }

    /// A small course in a scratch folder, built with the CLI's provider.
    final class Course: @unchecked Sendable {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("hc-tx-\(UUID().uuidString)")
        var content: URL { root.appendingPathComponent("content") }

        init(_ files: [String: String]) throws {
            for (path, text) in files { try write(path, text) }
        }

        deinit { try? FileManager.default.removeItem(at: root) }

        func write(_ path: String, _ text: String) throws {
            let url = content.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }

        func build() async throws -> BuildSummary {
            let options = BuildOptions(contentDirectory: content, outputDirectory: root.appendingPathComponent("public"))
            return try await SiteBuilder(options: options, exercises: BuildCommand.exerciseProvider(content: content.path)).build()
        }

        func errors() async -> [SiteError] {
            do {
                _ = try await build()
                Issue.record("the build succeeded")
            } catch let failure as BuildFailure {
                return failure.errors
            } catch {
                Issue.record("\(error)")
            }
            return []
        }

        /// Every file under the scratch root (content, site and cache) with its bytes.
        func snapshot(_ folder: String) -> [String: Data] {
            let base = root.appendingPathComponent(folder)
            var files: [String: Data] = [:]
            let walker = FileManager.default.enumerator(atPath: base.path)
            while let path = walker?.nextObject() as? String {
                if let data = FileManager.default.contents(atPath: base.appendingPathComponent(path).path) { files[path] = data }
            }
            return files
        }
    }

    static func places(_ errors: [SiteError]) -> [String] {
        errors.map { "\(URL(fileURLWithPath: $0.file ?? "").lastPathComponent):\($0.line ?? 0)" }
    }

    /// New exercises, a refreshed key or a duplicate id's entry are never recorded by a build that
    /// fails, whatever stage fails; the same edits recorded once the build succeeds.
    @Test func aFailedBuildWritesNothingIntoTheContentFolder() async throws {
        let course = try Course(["01-ch/01-a.md": Self.lesson("A", Self.exercise("first"))])
        _ = try await course.build()
        let record = try #require(
            FileManager.default.contents(atPath: course.content.appendingPathComponent("01-ch/01-a.exercises.json").path))

        // A new exercise, and a second lesson whose exercise takes the first one's id.
        try course.write("01-ch/01-a.md", Self.lesson("A", Self.exercise("first") + "\n" + Self.exercise("second", "2")))
        try course.write("01-ch/02-b.md", Self.lesson("B", Self.exercise("first", "3")))
        var content = course.snapshot("content"), site = course.snapshot("public")
        var errors = await course.errors()
        #expect(errors.count == 1 && errors[0].message.contains("duplicate exercise id 'first'"), "\(errors)")
        #expect(course.snapshot("content") == content, "a failed build changed the content folder")
        #expect(course.snapshot("public") == site, "a failed build changed the site")

        // A broken link fails a later stage than the exercises' own checks: still nothing written.
        try course.write("01-ch/02-b.md", Self.lesson("B", "[gone](nope.md)\n\n" + Self.exercise("third", "3")))
        content = course.snapshot("content")
        errors = await course.errors()
        #expect(Self.places(errors) == ["02-b.md:5"], "\(errors)")
        #expect(course.snapshot("content") == content && course.snapshot("public") == site)
        #expect(FileManager.default.contents(atPath: course.content.appendingPathComponent("01-ch/01-a.exercises.json").path) == record)

        // Fixed: both new exercises are recorded, with the site.
        try course.write("01-ch/02-b.md", Self.lesson("B", Self.exercise("third", "3")))
        let summary = try await course.build()
        #expect(summary.contentFilesWritten.map(\.lastPathComponent).sorted() == ["01-a.exercises.json", "02-b.exercises.json"])
        let written = try String(contentsOf: course.content.appendingPathComponent("01-ch/01-a.exercises.json"), encoding: .utf8)
        #expect(written.contains("\"id\": \"second\""))
    }

    /// Missing files, broken anchors (on the failing page too), bad exercise options, a lesson that
    /// does not load and a guest that does not assemble: all in one run, each at its line.
    @Test func oneBuildReportsEveryProblem() async throws {
        let course = try Course([
            "01-ch/01-a.md": Self.lesson(
                "A",
                """
                ## Alpha

                [gone](nope.md) and [anchor](02-b.md#betta)

                [self](#nowhere)

                \(Self.exercise("opt", options: "memory=lots"))
                """),
            "01-ch/02-b.md": Self.lesson(
                "B",
                "## Beta\n\n" + Self.exercise("unknown", options: "colour=red")
                    + "\n```asm exercise id=broken mode=long\nbits 64\n    mov al, bogusreg\n```\n"),
            "01-ch/03-c.md": "---\ntitle: [unclosed\n---\n"
        ])
        let errors = await course.errors()
        #expect(
            Self.places(errors) == ["03-c.md:2", "01-a.md:7", "01-a.md:7", "01-a.md:9", "01-a.md:11", "02-b.md:7", "02-b.md:18"],
            "\(errors)")
        #expect(errors.map(\.message).joined(separator: "\n").contains("did you mean '#beta'?"))
        #expect(
            errors.contains { $0.message.contains("memory") } && errors.contains { $0.message.contains("colour") }
                && errors.contains { $0.message.contains("bogusreg") }, "\(errors)")
        #expect(!FileManager.default.fileExists(atPath: course.root.appendingPathComponent("public").path))

        // The command line says the same, every error as file:line, and exits non-zero.
        let tool = try #require(Repo.tool)
        let run = try await FixtureCourse.run(
            tool, ["build", "--content", course.content.path, "--out", course.root.appendingPathComponent("public").path, "--quiet"],
            in: course.root)
        #expect(run.status != 0)
        let lines = run.stderr.split(separator: "\n").filter { $0.contains(": error: ") }
        #expect(lines.count == errors.count, "\(run.stderr)")
        #expect(run.stderr.contains("build failed: \(errors.count) errors"))
        #expect(!run.stderr.contains("recorded '"), "a failed build says nothing was recorded: \(run.stderr)")
    }
}
