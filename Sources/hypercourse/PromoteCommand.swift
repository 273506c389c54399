import ArgumentParser
import Exercises
import Foundation
import Hypervisor

/// `hypercourse promote`: rerun exercises and rewrite their records. Wiring only.
struct PromoteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promote",
        abstract: "Rerun exercises and accept their results as the verified record.",
        discussion: """
            Runs the named exercises (all of them without arguments) twice on the built-in hypervisor \
            and rewrites their records (LESSON.exercises.json beside each lesson), printing a diff for \
            each result that changed. A guest that is non-deterministic or does not end as its expect= \
            says is still an error. Promoting everything also drops records of exercises that no \
            longer exist. Needs KVM.

            Examples:
              hypercourse promote
              hypercourse promote content/02-cpu/01-traps.md
              hypercourse promote hello-real uart-polled-c
            """
    )

    @Option(name: .long, help: "The course's content folder.")
    var content: String = "content"

    @Option(name: .long, help: "The KVM device to run exercises on.")
    var kvmDevice: String = KVMSystem.defaultDevicePath

    @Option(name: .long, help: "The exercise cache folder (default: .hypercourse-cache beside the content folder).")
    var cache: String?

    @Argument(help: "Lesson files (.md) or exercise ids; none means every exercise.")
    var targets: [String] = []

    func run() async throws {
        let clock = ContinuousClock(), start = clock.now
        var selection: PromoteSelection?
        if !targets.isEmpty {
            var lessons: [URL] = [], ids: [String] = []
            for target in targets {
                if target.hasSuffix(".md") || target.contains("/") {
                    lessons.append(URL(fileURLWithPath: target))
                } else {
                    ids.append(target)
                }
            }
            selection = PromoteSelection(lessons: lessons, ids: ids)
        }
        let report = try await ExerciseCommands.run(
            contentDirectory: URL(fileURLWithPath: content), kvmDevice: kvmDevice, cache: cache, pass: .promote(selection))
        if report.kvmUnavailable != nil, let only = report.problems.first {
            ExerciseCommands.error(only.description)
            throw ExitCode(1)
        }
        for problem in report.problems { ExerciseCommands.error(problem.description) }
        ExerciseConsole.print(report, to: { print($0) })
        let unchanged = report.ran - report.promoted - report.newRecords - report.refreshedKeys
        var summary = "promote: \(report.ran) exercise\(report.ran == 1 ? "" : "s") run twice; \(report.promoted) changed, "
            + "\(report.newRecords) new, \(report.refreshedKeys) key\(report.refreshedKeys == 1 ? "" : "s") refreshed, \(unchanged) unchanged"
        summary += " in \(ExerciseCommands.seconds(clock.now - start))"
        guard report.problems.isEmpty else {
            ExerciseCommands.error(summary)
            ExerciseCommands.error("promote failed: \(report.problems.count) problem\(report.problems.count == 1 ? "" : "s"); the records of the exercises above were left as they were")
            throw ExitCode(1)
        }
        print(summary)
    }
}
