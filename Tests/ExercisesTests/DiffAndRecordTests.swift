import Foundation
import Hypervisor
import Testing

@testable import Exercises

/// Unified diffs (against GNU diff), output escaping, and the record file's round trip.
@Suite struct UnifiedDiffTests {
    /// Runs `diff -U3` on the two texts and returns its hunks (from the first `@@`).
    func gnuDiff(_ old: [String], _ new: [String]) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("diff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let a = directory.appendingPathComponent("a"), b = directory.appendingPathComponent("b")
        try (old.map { $0 + "\n" }.joined()).write(to: a, atomically: true, encoding: .utf8)
        try (new.map { $0 + "\n" }.joined()).write(to: b, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["diff", "-U3", a.path, b.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return text.split(separator: "\n", omittingEmptySubsequences: false).drop { !$0.hasPrefix("@@") }.joined(separator: "\n")
            .trimmingCharacters(in: .newlines)
    }

    func ours(_ old: [String], _ new: [String]) -> String {
        UnifiedDiff.diff(old, new, oldLabel: "a", newLabel: "b").split(separator: "\n", omittingEmptySubsequences: false)
            .dropFirst(2).joined(separator: "\n")
    }

    @Test func equalInputsGiveNothing() {
        #expect(UnifiedDiff.diff(["a", "b"], ["a", "b"], oldLabel: "x", newLabel: "y").isEmpty)
    }

    @Test func headersNameBothSides() {
        let text = UnifiedDiff.diff(["a"], ["b"], oldLabel: "record (pvm)", newLabel: "this run (vmx)")
        #expect(text.hasPrefix("--- record (pvm)\n+++ this run (vmx)\n@@ -1 +1 @@\n-a\n+b"))
    }

    @Test func matchesGNUDiffOnEditedSequences() throws {
        var generator = SystemRandomNumberGenerator()
        for round in 0..<60 {
            let old = (0..<Int.random(in: 0...40, using: &generator)).map { _ in "line \(Int.random(in: 0...12, using: &generator))" }
            var new = old
            for _ in 0..<Int.random(in: 1...6, using: &generator) {
                switch Int.random(in: 0...2, using: &generator) {
                case 0 where !new.isEmpty: new.remove(at: Int.random(in: 0..<new.count, using: &generator))
                case 1: new.insert("new \(round)", at: Int.random(in: 0...new.count, using: &generator))
                default: if !new.isEmpty { new[Int.random(in: 0..<new.count, using: &generator)] = "changed \(round)" }
                }
            }
            guard old != new else { continue }
            // Both are minimal edit scripts; where several exist they may pick differently, so compare
            // what any correct diff must agree on: applying it turns old into new, and the sizes.
            let diff = ours(old, new)
            #expect(apply(diff, to: old) == new, "round \(round):\n\(diff)")
            let gnu = try gnuDiff(old, new)
            #expect(changeCount(diff) == changeCount(gnu), "round \(round): ours\n\(diff)\nGNU\n\(gnu)")
        }
    }

    @Test func identicalToGNUDiffOnASimpleCase() throws {
        let old = (1...20).map { "l\($0)" }
        var new = old
        new[4] = "five"
        new.insert("extra", at: 15)
        #expect(ours(old, new) == (try gnuDiff(old, new)))
    }

    func changeCount(_ diff: String) -> Int { diff.split(separator: "\n").filter { $0.hasPrefix("+") || $0.hasPrefix("-") }.count }

    /// Applies a unified diff's hunks to `old`.
    func apply(_ diff: String, to old: [String]) -> [String] {
        var result: [String] = []
        var position = 0
        for line in diff.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("@@") {
                let start = Int(line.split(separator: " ")[1].dropFirst().split(separator: ",")[0])!
                let count = line.split(separator: " ")[1].contains(",") ? Int(line.split(separator: " ")[1].split(separator: ",")[1])! : 1
                let target = count == 0 ? start : start - 1
                while position < target { result.append(old[position]); position += 1 }
            } else if line.hasPrefix(" ") {
                result.append(String(line.dropFirst())); position += 1
            } else if line.hasPrefix("-") {
                position += 1
            } else if line.hasPrefix("+") {
                result.append(String(line.dropFirst()))
            }
        }
        while position < old.count { result.append(old[position]); position += 1 }
        return result
    }
}

@Suite struct RecordTests {
    func result(_ output: [UInt8]) -> RecordedResult {
        RecordedResult(
            end: .exited(3), exits: [.init(kind: "io-out", count: 2), .init(kind: "hlt", count: 1)], output: output,
            trace: [
                RecordedExit(index: 0, kind: "io-out", target: "0x3f8", size: 1, value: "0x48 'H'", rip: "0x7c05", line: 3, at: nil),
                RecordedExit(index: 1, kind: "hlt", target: nil, size: nil, value: nil, rip: "0x7c09", line: nil, at: "serial.inc:4")
            ],
            traceTruncated: false,
            steps: [
                RecordedStep(
                    index: 0, rip: "0x7c00", line: 1, at: nil, instruction: "mov al, 'H'", changes: [["rax", "0x0", "0x48"]],
                    exitDescriptions: ["io-out 0x3f8 0x48 'H'"], completed: true)
            ])
    }

