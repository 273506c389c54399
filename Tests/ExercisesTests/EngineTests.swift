import Foundation
import Hypervisor
import Testing

@testable import Exercises

/// The exercise engine with real KVM, nasm and the Swift toolchain's clang.
@Suite(.enabled(if: kvmPresent, "skipped: /dev/kvm is absent on this machine"))
struct EngineTests {
    @Test func asmInEveryModeAndCInLongAndUserMode() throws {
        let course = TestCourse()
        var inputs = GuestMode.allCases.map { mode in
            course.block("id=hello-\(mode) mode=\(mode)", Guests.hello(mode, "hello from \(mode)"))
        }
        inputs.append(course.cBlock("id=c-long mode=long", Guests.cHello, lesson: "ch/c.md"))
        inputs.append(course.cBlock("id=c-user mode=user", Guests.cHello, lesson: "ch/c.md"))
        let report = course.process(inputs)
        #expect(report.problems.isEmpty, "\(report.messages)")
        for (slot, mode) in GuestMode.allCases.enumerated() {
            #expect(report.output(slot) == "hello from \(mode)\n")
            #expect(report.outcomes[slot]?.entry.result.end == (mode == .user ? .exited(0) : .halt))
        }
        let cText = "hello from C: -42 42 beef 123456789abc Z     7|8  |009\nbye\n"
        #expect(report.output(4) == cText && report.output(5) == cText)
        #expect(report.outcomes[5]?.entry.result.end == .exited(0))
        // One io-out per character, plus the exit port.
        #expect(report.outcomes[4]?.entry.result.exits == [.init(kind: "io-out", count: cText.utf8.count + 1)])
        #expect(report.ran == 6 && report.newRecords == 6 && report.cached == 0)
        #expect(report.outcomes.allSatisfy { $0?.status == .ran })
        // Records beside the lessons, provenance filled in.
        let record = try #require(try RecordFile.load(course.content.appendingPathComponent("ch/lesson.exercises.json")))
        #expect(record.entries.map(\.id) == GuestMode.allCases.map { "hello-\($0)" })
        #expect(record.entries[0].host == HostKind.detect().rawValue && record.entries[0].machine == GuestMachine.version)
        #expect(record.entries[0].recordedAt.hasSuffix("Z") && record.entries[0].key.count == 64)
        #expect(try RecordFile.load(course.content.appendingPathComponent("ch/c.exercises.json"))?.entries.count == 2)

        // Unchanged: nothing runs the second time.
        let again = course.process(inputs)
        #expect(again.problems.isEmpty && again.ran == 0 && again.cached == 6 && again.recordFilesWritten.isEmpty)
        #expect(again.outcomes.allSatisfy { $0?.status == .cached })
        #expect(again.output(4) == cText)
    }

    @Test func editingAnIncludeRerunsTheExercise() throws {
        let course = TestCourse()
        course.write("shared/print.inc", "print_char:\n    out dx, al\n    ret\n")
        course.write("ch/util.h", "#define GREETING \"one\"\n")
        let body = "bits 16\norg 0x7c00\n    mov dx, 0x3f8\n    mov al, 'A'\n    call print_char\n    hlt\n%include \"shared/print.inc\"\n"
        let inputs = [
            course.block("id=inc", body),
            course.cBlock("id=inc-c", "#include \"hypercourse.h\"\n#include \"util.h\"\nint main(void) { puts(GREETING); return 0; }\n")
        ]
        let first = course.process(inputs)
        #expect(first.problems.isEmpty, "\(first.messages)")
        let record = try #require(try RecordFile.load(course.content.appendingPathComponent("ch/lesson.exercises.json")))
        #expect(record.entry("inc")?.includes == ["shared/print.inc"])
        #expect(record.entry("inc-c")?.includes == ["ch/util.h"])
        #expect(course.process(inputs).cached == 2)

        // Only comments edited in the included files: each reruns (its inputs changed), builds the
        // same image, so its key stays and the record is not written.
        let recordText = course.read("ch/lesson.exercises.json")
        course.write("shared/print.inc", "; prints AL\nprint_char:\n    out dx, al   ; COM1\n    ret\n")
        course.write("ch/util.h", "/* the greeting */\n#define GREETING \"one\" // said once\n")
        let commented = course.process(inputs)
        #expect(commented.problems.isEmpty && commented.ran == 2 && commented.refreshedKeys == 0, "\(commented.messages)")
        #expect(commented.pendingRecords.isEmpty && commented.recordFilesWritten.isEmpty)
        #expect(course.read("ch/lesson.exercises.json") == recordText)
        #expect(course.process(inputs).cached == 2, "the cache knows the commented inputs' key")

        // Same result, another image (an instruction that never runs): rerun, key refreshed, result kept.
        course.write("shared/print.inc", "; prints AL\nprint_char:\n    out dx, al\n    ret\n    nop\n")
        let refreshed = course.process(inputs)
        #expect(refreshed.problems.isEmpty && refreshed.ran == 1 && refreshed.cached == 1 && refreshed.refreshedKeys == 1)
        #expect(
            try RecordFile.load(course.content.appendingPathComponent("ch/lesson.exercises.json"))?.entry("inc")?.key
                != record.entry("inc")?.key)

