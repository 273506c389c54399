import Foundation
import Hypervisor
import Testing

@testable import hypercourse

/// `hypercourse run` on a lesson's source file gives what the lesson's record says: built the same
/// way (C compiled with the runtime, includes from the content folder with `--content`), with the same
/// step rows and source places; and code from an included file shows that file's line text, on the
/// command line, in the record and on the page. Real nasm, clang and /dev/kvm.
@Suite(.enabled(if: FileManager.default.fileExists(atPath: KVMSystem.defaultDevicePath), "skipped: /dev/kvm is absent on this machine"))
struct RunLikeALessonTests {
    static let assembly = """
        bits 16
        org 0x7c00
            mov al, 'A'
            call putc
            hlt
        %include "shared/putc.inc"

        """

    static let header = """
        #include "hypercourse.h"
        __attribute__((noinline)) static void say(char c) {
            outb(0x3f8, c);
        }

        """

    static let c = """
        #include "hypercourse.h"
        #include "shared/say.h"
        int main(void) {
            say('C');
            double half = 3.0 / 2;
            printf("%g\\n", half);
            return 4;
        }

        """

    /// A course with a lesson that runs `included.asm` and `say.c` (each including a file from
    /// `shared/`), built once: the records are written by the build.
    static func course() async throws -> FixtureCourse {
        let course = FixtureCourse()
        course.write("content/shared/say.h", header)
        course.write("content/01-modes/included.asm", assembly)
        course.write("content/01-modes/say.c", c)
        course.write(
            "content/01-modes/04-run.md",
            """
            ---
            title: "Run me"
            ---
            ```asm exercise id=fx-run-asm src=included.asm trace steps=4
            ```

            ```c exercise id=fx-run-c src=say.c trace steps=3 expect=exit:4
            ```

            """)
        _ = try await course.build()
        return course
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    static func canonical(_ value: Any?) throws -> String {
        let value = try #require(value)
        return String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]), as: UTF8.self)
    }

    @Test func aLessonsSourceRunsAsItsRecordSays() async throws {
        let course = try await Self.course()
        let record = try #require(
            CourseBlocks.record("fx-run-asm", in: course.content.appendingPathComponent("01-modes/04-run.exercises.json")))

        // The included line's text is in the record and on the card.
        let trace = try #require(record["trace"] as? [[String: Any]])
        let out = try #require(trace.first)
        #expect(out["at"] as? String == "shared/putc.inc:5", "\(trace)")
        #expect(out["text"] as? String == "out dx, al")
        #expect(out["line"] == nil)
        let last = try #require(trace.last)
        #expect(last["line"] as? Int == 5)
        #expect(last["text"] == nil)
        #expect(
            course.figure("fx-run-asm").contains("<code class=\"src\" title=\"out dx, al  [shared/putc.inc:5]\">"),
            "\(course.figure("fx-run-asm"))")

        // Without --content, `shared/` is not found beside the file.
        let alone = try await course.run(["run", "content/01-modes/included.asm"])
        #expect(
            alone.status == 10 && alone.stderr.contains("content/01-modes/included.asm:6: error: ")
                && alone.stderr.contains("shared/putc.inc"),
            "\(alone.stderr)")

        // With it, the step rows are the record's, field for field, and the trace rows name the same places.
        let run = try await course.run(["run", "--content", "content", "--json", "--trace", "--steps", "4", "content/01-modes/included.asm"]
        )
        #expect(run.status == 0, "\(run.stderr)")
        let report = try Self.json(run.stdout)
        #expect(try Self.canonical(report["steps"]) == (try Self.canonical(record["steps"])))
        let runTrace = try #require(report["trace"] as? [[String: Any]])
        #expect(runTrace.count == trace.count)
        for (ran, recorded) in zip(runTrace, trace) {
            #expect(ran["line"] as? Int == recorded["line"] as? Int && ran["at"] as? String == recorded["at"] as? String)
        }
        #expect(runTrace.first?["text"] as? String == "out dx, al" && runTrace.last?["text"] as? String == "hlt")

        // The table on stderr names the included file and its line's text.
        let table = try await course.run(["run", "--content", "content", "--trace", "content/01-modes/included.asm"])
        #expect(table.stderr.contains("shared/putc.inc:5: out dx, al") && table.stderr.contains("5: hlt"), "\(table.stderr)")
    }

    @Test func aCFileIsCompiledAsAnExerciseIs() async throws {
        let course = try await Self.course()
        let record = try #require(
            CourseBlocks.record("fx-run-c", in: course.content.appendingPathComponent("01-modes/04-run.exercises.json")))
        #expect((record["output"] as? [String]) == ["C1.5\n"])

        let long = try await course.run(["run", "--content", "content", "--json", "--trace", "--steps", "3", "content/01-modes/say.c"])
        #expect(long.status == 1, "\(long.stderr)") // exit 4: a non-zero status
        let report = try Self.json(long.stdout)
        #expect(report["output"] as? String == "C1.5\n")
        #expect((report["end"] as? [String: Any])?["status"] as? Int == 4)
        #expect(try Self.canonical(report["steps"]) == (try Self.canonical(record["steps"])))
        // The header's function is named by its file and line, with that line's text.
        let first = try #require((report["trace"] as? [[String: Any]])?.first)
        #expect(first["at"] as? String == "say.h:3" && first["text"] as? String == "outb(0x3f8, c);", "\(first)")
        let recordedFirst = try #require((record["trace"] as? [[String: Any]])?.first)
        #expect(recordedFirst["at"] as? String == "say.h:3" && recordedFirst["text"] as? String == "outb(0x3f8, c);")

        // The same program at ring 3 prints the same bytes; real mode has no 64-bit runtime.
        let user = try await course.run(["run", "--content", "content", "--mode", "user", "content/01-modes/say.c"])
        #expect(user.status == 1 && user.stdout == "C1.5\n" && user.stderr.hasPrefix("exit 4 · "), "\(user.stderr)")
        let real = try await course.run(["run", "--content", "content", "--mode", "real", "content/01-modes/say.c"])
        #expect(real.status == 12 && real.stderr.contains("--mode real does not apply to a C guest"))
    }

    @Test func includesStayInsideTheContentFolder() async throws {
        let course = FixtureCourse()
        course.write("content/01-modes/escape.asm", "bits 16\norg 0x7c00\nhlt\n%include \"../../outside.inc\"\n")
        course.write("outside.inc", "nop\n")
        let refused = try await course.run(["run", "--content", "content", "content/01-modes/escape.asm"])
        #expect(
            refused.status == 10
                && refused.stderr.contains("outside.inc', which is outside the content folder (content; --content names another)"),
            "\(refused.stderr)")
        course.write(
            "content/01-modes/escape.c", "#include \"hypercourse.h\"\n#include \"../../outside.h\"\nint main(void) { return 0; }\n")
        course.write("outside.h", "\n")
        let header = try await course.run(["run", "--content", "content", "content/01-modes/escape.c"])
        #expect(header.status == 10 && header.stderr.contains("outside the content folder"), "\(header.stderr)")
        let image = try await course.run(["run", "--content", "content", "outside.inc"])
        #expect(image.status == 12 && image.stderr.contains("--content is for .asm and .c files"))
    }
}
