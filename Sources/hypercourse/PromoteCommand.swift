import ArgumentParser
import ExerciseCommands
import Exercises

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

    @OptionGroup var options: ExerciseOptions

    @Argument(help: "Lesson files (.md) or exercise ids; none means every exercise.")
    var targets: [String] = []

    func run() async throws {
        try await options.report(.promote(PromoteSelection.parse(targets)), notesToStdout: true) { $0.promoteSummary(seconds: $1) }
    }
}
