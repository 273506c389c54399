import Common
import Foundation
import Hypervisor
import Testing

@testable import Exercises

/// Hidden lines, and the checking of an exercise block's options.
@Suite struct GuestSourceTests {
    @Test func hiddenLinesAreBuiltButNotShown() throws {
        let text = "; [hide]\nbits 16\norg 0x7c00\n; [show]\n    mov al, 1\n  ; [hide]\n    nop\n  ; [show]\n    hlt\n"
        let source = try GuestSource(text, language: .asm)
        #expect(source.built == text)
        #expect(source.display == "    mov al, 1\n    hlt\n")
        #expect(source.displayLine == [nil, nil, nil, nil, 1, nil, nil, nil, 2])
        #expect(source.shownLine(5) == 1 && source.shownLine(9) == 2 && source.shownLine(7) == nil && source.shownLine(99) == nil)
        #expect(source.text(ofShownLine: 2) == "    hlt")
    }

    @Test func cMarkersUseLineComments() throws {
        let source = try GuestSource("// [hide]\n#include \"hypercourse.h\"\n// [show]\nint main(void) { return 0; }\n", language: .c)
        #expect(source.display == "int main(void) { return 0; }\n")
        // An asm marker means nothing in C.
        #expect(try GuestSource("; [hide]\nint x;\n", language: .c).display == "; [hide]\nint x;\n")
    }

    /// What a language decides outside its builder holds for every language: its markers hide
    /// lines, its default mode is one it runs in, and its file extension is its own.
    @Test func everyLanguageAnswersForItself() throws {
        for language in GuestLanguage.allCases {
            let text = "a\n\(language.hideMarker)\nb\n\(language.showMarker)\nc\n"
            #expect(try GuestSource(text, language: language).display == "a\nc\n")
            #expect(language.hideMarker.hasPrefix(language.commentPrefix))
            #expect(language.unsupported(language.defaultMode) == nil)
        }
        #expect(Set(GuestLanguage.allCases.map(\.fileExtension)).count == GuestLanguage.allCases.count)
        #expect(GuestLanguage.c.unsupported(.real) != nil && GuestLanguage.asm.unsupported(.real) == nil)
    }

    @Test func unbalancedMarkersAreErrorsAtTheirLine() {
        #expect(throws: GuestSource.MarkerError.self) { try GuestSource("mov al, 1\n; [show]\n", language: .asm) }
        do {
            _ = try GuestSource("nop\n; [hide]\nnop\n", language: .asm)
            Issue.record("an unclosed hide was accepted")
        } catch {
            #expect(error.line == 2 && error.message.contains("never closed"))
        }
        do {
            _ = try GuestSource("; [hide]\n; [hide]\n; [show]\n", language: .asm)
            Issue.record("a nested hide was accepted")
        } catch {
            #expect(error.line == 2)
        }
    }
}

@Suite struct ExerciseSpecTests {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("spec-\(UUID().uuidString)")

    func input(_ options: String, language: String = "asm", body: String = "hlt\n", lesson: String = "ch/lesson.md") -> ExerciseBlock {
        let parsed = options.split(separator: " ").map { word -> ExerciseBlock.Option in
            let parts = word.split(separator: "=", maxSplits: 1)
            return ExerciseBlock.Option(key: String(parts[0]), value: parts.count > 1 ? String(parts[1]) : "")
        }
        return ExerciseBlock(
            language: language, options: parsed, body: body, file: root.appendingPathComponent(lesson), line: 7, contentRoot: root)
    }

    func problem(_ input: ExerciseBlock) -> ExerciseProblem? {
        do {
            _ = try ExerciseSpec.parse(input)
            return nil
        } catch {
            return error
        }
    }

