import Foundation
import Hypervisor
import Testing

@testable import ExerciseCommands
@testable import Exercises

/// What `build`, `check` and `promote` print, and the table cells the card gets, as plain text
/// (moved out of the CLI, which only prints them).
@Suite struct CommandTextTests {
    @Test func promoteArgumentsAreLessonsOrIds() {
        #expect(PromoteSelection.parse([]) == nil)
        let selection = PromoteSelection.parse(["content/02-cpu/01-traps.md", "hello-real", "01-traps.md", "ch/lesson", "uart-polled-c"])
        #expect(selection?.ids == ["hello-real", "uart-polled-c"])
        #expect(selection?.lessons.map(\.lastPathComponent) == ["01-traps.md", "01-traps.md", "lesson"])
        #expect(selection?.lessons.first?.path.hasSuffix("content/02-cpu/01-traps.md") == true)
    }

    func report(problems: [ExerciseProblem] = [], outcomes: Int = 3) -> ExerciseReport {
        var report = ExerciseReport(
            outcomes: Array(repeating: nil, count: outcomes), problems: problems, notes: ["recorded 'a' (new) in x.exercises.json"],
            warnings: ["x.md:3: warning: w"])
        report.ran = 3
        return report
    }

    @Test func checkSummaryCountsProblemsAndPlaces() {
        #expect(report().checkSummary(seconds: 1.234) == "check: all 3 exercises match their records (each run twice) in 1.23 s")
        let file = URL(fileURLWithPath: "/c/a.md")
        let problems = [
            ExerciseProblem(file: file, line: 3, message: "differs"), ExerciseProblem(file: file, line: 3, message: "stale key"),
            ExerciseProblem(file: file, line: 9, message: "no record")
        ]
        #expect(report(problems: problems).checkSummary(seconds: 1) == "check failed: 3 problems in 2 places (of 3 exercises)")
        #expect(report(problems: [problems[0]]).checkSummary(seconds: 1) == "check failed: 1 problem in 1 place (of 3 exercises)")
    }

    @Test func promoteSummarySaysWhatChanged() {
        var promoted = report()
        promoted.promoted = 1
        promoted.newRecords = 1
        #expect(
            promoted.promoteSummary(seconds: 2) == [
                "promote: 3 exercises run twice; 1 changed, 1 new, 0 keys refreshed, 1 unchanged in 2.00 s"
            ])
        promoted.problems = [ExerciseProblem(file: nil, line: nil, message: "x")]
        #expect(
            promoted.promoteSummary(seconds: 2).last
                == "promote failed: 1 problem; the records of the exercises above were left as they were")
    }

    @Test func consoleLinesSayWhyNothingRan() {
        var offline = report()
        offline.kvmUnavailable = "/dev/kvm does not exist"
        offline.recorded = 1
        #expect(
            offline.consoleLines == [
                "exercises: KVM is unavailable (/dev/kvm does not exist); showing 1 verified record",
                "x.md:3: warning: w", "recorded 'a' (new) in x.exercises.json"
            ])
        offline.problems = [ExerciseProblem(file: nil, line: nil, message: "check needs KVM")]
        #expect(offline.refusalWithoutKVM == "error: check needs KVM")
        #expect(report().refusalWithoutKVM == nil)
    }
}
