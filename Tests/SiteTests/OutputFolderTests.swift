import Foundation
import Testing

@testable import Site

/// The output folder is replaced atomically, only when it is ours, and nothing else is touched.
@Suite struct OutputFolderTests {
    let scratch = Scratch()

    func goodCourse() -> URL {
        scratch.write(["01-ch/01-a.md": "---\ntitle: A\n---\n\n## Alpha\n"], in: "content")
    }

    @Test func failedBuildLeavesThePreviousSiteIntact() async throws {
        let content = goodCourse()
        _ = try await build(content, into: scratch)
        let before = scratch.read("out/ch/a.html")
        #expect(before.contains("Alpha"))
        try "---\ntitle: A\n---\n\n## Beta\n\n[broken](nowhere.md)\n".write(
            to: content.appendingPathComponent("01-ch/01-a.md"), atomically: true, encoding: .utf8)
        _ = await buildErrors(content, into: scratch)
        #expect(scratch.read("out/ch/a.html") == before)
        // No staging folder left behind.
        let siblings = try FileManager.default.contentsOfDirectory(atPath: scratch.url.path)
        #expect(siblings.sorted() == ["content", "out"])
    }

    @Test func rebuildReplacesTheSiteAndDropsStalePages() async throws {
        let content = goodCourse()
        scratch.write(["01-ch/02-b.md": "---\ntitle: B\n---\n"], in: "content")
        _ = try await build(content, into: scratch)
        #expect(scratch.exists("out/ch/b.html"))
        try FileManager.default.removeItem(at: content.appendingPathComponent("01-ch/02-b.md"))
        _ = try await build(content, into: scratch)
        #expect(!scratch.exists("out/ch/b.html"))
        #expect(scratch.exists("out/ch/a.html"))
        #expect(scratch.exists("out/.hypercourse-output"))
    }

    @Test func refusesAFolderItDidNotCreate() async throws {
        let content = goodCourse()
        scratch.write(["important.txt": "do not delete"], in: "out")
        let errors = await buildErrors(content, into: scratch)
        #expect(errors.first?.message.contains("hypercourse did not create it") == true)
        #expect(errors.first?.message.contains("--force") == true)
        #expect(scratch.read("out/important.txt") == "do not delete")
        // With --force it is replaced.
        _ = try await build(content, into: scratch, force: true)
        #expect(!scratch.exists("out/important.txt"))
        #expect(scratch.exists("out/ch/a.html"))
    }

    @Test func aPlaceholderOnlyFolderIsReplacedAndKeepsItsPlaceholder() async throws {
        let content = goodCourse()
        scratch.write([".gitkeep": ""], in: "out")
        _ = try await build(content, into: scratch)
        #expect(scratch.exists("out/.gitkeep"))
        #expect(scratch.exists("out/index.html"))
        _ = try await build(content, into: scratch)
        #expect(scratch.exists("out/.gitkeep"))
    }

    @Test func outputMustNotOverlapContent() async throws {
        let content = goodCourse()
        let options = BuildOptions(contentDirectory: content, outputDirectory: content.appendingPathComponent("site"))
        await #expect(throws: BuildFailure.self) { try await SiteBuilder(options: options).build() }
        let options2 = BuildOptions(contentDirectory: content, outputDirectory: scratch.url, force: true)
        await #expect(throws: BuildFailure.self) { try await SiteBuilder(options: options2).build() }
        #expect(FileManager.default.fileExists(atPath: content.appendingPathComponent("01-ch/01-a.md").path))
    }

    @Test func staleStagingFromAKilledBuildIsCleanedButNothingElse() async throws {
        let content = goodCourse()
        // A staging folder of a process that no longer exists (pid 2^22+1 is above Linux's pid_max default).
        let stale = scratch.write([".hypercourse-output": "", "x.html": "old"], in: ".out.hypercourse-4194305-77")
        // Same prefix but not ours (no marker), and an unrelated sibling.
        scratch.write(["keep.txt": "mine"], in: ".out.hypercourse-4194306-1")
        scratch.write(["keep.txt": "mine"], in: "other")
        _ = try await build(content, into: scratch)
        #expect(!FileManager.default.fileExists(atPath: stale.path))
        #expect(scratch.read(".out.hypercourse-4194306-1/keep.txt") == "mine")
        #expect(scratch.read("other/keep.txt") == "mine")
    }

