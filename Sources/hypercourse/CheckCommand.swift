import ArgumentParser
import ExerciseCommands
import Exercises

/// `hypercourse check`: every exercise rerun and compared with its record. Wiring only.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Rerun every exercise and compare it with its verified record.",
        discussion: """
            Builds and runs every exercise of the course twice on the built-in hypervisor, ignoring \
            the cache, and fails with a unified diff for each result that differs from its record, \
            each exercise without a record, each record whose key is stale, and each non-deterministic \
            guest. Writes no records and no site (only the cache). Drafts are included. Needs KVM.

            Examples:
              hypercourse check
              hypercourse check --content course/
              hypercourse check --kvm-device /dev/kvm
            """
    )

    @OptionGroup var options: ExerciseOptions

    func run() async throws {
        // check's notes go to stderr: its stdout is the one summary line.
        try await options.report(.check, notesToStdout: false) { [$0.checkSummary(seconds: $1)] }
    }
}
