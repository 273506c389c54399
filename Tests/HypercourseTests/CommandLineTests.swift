import ArgumentParser
import Exercises
import Foundation
import Testing

@testable import hypercourse

/// The command line itself: option parsing, validation and help text, in process (no KVM needed).
@Suite struct CommandLineTests {
    /// The message `validate()` gives for `arguments`, or nil when they are accepted.
    func refusal(_ arguments: [String]) -> String? {
        do {
            _ = try RunCommand.parse(arguments)
            return nil
        } catch {
            return RunCommand.message(for: error)
        }
    }

    // Out-of-range numbers are refused when parsed: `--timeout 1e10` would trap converting to Int64
    // nanoseconds (SIGILL, exit 132), and `1e-12` would fail later.
    @Test(arguments: [
        (["--timeout", "1e10"], "--timeout must be a number of seconds at least 0.001 (1 ms) and at most 600 seconds"),
        (["--timeout", "1e-12"], "--timeout must be a number of seconds at least 0.001 (1 ms) and at most 600 seconds"),
        (["--timeout", "nan"], "--timeout must be a number of seconds"),
        (["--timeout", "inf"], "--timeout must be a number of seconds"),
        (["--timeout", "600.5"], "--timeout must be a number of seconds"),
        (["--memory", "0"], "--memory must be 1 to 1024 (MiB)"),
        (["--memory", "1025"], "--memory must be 1 to 1024 (MiB)"),
        (["--output-limit=-1"], "--output-limit must be 0 to 16777216 (bytes)"),
        (["--output-limit", "9223372036854775807"], "--output-limit must be 0 to 16777216 (bytes)"),
        (["--exit-limit", "0"], "--exit-limit must be 1 to 100000000"),
        (["--steps", "1001"], "--steps must be 0 to 1000"),
        (["--steps=-1"], "--steps must be 0 to 1000"),
        (["--repeat", "0"], "--repeat must be 1 to 100000"),
        (["--repeat", "100001"], "--repeat must be 1 to 100000")
    ])
    func runRejectsNumbersOutOfRange(arguments: [String], message: String) {
        let refused = refusal(arguments + ["guest.asm"])
        #expect(refused?.contains(message) == true, "\(arguments): \(refused ?? "accepted")")
    }

    @Test func runAcceptsTheBoundsThemselves() {
        #expect(
            refusal([
                "--timeout", "0.001", "--memory", "1024", "--output-limit", "16777216", "--exit-limit", "100000000",
                "--steps", "1000", "--repeat", "100000", "guest.asm"
            ]) == nil)
        #expect(refusal(["--timeout", "600", "--memory", "1", "--output-limit", "0", "--exit-limit", "1", "guest.asm"]) == nil)
    }

    @Test func servePortIsAPortNumber() {
        #expect(throws: (any Error).self) { try ServeCommand.parse(["--port", "65536"]) }
        #expect(throws: (any Error).self) { try ServeCommand.parse(["--port", "-1"]) }
        #expect((try? ServeCommand.parse(["--port", "0"]))?.port == 0) // 0: any free port
    }

    // A line continuation written `\\` in a discussion would show as backslashes in help.
    @Test func helpHasNoStrayBackslashes() throws {
        let commands: [any ParsableCommand.Type] = [
            CheckCommand.self, PromoteCommand.self, BuildCommand.self, ServeCommand.self,
            RunCommand.self, NewLessonCommand.self
        ]
        for command in commands {
            let help = Hypercourse.helpMessage(for: command, columns: 100)
            #expect(!help.contains("\\"), "\(help)")
            #expect(help.contains("Examples:"))
        }
    }

    @Test func helpNamesTheLimits() {
        let help = Hypercourse.helpMessage(for: RunCommand.self, columns: 200)
        #expect(help.contains("--timeout 0.001 to 600 s"))
        #expect(help.contains("Examples:"))
    }
}

/// The helpers report a broken precondition as a failure of the test that tripped it; the rest of
/// the suite goes on running.
@Suite struct TestSupportTests {
    @Test func anEditThatChangesNothingFailsOnlyItsTest() {
        let course = FixtureCourse()
        withKnownIssue("the edit changed nothing") {
            course.edit("content/course.yml") { $0 }
        }
        withKnownIssue("writing into a missing folder") {
            course.write("no/such/folder/file.md", "text")
        }
    }
}
