import Foundation
import Hypervisor
import Testing

@testable import Exercises

/// The canonical lines of a fixed exercise's record, kept here verbatim. Records are compared with
/// what a run gives now, and the cache trusts a key: so a change in how guests are built, run or
/// recorded (a new field, other normalisation, a different trace location) must come with a bump of
/// `ExerciseKey.recipe` or `GuestMachine.version`. This test fails until the golden for the new
/// version is written, which makes the bump impossible to forget.
@Suite(.enabled(if: kvmPresent, "skipped: /dev/kvm is absent on this machine"))
struct RecordGoldenTests {
    /// The golden lines by recipe and machine version. Add a new entry (do not edit an old one) when
    /// recording changes, after bumping one of the versions.
    static let goldens: [String: String] = [
        "hypercourse-exercise-key 1 / machine 1": #"""
        end: halt
        exits: io-out 3, mmio-write 1, hlt 1
        output: 3 bytes
        | Hi
        trace: 5 exits
        #0 line 7 io-out 0x3f8 size 1 value 0x48 'H' @0x100010
        #1 line 7 io-out 0x3f8 size 1 value 0x69 'i' @0x100010
        #2 line 7 io-out 0x3f8 size 1 value 0xa '\n' @0x100010
        #3 line 10 mmio-write 0x40000000 size 1 value 0x1 @0x10001b
        #4 line 11 hlt @0x10001b
        steps: 6
        #0 line 1 mov dx, 0x3f8 @0x100000 | rdx 0x0→0x3f8
        #1 line 2 lea rsi, [rel msg] @0x100004 | rsi 0x0→0x10001c
        #2 line 4 lodsb @0x10000b | rax 0x0→0x48 rsi 0x10001c→0x10001d
        #3 line 5 test al, al @0x10000c | rflags 0x2→0x6
        #4 line 6 jz done @0x10000e
        #5 line 7 out dx, al @0x100010 | io-out 0x3f8 0x48 'H'
        """#,
        // Trace rows from an included file keep that line's text (`text`).
        "hypercourse-exercise-key 2 / machine 1": #"""
        end: halt
        exits: io-out 3, mmio-write 1, hlt 1
        output: 3 bytes
        | Hi
        trace: 5 exits
        #0 line 7 io-out 0x3f8 size 1 value 0x48 'H' @0x100010
        #1 line 7 io-out 0x3f8 size 1 value 0x69 'i' @0x100010
        #2 line 7 io-out 0x3f8 size 1 value 0xa '\n' @0x100010
        #3 line 10 mmio-write 0x40000000 size 1 value 0x1 @0x10001b
        #4 line 11 hlt @0x10001b
        steps: 6
        #0 line 1 mov dx, 0x3f8 @0x100000 | rdx 0x0→0x3f8
        #1 line 2 lea rsi, [rel msg] @0x100004 | rsi 0x0→0x10001c
        #2 line 4 lodsb @0x10000b | rax 0x0→0x48 rsi 0x10001c→0x10001d
        #3 line 5 test al, al @0x10000c | rflags 0x2→0x6
        #4 line 6 jz done @0x10000e
        #5 line 7 out dx, al @0x100010 | io-out 0x3f8 0x48 'H'
        """#,
        "hypercourse-exercise-key 2 / machine 2": #"""
        end: halt
        exits: io-out 3, mmio-write 1, hlt 1
        output: 3 bytes
        | Hi
        trace: 5 exits
        #0 line 7 io-out 0x3f8 size 1 value 0x48 'H' @0x100010
        #1 line 7 io-out 0x3f8 size 1 value 0x69 'i' @0x100010
        #2 line 7 io-out 0x3f8 size 1 value 0xa '\n' @0x100010
        #3 line 10 mmio-write 0x40000000 size 1 value 0x1 @0x10001b
        #4 line 11 hlt @0x10001b
        steps: 6
        #0 line 1 mov dx, 0x3f8 @0x100000 | rdx 0x0→0x3f8
        #1 line 2 lea rsi, [rel msg] @0x100004 | rsi 0x0→0x10001c
        #2 line 4 lodsb @0x10000b | rax 0x0→0x48 rsi 0x10001c→0x10001d
        #3 line 5 test al, al @0x10000c | rflags 0x2→0x6
        #4 line 6 jz done @0x10000e
        #5 line 7 out dx, al @0x100010 | io-out 0x3f8 0x48 'H'
        """#
    ]

    static let source = """
        ; [hide]
        bits 64
        org 0x100000
        ; [show]
            mov dx, 0x3f8
            lea rsi, [rel msg]
        next:
            lodsb
            test al, al
            jz done
            out dx, al
            jmp next
        done:
            mov byte [0x40000000], 1    ; open bus: an MMIO write
            hlt
        msg: db "Hi", 10, 0

        """

    @Test func recordLinesOfAFixedExerciseMatchTheGoldenForThisVersion() throws {
        let course = TestCourse()
        let report = course.process([course.block("id=golden mode=long trace steps=6", Self.source)])
        #expect(report.problems.isEmpty, "\(report.messages)")
        let lines = try #require(report.outcomes[0]?.entry.result.canonicalLines).joined(separator: "\n")
        let version = "\(ExerciseKey.recipe) / machine \(GuestMachine.version)"
        guard let golden = Self.goldens[version] else {
            Issue.record("no golden for '\(version)': add it to RecordGoldenTests.goldens:\n\(lines)")
            return
        }
        #expect(
            lines == golden,
            """
            the record of a fixed exercise changed, but '\(version)' did not. Bump ExerciseKey.recipe (or \
            GuestMachine.version when the guest machine changed) so that caches and records know, then add \
            the new golden:
            \(UnifiedDiff.diff(golden.components(separatedBy: "\n"), lines.components(separatedBy: "\n"), oldLabel: "golden", newLabel: "now"))
            """)
    }
}