    @Test func defaults() throws {
        let asm = try ExerciseSpec.parse(input("id=hello"))
        #expect(asm.mode == .real && asm.memoryMiB == 16 && asm.timeoutNanoseconds == 10_000_000_000)
        #expect(asm.expect == .haltOrExitZero && !asm.trace && asm.steps == 0 && asm.outputLimit == 65536 && asm.exitLimit == 1_000_000)
        let c = try ExerciseSpec.parse(input("id=hello-c", language: "c", body: "int main(void) { return 0; }\n"))
        #expect(c.mode == .long)
    }

    @Test func everyOption() throws {
        let spec = try ExerciseSpec.parse(
            input("id=x2 mode=protected memory=2 timeout=0.25 expect=exit:3 trace steps=5 output-limit=100 exit-limit=50"))
        #expect(spec.mode == .protected && spec.memoryMiB == 2 && spec.timeoutNanoseconds == 250_000_000)
        #expect(spec.expect == .end(.exited(3)) && spec.trace && spec.steps == 5 && spec.outputLimit == 100 && spec.exitLimit == 50)
        let config = spec.machineConfig
        #expect(config.mode == .protected && config.memoryMiB == 2 && config.timeout == .milliseconds(250) && config.steps == 5)
        #expect(try ExerciseSpec.parse(input("id=a trace=false")).trace == false)
        #expect(try ExerciseSpec.parse(input("id=a trace=true")).trace == true)
    }

