import Foundation
import Testing

@testable import Site

/// A warm build keeps the editions a build with the same inputs wrote, and rewrites them when an
/// input changed.
@Suite struct EditionReuseTests {
    let scratch = Scratch()
    static let files = ["virtualization-fixture-en.epub", "virtualization-fixture-en-site.zip"]

    /// Each edition's inode and modification time: a file written again gets a new inode, as the
    /// build writes into a staging folder beside the site it replaces.
    private func identities() throws -> [String: String] {
        var result: [String: String] = [:]
        for file in Self.files {
            var info = stat()
            let path = scratch.url.appendingPathComponent("out/downloads/\(file)").path
            try #require(stat(path, &info) == 0, "\(file) is missing")
            result[file] = "\(info.st_ino) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
        }
        return result
    }

    @Test func aWarmBuildKeepsTheEditionsAndOneChangedLessonRewritesThem() async throws {
        let content = scratch.copyFixture()
        _ = try await build(content, into: scratch)
        let first = try identities()
        let firstHome = scratch.read("out/index.html")
        _ = try await build(content, into: scratch)
        #expect(try identities() == first, "a warm build with unchanged sources wrote the editions again")
        #expect(scratch.read("out/index.html") == firstHome, "the Download section changed")
        #expect(scratch.exists("out/downloads/\(EditionInputs.keyFile)"))

        let lesson = content.appendingPathComponent("01-foundations/02-history.md")
        let sentence = "Warm builds notice this sentence."
        try (try String(contentsOf: lesson, encoding: .utf8) + "\n\(sentence)\n").write(to: lesson, atomically: true, encoding: .utf8)
        _ = try await build(content, into: scratch)
        let changed = try identities()
        for file in Self.files { #expect(changed[file] != first[file], "\(file) was kept though a lesson changed") }
        let book = try Data(contentsOf: scratch.url.appendingPathComponent("out/downloads/\(Self.files[0])"))
        let page = EPUBTestZip.text(of: "EPUB/foundations/history.xhtml", in: book) ?? ""
        #expect(page.contains(sentence))
        let zip = try Data(contentsOf: scratch.url.appendingPathComponent("out/downloads/\(Self.files[1])"))
        #expect((EPUBTestZip.text(of: "virtualization-fixture-en/foundations/history.html", in: zip) ?? "").contains(sentence))
    }

    @Test func aChangedImageOrSettingRewritesTheEditions() async throws {
        let content = scratch.copyFixture()
        _ = try await build(content, into: scratch)
        let first = try identities()
        // Only the file's size and date change: the bodies that show it are the same.
        let image = try #require(
            FileManager.default.enumerator(atPath: content.appendingPathComponent("01-foundations/img").path)?.nextObject() as? String)
        let url = content.appendingPathComponent("01-foundations/img/\(image)")
        try (try Data(contentsOf: url) + Data("\n".utf8)).write(to: url)
        _ = try await build(content, into: scratch)
        let second = try identities()
        for file in Self.files { #expect(second[file] != first[file], "\(file) was kept though an image changed") }

        let yml = content.appendingPathComponent("course.yml")
        try (try String(contentsOf: yml, encoding: .utf8) + "editions:\n  site-zip: false\n").write(
            to: yml, atomically: true, encoding: .utf8)
        _ = try await build(content, into: scratch)
        #expect(!scratch.exists("out/downloads/\(Self.files[1])"))
    }
}
