import Common
import Foundation
import Hypervisor
import Testing

@testable import Exercises

/// KVM-backed tests skip only when the device is absent; where it exists they must pass.
let kvmPresent = FileManager.default.fileExists(atPath: KVMSystem.defaultDevicePath)

/// A throwaway course: a content folder with lessons, and a cache beside it.
final class TestCourse: @unchecked Sendable {
    let root: URL
    var content: URL { root.appendingPathComponent("content") }
    var cache: URL { root.appendingPathComponent(".hypercourse-cache") }

    init() {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("ex-course-\(UUID().uuidString)")
        reportingFailure("making a scratch course") { [root] in
            try FileManager.default.createDirectory(at: root.appendingPathComponent("content"), withIntermediateDirectories: true)
        }
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    @discardableResult
    func write(_ path: String, _ text: String) -> URL {
        let url = content.appendingPathComponent(path)
        reportingFailure("writing \(path)") {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        return url
    }

    func read(_ path: String) -> String { (try? String(contentsOf: content.appendingPathComponent(path), encoding: .utf8)) ?? "" }

    /// An exercise block in `lesson` at `line`, as the site would hand it over.
    func cBlock(_ options: String, _ body: String, lesson: String = "ch/lesson.md", line: Int = 10) -> ExerciseBlock {
        block(options, body, language: "c", lesson: lesson, line: line)
    }

    func block(
        _ options: String, _ body: String, language: String = "asm", lesson: String = "ch/lesson.md", line: Int = 10
    ) -> ExerciseBlock {
        let file = content.appendingPathComponent(lesson)
        if !FileManager.default.fileExists(atPath: file.path) { write(lesson, "# Lesson\n") }
        let parsed = options.split(separator: " ").map { word -> ExerciseBlock.Option in
            let parts = word.split(separator: "=", maxSplits: 1)
            return ExerciseBlock.Option(key: String(parts[0]), value: parts.count > 1 ? String(parts[1]) : "")
        }
        return ExerciseBlock(language: language, options: parsed, body: body, file: file, line: line, contentRoot: content)
    }

    /// `confined` sets whether the tools run under Landlock (nil: as the environment says).
    func engine(kvmDevice: String = KVMSystem.defaultDevicePath, confined: Bool? = nil) -> ExerciseEngine {
        var settings = ExerciseSettings(kvmDevice: kvmDevice, cacheDirectory: cache)
        if let confined { settings.confineTools = confined }
        return ExerciseEngine(settings: settings)
    }

    /// One pass; for a build, the records are then written as a build that succeeds writes them
    /// (with its site), and not at all when it has problems.
    func process(
        _ inputs: [ExerciseBlock], _ pass: ExercisePass = .build(promote: false), kvmDevice: String = KVMSystem.defaultDevicePath,
        confined: Bool? = nil
    ) -> ExerciseReport {
        var report = engine(kvmDevice: kvmDevice, confined: confined).process(inputs, pass: pass)
        if case .build = pass, report.problems.isEmpty { report.writeRecords() }
        return report
    }
}

/// A hostile source's build refused with one problem, at `line`, naming one of `words`: no outcome,
/// no record written, and nothing of /etc/passwd in what it says.
func expectRefused(
    _ report: ExerciseReport, _ course: TestCourse, mentioning words: [String], line: Int = 10,
    sourceLocation: Testing.SourceLocation = #_sourceLocation
) {
    #expect(report.outcomes.allSatisfy { $0 == nil }, sourceLocation: sourceLocation)
    #expect(report.problems.count == 1, "\(report.messages)", sourceLocation: sourceLocation)
    #expect(words.contains { report.messages.contains($0) }, "\(report.messages)", sourceLocation: sourceLocation)
    #expect(report.problems.first?.line == line, "\(report.messages)", sourceLocation: sourceLocation)
    #expect(!report.messages.contains("root:x:0:0"), sourceLocation: sourceLocation)
    #expect(
        !FileManager.default.fileExists(atPath: course.content.appendingPathComponent("ch/lesson.exercises.json").path),
        sourceLocation: sourceLocation)
}

extension ExerciseReport {
    func output(_ slot: Int) -> String? { outcomes[slot].map { String(decoding: $0.entry.result.output, as: UTF8.self) } }
    var messages: String { problems.map(\.description).joined(separator: "\n") }
}

/// Guests used across tests.
enum Guests {
    static func hello(_ mode: GuestMode, _ text: String = "hi") -> String {
        let header: String, register: String, end: String
        switch mode {
        case .real: (header, register, end) = ("bits 16\norg 0x7c00", "si", "hlt")
        case .protected: (header, register, end) = ("bits 32\norg 0x100000", "esi", "hlt")
        case .long: (header, register, end) = ("bits 64\norg 0x100000", "rsi", "hlt")
        case .user: (header, register, end) = ("bits 64\norg 0x100000", "rsi", "mov al, 0\n    out 0xf4, al")
        }
        let load = mode == .long || mode == .user ? "lea rsi, [rel msg]" : "mov \(register), msg"
        return """
            ; [hide]
            \(header)
            ; [show]
                mov dx, 0x3f8
                \(load)
            next:
                lodsb
                test al, al
                jz done
                out dx, al
                jmp next
            done:
                \(end)
            msg: db "\(text)", 10, 0

            """
    }

    static let cHello = """
        // [hide]
        #include "hypercourse.h"
        // [show]
        int main(void) {
            printf("%s from C: %d %u %x %lx %c %5d|%-3d|%03d\\n", "hello", -42, 42u, 0xbeefu, 0x123456789abcUL, 'Z', 7, 8, 9);
            puts("bye");
            return 0;
        }

        """
}

/// Runs a test helper's file operation; a failure is reported as an issue of the running test
/// instead of trapping (`try!`, `precondition`), which would end every test in the process.
func reportingFailure(_ what: String, sourceLocation: Testing.SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    do {
        try body()
    } catch {
        Issue.record("\(what): \(error)", sourceLocation: sourceLocation)
    }
}