        // A header that changes the output: rerun, and the difference fails the build with a diff.
        course.write("ch/util.h", "#define GREETING \"two\"\n")
        let changed = course.process(inputs)
        #expect(changed.problems.count == 1 && changed.cached == 1)
        let message = try #require(changed.problems.first?.message)
        #expect(message.contains("differs from the record") && message.contains("-| one") && message.contains("+| two"))
        #expect(message.contains("--- record (recorded ") && message.contains("+++ this run (on "))
        // --promote accepts it.
        let promoted = course.process(inputs, .build(promote: true))
        #expect(promoted.problems.isEmpty && promoted.promoted == 1)
        #expect(promoted.notes.contains { $0.contains("promoted 'inc-c'") && $0.contains("+| two") })
        #expect(course.process(inputs).cached == 2)
    }

    @Test func rdtscOutputIsReportedAsNonDeterministic() {
        let course = TestCourse()
        let input = course.cBlock("id=clock", "#include \"hypercourse.h\"\nint main(void) { printf(\"%lu\\n\", rdtsc()); return 0; }\n")
        let report = course.process([input])
        #expect(report.problems.count == 1)
        let message = report.problems.first?.message ?? ""
        #expect(message.contains("exercise 'clock' is non-deterministic") && message.contains("--- run 1") && message.contains("+++ run 2"))
        #expect(report.problems.first?.line == 10)
        // Nothing was recorded.
        #expect(!FileManager.default.fileExists(atPath: course.content.appendingPathComponent("ch/lesson.exercises.json").path))
    }

    @Test func anUnexpectedEndFailsWithTheOutputSoFar() {
        let course = TestCourse()
        let report = course.process([course.block("id=early expect=exit:3", Guests.hello(.real, "<partial>"), line: 42)])
        let problem = report.problems.first
        #expect(problem?.line == 42 && problem?.file?.lastPathComponent == "lesson.md")
        #expect(problem?.message.contains("ended with 'halt', but the lesson expects 'exit 3'") == true)
        #expect(problem?.message.contains("  | <partial>") == true)
        // And a crash where the default (halt or exit 0) is expected.
        let crash = course.process([course.block("id=boom mode=long", "bits 64\n    ud2\n")])
        // KVM's detail and where: the exit, the instruction's line and its bytes.
        let message = crash.problems.first?.message ?? ""
        #expect(message.contains("ended with 'crash' (KVM_EXIT_SHUTDOWN: "), "\(message)")
        #expect(message.contains(" at rip 0x100000, line 2 (ud2), bytes 0f 0b "), "\(message)")
        #expect(message.contains("), but the lesson expects 'halt or exit 0'"), "\(message)")
        #expect(message.contains("it printed nothing"))
    }

    @Test func crashDetailIsShownButNotCompared() throws {
        let course = TestCourse()
        let report = course.process([
            course.block("id=hlt-user mode=user expect=crash", "bits 64\n    mov dx, 0x3f8\n    mov al, 'x'\n    out dx, al\n    hlt\n")
        ])
        #expect(report.problems.isEmpty, "\(report.messages)")
        let entry = try #require(report.outcomes[0]?.entry)
        #expect(entry.result.end == .crash && entry.result.exits == [.init(kind: "io-out", count: 1)])
        #expect(
            entry.hostDetail?.hasSuffix(" at rip 0x100007, line 5 (hlt), bytes f4 00 00 00 00 00 00 00 00 00 00 00 00 00 00") == true,
            "\(entry.hostDetail ?? "no detail")")
        // The record keeps the detail apart from the compared result.
        let text = course.read("ch/lesson.exercises.json")
        #expect(text.contains("\"hostDetail\"") && !text.contains("\"shutdown\":") && !text.contains("\"internal-error\":"))
    }

    @Test func errorsPointAtTheMarkdownLine() {
        let course = TestCourse()
        let asm = course.process([course.block("id=bad-asm", "bits 16\nmov ax, 1\nfrobnicate ax\n", line: 20)])
        #expect(asm.problems.first?.line == 23 && asm.problems.first?.message.contains("assembler error") == true)
        #expect(asm.problems.first?.file?.lastPathComponent == "lesson.md")
        let c = course.process([
            course.cBlock("id=bad-c", "#include \"hypercourse.h\"\nint main(void) {\n    return undeclared;\n}\n", line: 5)
        ])
        #expect(c.problems.first?.line == 8 && c.problems.first?.message.contains("compiler error") == true)
        #expect(c.problems.first?.message.contains("undeclared") == true)
        let link = course.process([
            course.cBlock("id=bad-link", "#include \"hypercourse.h\"\nint strcpy_like(void);\nint main(void) { return strcpy_like(); }\n")
        ])
        #expect(link.problems.first?.message.contains("link error") == true && link.problems.first?.message.contains("strcpy_like") == true)
        // In a src= file, the file's own line.
        course.write("ch/broken.asm", "bits 16\n\nfrobnicate ax\n")
        let file = course.process([course.block("id=bad-file src=broken.asm", "")])
        #expect(file.problems.first?.file?.lastPathComponent == "broken.asm" && file.problems.first?.line == 3)
        // In an included file, that file's line.
        course.write("ch/broken.inc", "nop\nnot-an-instruction\n")
        let include = course.process([course.block("id=bad-inc", "bits 16\n%include \"broken.inc\"\n")])
        #expect(include.problems.first?.file?.lastPathComponent == "broken.inc" && include.problems.first?.line == 2)
    }

    @Test func duplicateIdsAndPathsOutsideTheContentFolder() {
        let course = TestCourse()
        let duplicate = course.process([
            course.block("id=same", Guests.hello(.real), line: 3),
            course.block("id=same", Guests.hello(.real), lesson: "ch/other.md", line: 9)
        ])
        #expect(duplicate.problems.count == 1 && duplicate.problems[0].line == 9)
        #expect(duplicate.problems[0].message.contains("duplicate exercise id 'same' (first used at ") == true)
        #expect(duplicate.problems[0].message.contains("lesson.md:3") == true)
        let outside = course.process([course.block("id=leak", "bits 16\nincbin \"/etc/hostname\"\n")])
        #expect(outside.problems.first?.message.contains("outside the content folder") == true)
        let missing = course.process([course.block("id=gone src=gone.asm", "")])
        #expect(missing.problems.first?.message.contains("source file 'gone.asm' not found") == true)
        let escaping = course.process([course.block("id=up src=../../secret.asm", "")])
        #expect(escaping.problems.first?.message.contains("outside the content folder") == true)
    }

    @Test func stepsMapToTheShownSourceLines() throws {
        let course = TestCourse()
        let body = """
            ; [hide]
            bits 16
            org 0x7c00
            ; [show]
                mov dx, 0x3f8   ; COM1
                mov al, 'A'
                out dx, al      ; one exit
                inc al
                out dx, al
                hlt

            """
        let report = course.process([course.block("id=stepped steps=6 trace", body)])
        #expect(report.problems.isEmpty, "\(report.messages)")
        let spec = try #require(report.outcomes[0]?.spec)
        let steps = try #require(report.outcomes[0]?.entry.result.steps)
        #expect(steps.count == 6)
        #expect(steps.map(\.line) == [1, 2, 3, 4, 5, 6])
        for step in steps {
            // The instruction is the shown line, without its comment.
            let shown = try #require(spec.source.text(ofShownLine: step.line ?? 0))
            #expect(shown.hasPrefix("    " + step.instruction))
        }
        #expect(steps.map(\.instruction) == ["mov dx, 0x3f8", "mov al, 'A'", "out dx, al", "inc al", "out dx, al", "hlt"])
        #expect(steps[0].changes == [["rdx", "0x0", "0x3f8"]] && steps[0].rip == "0x7c00")
        #expect(steps[2].exitDescriptions == ["io-out 0x3f8 0x41 'A'"] && steps[2].changes.isEmpty)
        #expect(steps[3].changes.first == ["rax", "0x41", "0x42"])
        #expect(steps[5].exitDescriptions == ["hlt"])
        let trace = try #require(report.outcomes[0]?.entry.result.trace)
        #expect(trace.map(\.line) == [3, 5, 6] && trace.map(\.kind) == ["io-out", "io-out", "hlt"])
        #expect(trace[1].value == "0x42 'B'" && trace[1].target == "0x3f8" && trace[1].size == 1)
    }

    @Test func cTracesAndStepsPointIntoTheCSource() throws {
        let course = TestCourse()
        let body = """
            // [hide]
            #include "hypercourse.h"
            // [show]
            static void put(char c) {
                while ((inb(0x3fd) & 0x20) == 0)
                    ;
                outb(0x3f8, (uint8_t)c);
            }
            int main(void) {
                put('o');
                put('k');
                putchar('\\n');
                return 0;
            }

            """
        let report = course.process([course.cBlock("id=c-trace trace steps=40", body)])
        #expect(report.problems.isEmpty, "\(report.messages)")
        let trace = try #require(report.outcomes[0]?.entry.result.trace)
        #expect(trace.map(\.kind) == ["io-in", "io-out", "io-in", "io-out", "io-out", "io-out"])
        // The polling read is line 2, the write line 4 (inlined into main); putchar is the runtime's.
        #expect(trace[0].line == 2 && trace[1].line == 4 && trace[1].value == "0x6f 'o'")
        #expect(trace[4].line == nil && trace[4].at == "putchar (runtime)")
        // The exit port write comes from the runtime's exit().
        #expect(trace[5].target == "0xf4" && trace[5].at == "exit (runtime)")
        let steps = try #require(report.outcomes[0]?.entry.result.steps)
        #expect(steps.first?.at == "_start (runtime)" && steps.first?.rip == "0x100000" && steps.first?.instruction == "and rsp, -0x10")
        let outStep = try #require(steps.first { $0.exitDescriptions.first?.hasPrefix("io-out 0x3f8 0x6f") == true })
        #expect(outStep.line == 4 && outStep.instruction.hasPrefix("out "))
    }

    @Test func withoutKVMTheRecordIsShown() throws {
        let course = TestCourse()
        let inputs = [course.block("id=rec", Guests.hello(.real, "recorded")), course.block("id=rec2", Guests.hello(.real, "two"))]
        #expect(course.process(inputs).problems.isEmpty)
        let offline = course.process(inputs, kvmDevice: "/nonexistent/kvm")
        #expect(offline.problems.isEmpty && offline.recorded == 2 && offline.ran == 0 && offline.sourceChanged == 0)
        #expect(offline.kvmUnavailable?.contains("/nonexistent/kvm") == true)
        #expect(offline.outcomes[0]?.status == .recorded(sourceChanged: false) && offline.output(0) == "recorded\n")
        // Edited source: still shown, flagged.
        var edited = inputs
        edited[1] = course.block("id=rec2", Guests.hello(.real, "three"))
        let stale = course.process(edited, kvmDevice: "/nonexistent/kvm")
        #expect(stale.problems.isEmpty && stale.sourceChanged == 1 && stale.outcomes[1]?.status == .recorded(sourceChanged: true))
        #expect(stale.output(1) == "two\n")
        // No record at all: an error naming the exercise.
        let missing = course.process(inputs + [course.block("id=never-run", Guests.hello(.real))], kvmDevice: "/nonexistent/kvm")
        #expect(missing.problems.count == 1 && missing.problems[0].message.contains("exercise 'never-run' has no verified record"))
        // check and promote refuse, in one line.
        for pass in [ExercisePass.check, .promote(nil)] {
            let refused = course.process(inputs, pass, kvmDevice: "/nonexistent/kvm")
            #expect(refused.problems.count == 1 && refused.problems[0].file == nil)
            #expect(refused.problems[0].message.contains("needs KVM") && !refused.problems[0].message.contains("\n"))
        }
    }

    @Test func checkAndPromote() throws {
        let course = TestCourse()
        let inputs = [
            course.block("id=one", Guests.hello(.real, "one")), course.block("id=two", Guests.hello(.real, "two"), lesson: "ch/b.md")
        ]
        // Nothing recorded yet: check fails for each.
        let empty = course.process(inputs, .check)
        #expect(empty.problems.count == 2 && empty.problems.allSatisfy { $0.message.contains("has no record") })
        #expect(course.process(inputs, .promote(nil)).newRecords == 2)
        #expect(course.process(inputs, .check).problems.isEmpty)

        // A comment changes no key; another image with the same result is a stale key.
        let commented = [course.block("id=one", "; a comment\n" + Guests.hello(.real, "one") + "; another\n"), inputs[1]]
        #expect(course.process(commented, .check).problems.isEmpty)
        let edited = [course.block("id=one", Guests.hello(.real, "one") + "nop\n"), inputs[1]]
        let stale = course.process(edited, .check)
        #expect(stale.problems.count == 1 && stale.problems[0].message.contains("key is stale"))
        // Promote by id refreshes only that one.
        let byID = course.process(edited, .promote(PromoteSelection(lessons: [], ids: ["one"])))
        #expect(byID.problems.isEmpty && byID.ran == 1 && byID.refreshedKeys == 1)
        #expect(course.process(edited, .check).problems.isEmpty)
        // Promote by lesson; unknown ids are errors with a suggestion.
        let byLesson = course.process(
            edited, .promote(PromoteSelection(lessons: [course.content.appendingPathComponent("ch/b.md")], ids: [])))
        #expect(byLesson.ran == 1 && byLesson.notes == ["unchanged: 'two'"])
        let unknown = course.process(edited, .promote(PromoteSelection(lessons: [], ids: ["onr"])))
        #expect(unknown.problems.first?.message == "no exercise has the id 'onr' (did you mean 'one'?)")
        // Promoting everything drops records of exercises that are gone from their lesson, and points
        // at record files no lesson uses (without deleting them).
        let replaced = [edited[0], course.block("id=three", Guests.hello(.real, "3"), lesson: "ch/b.md")]
        #expect(course.process(replaced, .check).warnings.contains { $0.contains("record of 'two', which is no longer in the lesson") })
        // A build says so too: a renamed id would otherwise pass as a new exercise unremarked.
        let built = course.process(replaced)
        #expect(built.warnings.contains { $0.contains("record of 'two', which is no longer in the lesson") } && built.newRecords == 1)
        let gone = course.process(replaced, .promote(nil))
        #expect(gone.notes.contains { $0.contains("removed the record of 'two'") } && gone.newRecords == 0)
        #expect(try RecordFile.load(course.content.appendingPathComponent("ch/b.exercises.json"))?.entries.map(\.id) == ["three"])
        let orphanFile = course.process([edited[0]], .check)
        #expect(
            orphanFile.problems.isEmpty
                && orphanFile.warnings.contains { $0.contains("b.exercises.json: warning: no exercise of the course uses this record") })
        #expect(FileManager.default.fileExists(atPath: course.content.appendingPathComponent("ch/b.exercises.json").path))
    }

    /// A record that links outside the content folder is refused before it is read: nothing of the
    /// file it leads to reaches a message, and it is not written through.
    @Test func aRecordLinkedOutsideTheContentFolderIsRefused() throws {
        let course = TestCourse()
        let outside = course.root.appendingPathComponent("outside.json")
        let secret = "{ \"format\": 1, \"exercises\": [], \"SECRET-OUTSIDE\": true }"
        try secret.write(to: outside, atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(at: course.content.appendingPathComponent("ch"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            at: course.content.appendingPathComponent("ch/lesson.exercises.json"), withDestinationURL: outside)
        let report = course.process([course.block("id=keep", Guests.hello(.real, "kept"))])
        #expect(
            report.problems.count == 1 && report.problems.first?.file?.lastPathComponent == "lesson.exercises.json", "\(report.messages)")
        #expect(report.problems.first?.message.contains("symlink to a file outside the content folder") == true, "\(report.messages)")
        #expect(!report.messages.contains("SECRET-OUTSIDE") && !report.warnings.joined().contains("SECRET-OUTSIDE"))
        #expect(report.pendingRecords.isEmpty && report.recordFilesWritten.isEmpty)
        #expect(try String(contentsOf: outside, encoding: .utf8) == secret)
    }

    @Test func aDamagedRecordIsReportedAndNeverOverwritten() throws {
        let course = TestCourse()
        let input = course.block("id=keep", Guests.hello(.real, "kept"))
        let damaged = "{ \"format\": 1, \"exercises\": [ { \"id\": \"keep\" <<<<<<< merge conflict"
        course.write("ch/lesson.exercises.json", damaged)
        let report = course.process([input])
        #expect(report.problems.count == 1 && report.problems[0].file?.lastPathComponent == "lesson.exercises.json")
        #expect(report.problems[0].message.contains("the record is not valid"))
        #expect(report.problems[0].message.contains("regenerate it with `hypercourse promote "))
        #expect(report.problems[0].message.hasSuffix("ch/lesson.md`"))
        #expect(report.recordFilesWritten.isEmpty && course.read("ch/lesson.exercises.json") == damaged)
        #expect(!report.notes.contains { $0.contains("recorded 'keep'") }, "nothing was recorded: \(report.notes)")
        let checked = course.process([input], .check)
        #expect(checked.problems.count == 1, "only the damaged file, not 'no record': \(checked.messages)")
    }

    @Test func promotingAWholeLessonRegeneratesItsDamagedRecordAndAPartialPromoteDoesNot() throws {
        let course = TestCourse()
        let inputs = [course.block("id=first", Guests.hello(.real, "1")), course.block("id=second", Guests.hello(.real, "2"), line: 20)]
        let conflicted = "{\n  \"format\": 1,\n<<<<<<< HEAD\n  \"exercises\": []\n=======\n  \"exercises\": [ ]\n>>>>>>> theirs\n}\n"
        course.write("ch/lesson.exercises.json", conflicted)

        let partial = course.process(inputs, .promote(PromoteSelection(lessons: [], ids: ["first"])))
        #expect(partial.problems.count == 1)
        #expect(partial.problems.first?.line == 3)
        #expect(partial.problems.first?.message.contains("unresolved merge conflict") == true)
        #expect(course.read("ch/lesson.exercises.json") == conflicted)

        let whole = course.process(
            inputs, .promote(PromoteSelection(lessons: [course.content.appendingPathComponent("ch/lesson.md")], ids: [])))
        #expect(whole.problems.isEmpty, "\(whole.messages)")
        #expect(
            whole.warnings.contains {
                $0.contains("lesson.exercises.json: warning: the record has an unresolved merge conflict; regenerating it")
            })
        #expect(
            try RecordFile.load(course.content.appendingPathComponent("ch/lesson.exercises.json"))?.entries.map(\.id) == ["first", "second"]
        )
        #expect(course.process(inputs, .check).problems.isEmpty)
    }

    @Test func hintsSpellThePromoteCommandForTheCourseFolder() {
        #expect(ExerciseSettings.promoteCommand(content: "content") == "hypercourse promote")
        #expect(ExerciseSettings.promoteCommand(content: "content/") == "hypercourse promote")
        #expect(ExerciseSettings.promoteCommand(content: "course/") == "hypercourse promote --content course/")
        #expect(ExerciseSettings.promoteCommand(content: "my course") == "hypercourse promote --content 'my course'")
        #expect(ExerciseSettings.promoteCommand(content: "it's") == "hypercourse promote --content 'it'\\''s'")
    }
}
