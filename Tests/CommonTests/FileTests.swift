import Foundation
import Testing

@testable import Common

/// Reading what authors wrote and writing what a build leaves in the content folder, on real files.
@Suite struct FileTests {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("common-files-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    func url(_ name: String) -> URL { folder.appendingPathComponent(name) }

    @Test func textFilesAreUTF8WithTheFirstBadByteLocated() throws {
        try Data("a\nb — ok\n".utf8).write(to: url("good.txt"))
        #expect(try TextFile.read(url("good.txt")) == "a\nb — ok\n")
        try (Data("one\n中文 two ".utf8) + Data([0xFF]) + Data(" three\n".utf8)).write(to: url("bad.txt"))
        #expect(throws: TextFile.Problem.invalidUTF8(line: 2, column: 12, byte: 0xFF)) { try TextFile.read(url("bad.txt")) }
        // A sequence cut short at the very end.
        try (Data("x\ny\n".utf8) + Data([0xE4, 0xB8])).write(to: url("cut.txt"))
        #expect(throws: TextFile.Problem.invalidUTF8(line: 3, column: 1, byte: 0xE4)) { try TextFile.read(url("cut.txt")) }
        // An encoded surrogate (CESU-8) is not UTF-8.
        try Data([0x61, 0xED, 0xA0, 0x80]).write(to: url("surrogate.txt"))
        #expect(throws: TextFile.Problem.invalidUTF8(line: 1, column: 2, byte: 0xED)) { try TextFile.read(url("surrogate.txt")) }
    }

    /// Only regular files: a FIFO is refused at once (never waited on), as are folders.
    @Test(.timeLimit(.minutes(5)))
    func notAFileIsRefusedWithoutWaiting() throws {
        #expect(mkfifo(url("pipe").path, 0o644) == 0)
        #expect(throws: TextFile.Problem.notAFile("a FIFO (named pipe)")) { try TextFile.read(url("pipe")) }
        #expect(throws: TextFile.Problem.notAFile("a folder")) { try TextFile.read(folder) }
        #expect(throws: TextFile.Problem.notAFile("a device")) { try TextFile.read(URL(fileURLWithPath: "/dev/zero")) }
        do {
            _ = try TextFile.read(url("missing"))
            Issue.record("a missing file was read")
        } catch {
            #expect(error.message("missing") == "cannot read 'missing': No such file or directory")
        }
    }

    /// Pending files are written together or not at all, and can be put back after a later failure.
    @Test func pendingFilesAreWrittenAllOrNothing() throws {
        try Data("old a".utf8).write(to: url("a.json"))
        try Data("not a folder".utf8).write(to: url("blocker"))
        let good = [PendingFile(url: url("a.json"), data: Data("new a".utf8)), PendingFile(url: url("b.json"), data: Data("new b".utf8))]
        // The third file cannot be written (its folder is a file): the first two are put back.
        do {
            _ = try PendingFileWrite.write(good + [PendingFile(url: url("blocker/c.json"), data: Data("c".utf8))])
            Issue.record("a write into a file's 'folder' succeeded")
        } catch {
            #expect(error.url == url("blocker/c.json"))
        }
        #expect(try String(contentsOf: url("a.json"), encoding: .utf8) == "old a")
        #expect(!FileManager.default.fileExists(atPath: url("b.json").path))
        // Written, then undone: as before; written and kept: the new bytes.
        let undone = try PendingFileWrite.write(good)
        #expect(try String(contentsOf: url("b.json"), encoding: .utf8) == "new b")
        undone.undo()
        #expect(try String(contentsOf: url("a.json"), encoding: .utf8) == "old a")
        #expect(!FileManager.default.fileExists(atPath: url("b.json").path))
        _ = try PendingFileWrite.write(good)
        #expect(try String(contentsOf: url("a.json"), encoding: .utf8) == "new a")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
    }
}