    @Test func escapedOutputIsReadableAndLossless() {
        #expect(OutputLines.escapedLines(Array("a\\b\n\tü\n".utf8)) == ["a\\\\b", "\tü"])
        #expect(OutputLines.escapedLines([0x41, 0x00, 0x1B, 0xFF, 0x0A, 0x42]) == ["A\\x00\\x1b\\xff", "B\\(no newline at end)"])
        #expect(OutputLines.escapedLines(Array("\\x00".utf8)) != OutputLines.escapedLines([0]))
        #expect(OutputLines.escapedLines(Array("B\\(no newline at end)\n".utf8)) != OutputLines.escapedLines(Array("B".utf8)))
        // C1 controls and lone continuation bytes are escaped, not shown.
        #expect(OutputLines.escapedLines([0xC2, 0x85, 0x80]) == ["\\xc2\\x85\\x80\\(no newline at end)"])
    }

    @Test func roundTripsThroughTheFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rec-\(UUID().uuidString)/lesson.exercises.json")
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let entries = [
            RecordEntry(
                id: "a", key: "k1", includes: ["shared/x.inc"], recordedAt: "2026-01-02T03:04:05Z", host: "pvm", machine: "1",
                hostDetail: nil, result: result(Array("Hi <b>\n\"quoted\" \u{0}\n".utf8))),
            RecordEntry(
                id: "b", key: "k2", includes: [], recordedAt: "2026-01-02T03:04:05Z", host: "vmx", machine: "1",
                hostDetail: "KVM_EXIT_SHUTDOWN", result: result([0xFF, 0xFE, 0x0A]))
        ]
        let file = RecordFile(url: url, entries: entries)
        try file.write(lessonName: "lesson.md")
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text.contains("Generated by `hypercourse promote`") && text.contains("\n        \"Hi <b>\\n\",\n"))
        #expect(text.contains("\"outputBase64\""))
        // One trace row and one step per line.
        #expect(text.split(separator: "\n").filter { $0.contains("\"kind\":") }.count == 4)
        let loaded = try #require(try RecordFile.load(url))
        #expect(loaded.entries == entries)
        // Writing again gives the same bytes (stable order).
        try loaded.write(lessonName: "lesson.md")
        #expect(try String(contentsOf: url, encoding: .utf8) == text)
        // No temporary files left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path) == ["lesson.exercises.json"])
    }

    @Test func aDamagedRecordIsAnErrorNamingIt() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rec-\(UUID().uuidString).exercises.json")
        defer { try? FileManager.default.removeItem(at: url) }
        try "{ \"format\": 1, \"exercises\": [ { \"id\": 1 } ] }".write(to: url, atomically: true, encoding: .utf8)
        do {
            _ = try RecordFile.load(url)
            Issue.record("a damaged record loaded")
        } catch {
            #expect(error.file == url && error.message.contains("not valid"))
        }
        #expect(try RecordFile.load(url.appendingPathExtension("none")) == nil)
    }

    /// A dead process's record temporary goes on the process's first pass over a content folder;
    /// later passes (serve's rebuilds) do not walk the folder again, and keep live processes' files.
    @Test func temporariesOfGoneProcessesAreSweptOncePerProcess() throws {
        let content = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: content) }
        let folder = content.appendingPathComponent("01-ch")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let dead = folder.appendingPathComponent(".01-a.exercises.json.tmp-999999999-12345")
        let live = folder.appendingPathComponent(".01-a.exercises.json.tmp-\(getpid())-12345")
        try Data("half".utf8).write(to: dead)
        try Data("half".utf8).write(to: live)
        ScratchFolders.sweepTemporariesOnce(under: content)
        #expect(!FileManager.default.fileExists(atPath: dead.path))
        #expect(FileManager.default.fileExists(atPath: live.path))
        try Data("half".utf8).write(to: dead)
        ScratchFolders.sweepTemporariesOnce(under: content)
        #expect(FileManager.default.fileExists(atPath: dead.path), "the second pass walked the folder again")
    }

    @Test func recordFileSitsBesideTheLesson() {
        #expect(RecordFile.url(forLesson: URL(fileURLWithPath: "/c/02-cpu/01-traps.md")).path == "/c/02-cpu/01-traps.exercises.json")
    }

    @Test func canonicalLinesShowEveryFact() {
        let lines = result(Array("x".utf8)).canonicalLines
        #expect(
            lines == [
                "end: exit 3", "exits: io-out 2, hlt 1", "output: 1 byte", "| x\\(no newline at end)",
                "trace: 2 exits", "#0 line 3 io-out 0x3f8 size 1 value 0x48 'H' @0x7c05", "#1 [serial.inc:4] hlt @0x7c09",
                "steps: 1", "#0 line 1 mov al, 'H' @0x7c00 | rax 0x0→0x48 | io-out 0x3f8 0x48 'H'"
            ])
    }
}
