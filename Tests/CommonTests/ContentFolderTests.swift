import Foundation
import Testing

@testable import Common

/// The content-folder boundary both sides use: relative paths only, inside as written and with
/// symlinks followed, on a real folder tree.
@Suite struct ContentFolderTests {
    let root: URL
    let outside: URL

    init() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("common-\(UUID().uuidString)")
        root = base.appendingPathComponent("content")
        outside = base.appendingPathComponent("elsewhere")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("ch"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: root.appendingPathComponent("ch/a.asm"))
        try Data("x".utf8).write(to: outside.appendingPathComponent("secret"))
        try FileManager.default.createSymbolicLink(
            at: root.appendingPathComponent("ch/leak"), withDestinationURL: outside.appendingPathComponent("secret"))
    }

    func resolve(_ path: String) -> Result<URL, ContentFolder.Violation> {
        ContentFolder(root).resolve(path, from: root.appendingPathComponent("ch"))
    }

    @Test func relativePathsInsideResolve() throws {
        #expect(try resolve("a.asm").get().path == root.appendingPathComponent("ch/a.asm").path)
        #expect(try resolve("../ch/./a.asm").get().lastPathComponent == "a.asm")
    }

    @Test func absolutePathsAndTildeAreRefused() {
        for path in ["/etc/hostname", "~/x.asm", "~"] {
            guard case .failure(.absolute) = resolve(path) else { Issue.record("\(path) was not refused as absolute"); continue }
        }
    }

    @Test func leavingAsWrittenOrThroughASymlinkIsRefused() {
        guard case .failure(.outside) = resolve("../../elsewhere/secret") else { Issue.record("../.. got out"); return }
        guard case .failure(.symlinkOutside) = resolve("leak") else { Issue.record("the symlink got out"); return }
        guard case .failure(.missing) = resolve("nowhere.asm") else { Issue.record("a missing file resolved"); return }
    }

    @Test func realRelativePathsFollowSymlinksAndJudgeMissingFilesByTheirFolder() {
        let content = ContentFolder(root)
        #expect(content.realRelativePath(of: root.appendingPathComponent("ch/a.asm")) == "ch/a.asm")
        #expect(content.realRelativePath(of: root.appendingPathComponent("ch/new/deeper.inc")) == "ch/new/deeper.inc")
        #expect(content.realRelativePath(of: root.appendingPathComponent("ch/leak")) == nil)
        #expect(content.realRelativePath(of: outside.appendingPathComponent("secret")) == nil)
        #expect(ContentFolder.relativePath(of: root.appendingPathComponent("ch/../ch/a.asm"), in: root) == "ch/a.asm")
    }
}
