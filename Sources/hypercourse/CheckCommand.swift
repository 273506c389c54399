import ArgumentParser
import Exercises
import Foundation
import Hypervisor
import Site

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

    @Option(name: .long, help: "The course's content folder.")
    var content: String = "content"

    @Option(name: .long, help: "The KVM device to run exercises on.")
    var kvmDevice: String = KVMSystem.defaultDevicePath

    @Option(name: .long, help: "The exercise cache folder (default: .hypercourse-cache beside the content folder).")
    var cache: String?

    func run() async throws {
        let clock = ContinuousClock(), start = clock.now
        let contentDirectory = URL(fileURLWithPath: content)
        let report = try await ExerciseCommands.run(
            contentDirectory: contentDirectory, kvmDevice: kvmDevice, cache: cache, pass: .check)
        if report.kvmUnavailable != nil, let only = report.problems.first {
            ExerciseCommands.error(only.description)
            throw ExitCode(1)
        }
        let total = report.outcomes.count
        guard report.problems.isEmpty else {
            for problem in report.problems { ExerciseCommands.error(problem.description) }
            ExerciseConsole.print(report, to: ExerciseCommands.error)
            let failing = Set(report.problems.map { "\($0.file?.path ?? ""):\($0.line ?? 0)" }).count
            ExerciseCommands.error("check failed: \(report.problems.count) problem\(report.problems.count == 1 ? "" : "s") in \(failing) place\(failing == 1 ? "" : "s") (of \(total) exercises)")
            throw ExitCode(1)
        }
        ExerciseConsole.print(report, to: ExerciseCommands.error)
        print("check: all \(report.ran) exercises match their records (each run twice) in \(ExerciseCommands.seconds(clock.now - start))")
    }
}

/// Shared by `check` and `promote`: find the course's exercise blocks (through Site, which owns
/// Markdown and includes) and run one pass of the engine.
enum ExerciseCommands {
    static func run(contentDirectory: URL, kvmDevice: String, cache: String?, pass: ExercisePass) async throws -> ExerciseReport {
        let blocks: [ExerciseBlock]
        do {
            blocks = try await SiteBuilder(options: BuildOptions(contentDirectory: contentDirectory, includeDrafts: true)).exerciseBlocks()
        } catch let failure as BuildFailure {
            for error in failure.errors { Self.error(error.description) }
            throw ExitCode(1)
        }
        let settings = ExerciseSettings(
            kvmDevice: kvmDevice,
            cacheDirectory: cache.map { URL(fileURLWithPath: $0) } ?? ExerciseSettings.defaultCache(contentDirectory: contentDirectory))
        let adapter = ExerciseAdapter(engine: ExerciseEngine(settings: settings), pass: pass)
        return await adapter.process(blocks.map(ExerciseAdapter.input))
    }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    static func seconds(_ duration: Duration) -> String {
        String(format: "%.2f s", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }
}