    @Test func symlinksInTheOldSiteAreNotFollowedWhenDeleting() async throws {
        let content = goodCourse()
        _ = try await build(content, into: scratch)
        let precious = scratch.write(["precious.txt": "keep"], in: "precious")
        try FileManager.default.createSymbolicLink(
            atPath: scratch.url.appendingPathComponent("out/link").path, withDestinationPath: precious.path)
        _ = try await build(content, into: scratch)
        #expect(scratch.read("precious/precious.txt") == "keep")
        #expect(!scratch.exists("out/link"))
    }

    /// `--force` replaces a folder hypercourse did not make, but never one of these: the check runs
    /// before anything is written, so this test is safe even against a broken implementation.
    @Test func someFoldersAreRefusedEvenWithForce() throws {
        let content = goodCourse()
        let fm = FileManager.default
        let cwd = URL(fileURLWithPath: fm.currentDirectoryPath)
        let git = scratch.write([".git/HEAD": "ref: refs/heads/main\n"], in: "repo")
        let templates = scratch.write(["layout.mustache": "x"], in: "site/theme")
        let link = scratch.url.appendingPathComponent("link-to-cwd")
        try fm.createSymbolicLink(at: link, withDestinationURL: cwd)
        let refused: [(String, URL)] = [
            ("/", URL(fileURLWithPath: "/")),
            ("/etc", URL(fileURLWithPath: "/etc")),
            ("/tmp", URL(fileURLWithPath: "/tmp")),
            ("the working directory", cwd),
            ("its parent", cwd.deletingLastPathComponent()),
            ("a symlink to it", link),
            ("home", fm.homeDirectoryForCurrentUser),
            ("the content folder's parent", content.deletingLastPathComponent()),
            ("a git working tree", git),
            ("the templates folder", templates),
            ("the templates folder's parent", templates.deletingLastPathComponent())
        ]
        for (name, url) in refused {
            #expect(throws: SiteError.self, "\(name) was accepted") {
                try OutputFolder(target: url, contentRoot: content, force: true, protecting: [templates])
            }
        }
        #expect(fm.fileExists(atPath: templates.appendingPathComponent("layout.mustache").path))
        // An ordinary folder beside them is fine.
        #expect(throws: Never.self) {
            try OutputFolder(target: scratch.url.appendingPathComponent("out"), contentRoot: content, force: true)
        }
    }

    /// Only a folder known to hold nothing but placeholders is ours; one that cannot be listed is not.
    @Test func aFolderThatCannotBeListedIsNotOurs() throws {
        let folder = scratch.write(["x.txt": "mine"], in: "unlistable")
        struct Unreadable: Error {}
        #expect(!OutputFolder.isOurs(folder, list: { _ in throw Unreadable() }))
        #expect(OutputFolder.isOurs(folder, list: { _ in [".gitkeep"] }))
        #expect(!OutputFolder.isOurs(folder))
    }

    /// Once the new site is swapped in, failing to delete the old one must not be reported as
    /// "public left unchanged": the build succeeded, with a warning.
    @Test func aCleanupFailureAfterTheSwapIsAWarning() async throws {
        let content = goodCourse()
        _ = try await build(content, into: scratch)
        var output = try OutputFolder(target: scratch.url.appendingPathComponent("out"), contentRoot: content, force: false)
        let staging = try output.makeStaging()
        try "new".write(to: staging.appendingPathComponent("index.html"), atomically: true, encoding: .utf8)
        struct Stuck: Error {}
        output.removeTree = { _ in throw Stuck() }
        let warning = try output.commit(staging)
        #expect(warning?.message.contains("the new site is in place, but the previous one could not be deleted") == true)
        #expect(scratch.read("out/index.html") == "new")
        // The previous site is where the warning says, whole.
        let stale = try #require(warning?.file)
        #expect(
            FileManager.default.fileExists(
                atPath: URL(fileURLWithPath: stale, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
                    .appendingPathComponent("ch/a.html").path))
    }
}