    @Test func expectations() {
        #expect(
            Expectation("exit:0") == .end(.exited(0)) && Expectation("exit 7") == .end(.exited(7))
                && Expectation("exit") == .end(.exited(0)))
        #expect(
            Expectation("output-limit") == .end(.outputLimit) && Expectation("crash") == .end(.crash) && Expectation("exit:256") == nil
                && Expectation("boom") == nil)
        #expect(
            Expectation("exit:") == nil && Expectation("halt 3") == nil && Expectation("exit 3 4") == nil
                && Expectation(" timeout ") == .end(.timeout))
        #expect(
            Expectation.haltOrExitZero.accepts(.halt) && Expectation.haltOrExitZero.accepts(.exited(0))
                && !Expectation.haltOrExitZero.accepts(.exited(1)))
        #expect(Expectation.haltOrExitZero.words(for: .exited(0)) == "exit 0" && Expectation.haltOrExitZero.words(for: .halt) == "halt")
        #expect(Expectation.end(.exited(3)).words(for: .halt) == "exit 3" && !Expectation.end(.exited(3)).accepts(.exited(4)))
        #expect(Expectation.haltOrExitZero.description == "halt or exit 0")
    }

    /// One spelling of each end: the hypervisor's, read back by the record and `expect=`.
    @Test func endWordsHaveOneSource() {
        for kind in EndKind.allCases {
            let text = kind == .exited ? "exit 3" : kind == .signal ? "signal 9" : kind.rawValue
            let end = RecordedEnd(text: text)
            #expect(end?.description == text && end?.kind == kind)
            #expect(Expectation(text) == end.map(Expectation.end))
        }
        let runEnds: [EndReason] = [
            .halt, .exited(status: 3), .crash(CrashDetail(kind: .shutdown, code: 0, message: "")), .timeout, .outputLimit, .exitLimit
        ]
        for end in runEnds { #expect(RecordedEnd(end).description == end.description && end.name == end.kind.rawValue) }
        #expect(RecordedEnd(text: "exit 256") == nil && RecordedEnd(text: "exit") == nil && RecordedEnd(text: "crash 1") == nil)
    }

    @Test func unknownOptionModeAndExpectation() {
        let option = problem(input("id=a tarce"))
        #expect(
            option?.message.contains("unknown exercise option 'tarce'") == true && option?.message.contains("did you mean 'trace'") == true)
        #expect(option?.line == 7 && option?.file?.lastPathComponent == "lesson.md")
        #expect(problem(input("id=a mode=virtual86"))?.message.contains("unknown mode 'virtual86'") == true)
        #expect(problem(input("id=a expect=exit:999"))?.message.contains("unknown expectation 'exit:999'") == true)
        #expect(problem(input("id=a expect=halted"))?.message.contains("unknown expectation") == true)
        #expect(problem(input("id=a", language: "rust"))?.message.contains("unknown exercise language 'rust' (use asm, c or vmm)") == true)
    }

    /// `expect: crash` is how YAML would say it; the error says how an option is written, at the fence.
    @Test(arguments: [
        ("id=a expect: crash", "write 'expect=crash', not 'expect: crash'"),
        ("id=a expect:crash", "write 'expect=crash', not 'expect:crash'"),
        ("id=a mode: long trace", "write 'mode=long', not 'mode: long'"),
        ("id=a expect: exit:3", "write 'expect=exit:3', not 'expect: exit:3'"),
        ("id=a timeout: steps=3", "write 'timeout=VALUE', not 'timeout:'")
    ])
    func colonSpellingGetsAHint(options: String, hint: String) throws {
        let found = try #require(problem(input(options)))
        #expect(found.message == "options are written key=value: \(hint)")
        #expect(found.line == 7)
    }

    @Test func badValues() {
        #expect(problem(input("mode=real"))?.message.contains("has no id") == true)
        #expect(problem(input("id=Hello_World"))?.message.contains("lowercase") == true)
        #expect(problem(input("id=a-"))?.message.contains("lowercase") == true)
        #expect(problem(input("id=a memory=0"))?.message.contains("memory '0'") == true)
        #expect(problem(input("id=a memory=2048"))?.message.contains("1 to 1024") == true)
        #expect(problem(input("id=a timeout=-1"))?.message.contains("timeout '-1'") == true)
        #expect(problem(input("id=a timeout=soon"))?.message.contains("timeout 'soon'") == true)
        #expect(problem(input("id=a steps=0"))?.message.contains("steps '0'") == true)
        #expect(problem(input("id=a trace=yes"))?.message.contains("trace takes") == true)
        #expect(problem(input("id=a id=b"))?.message.contains("given twice") == true)
        #expect(problem(input("id=a mode=user steps=3"))?.message.contains("user mode") == true)
        #expect(problem(input("id=a mode=real", language: "c"))?.message.contains("long or user") == true)
        #expect(problem(input("id=a", body: "  \n"))?.message.contains("no source") == true)
    }

    @Test func sourceFiles() throws {
        try FileManager.default.createDirectory(at: root.appendingPathComponent("ch"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        try "; [hide]\nbits 16\n; [show]\nhlt\n".write(to: root.appendingPathComponent("ch/guest.asm"), atomically: true, encoding: .utf8)
        let spec = try ExerciseSpec.parse(input("id=a src=guest.asm", body: ""))
        #expect(spec.sourceFile?.lastPathComponent == "guest.asm" && spec.source.display == "hlt\n")
        // Errors in the file point at the file's own line.
        try "nop\n; [show]\n".write(to: root.appendingPathComponent("ch/bad.asm"), atomically: true, encoding: .utf8)
        let marker = problem(input("id=a src=bad.asm", body: ""))
        #expect(marker?.file?.lastPathComponent == "bad.asm" && marker?.line == 2)

        #expect(problem(input("id=a src=missing.asm", body: ""))?.message.contains("not found") == true)
        #expect(problem(input("id=a src=guest.asm", body: "hlt\n"))?.message.contains("empty body") == true)
        #expect(problem(input("id=a src=../../etc/passwd", body: ""))?.message.contains("outside the content folder") == true)
        #expect(problem(input("id=a src=/etc/passwd", body: ""))?.message.contains("relative") == true)
        // A symlink that leads out is caught too.
        try FileManager.default.createSymbolicLink(
            atPath: root.appendingPathComponent("ch/link.asm").path, withDestinationPath: "/etc/hostname")
        #expect(problem(input("id=a src=link.asm", body: ""))?.message.contains("outside the content folder") == true)
    }
}
