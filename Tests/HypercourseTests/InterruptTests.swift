import Foundation
import Testing

/// An interrupted command removes its scratch folders and dies of the signal, leaving the
/// previous output as it was.
@Suite(.enabled(if: kvmPresent, "skipped: /dev/kvm is absent on this machine"))
struct InterruptTests {
    @Test(arguments: [SIGTERM, SIGINT])
    func anInterruptedBuildLeavesNoScratchAndDiesOfTheSignal(signal: Int32) throws {
        let tool = try #require(Repo.tool, "the hypercourse binary was not built")
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("hc-interrupt-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let lesson = root.appendingPathComponent("content/01-ch/01-spin.md")
        try FileManager.default.createDirectory(at: lesson.deletingLastPathComponent(), withIntermediateDirectories: true)
        // A guest that spins until its 90 s timeout: the signal surely comes while it runs, even on
        // a machine busy with other tests.
        try "---\ntitle: Spin\n---\n\n```asm exercise id=spin mode=long timeout=90 expect=timeout\n; [hide]\nbits 64\norg 0x100000\n; [show]\nspin: jmp spin\n```\n"
            .write(to: lesson, atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = tool
        process.arguments = ["build", "-q"]
        process.currentDirectoryURL = root
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let started = Date()
        try process.run()
        let scratch = "hypercourse-\(process.processIdentifier)-"
        func leftovers() throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path).filter { $0.hasPrefix(scratch) }
        }
        // Wait until the guest builds in its scratch folder, then interrupt.
        while try leftovers().isEmpty, Date().timeIntervalSince(started) < 45 { usleep(20_000) }
        #expect(try !leftovers().isEmpty, "the build never made its scratch folder")
        usleep(300_000)
        let signalled = Date()
        kill(process.processIdentifier, signal)
        process.waitUntilExit()

        #expect(process.terminationReason == .uncaughtSignal)
        #expect(process.terminationStatus == signal)
        #expect(Date().timeIntervalSince(signalled) < 10, "the build ran on instead of stopping")
        #expect(try leftovers().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("public").path))
    }
}
