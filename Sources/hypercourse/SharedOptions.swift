import ArgumentParser
import Common
import ExerciseCommands
import Exercises
import Foundation
import Hypervisor
import Site

/// The options `build` and `serve` share: what to build, from where, into where.
struct SiteOptions: ParsableArguments {
    @Option(name: .long, help: "The course's content folder.")
    var content: String = "content"

    @Option(name: .long, help: "The output folder (replaced on every build).")
    var out: String = "public"

    @Option(name: .long, help: "A templates folder whose files override the built-in theme's by name.")
    var templates: String?

    @Flag(name: .long, help: "Include lessons marked `draft: true`.")
    var drafts = false

    @Flag(name: .long, help: "Replace the output folder even if hypercourse did not create it.")
    var force = false

    var buildOptions: BuildOptions {
        BuildOptions(
            contentDirectory: URL(fileURLWithPath: content), outputDirectory: URL(fileURLWithPath: out),
            templatesDirectory: templates.map { URL(fileURLWithPath: $0) }, includeDrafts: drafts, force: force)
    }
}

enum SharedHelp {
    static let allowUnconfinedVMM =
        "Run vmm exercises (C programs for the host) even where they cannot be confined (no Landlock or namespaces). Only for lessons you trust."
}

/// The options `check` and `promote` share: which course, which KVM, which cache.
struct ExerciseOptions: ParsableArguments {
    @Option(name: .long, help: "The course's content folder.")
    var content: String = "content"

    @Option(name: .long, help: "The KVM device to run exercises on.")
    var kvmDevice: String = KVMSystem.defaultDevicePath

    @Option(name: .long, help: "The exercise cache folder (default: .hypercourse-cache beside the content folder).")
    var cache: String?

    @Flag(name: .long, help: ArgumentHelp(SharedHelp.allowUnconfinedVMM))
    var allowUnconfinedVmm = false

    /// Finds the course's exercise blocks through Site (which owns Markdown and includes, drafts
    /// included) and runs one pass of the engine on them. A course that does not load exits 1.
    func run(_ pass: ExercisePass) async throws -> ExerciseReport {
        let contentDirectory = URL(fileURLWithPath: content)
        let blocks: [ExerciseBlock]
        do {
            blocks = try await SiteBuilder(options: BuildOptions(contentDirectory: contentDirectory, includeDrafts: true))
                .exerciseBlocks(checkingTranslations: pass == .check)
        } catch let failure as BuildFailure {
            for error in failure.errors { printError(error.description) }
            throw ExitCode(1)
        }
        var settings = ExerciseSettings(content: content, kvmDevice: kvmDevice, cache: cache.map { URL(fileURLWithPath: $0) })
        settings.allowUnconfinedVMM = allowUnconfinedVmm
        return await ExerciseEngine(settings: settings).process(blocks, pass: pass)
    }
}

extension ExerciseOptions {
    /// Runs `pass` and prints its report: problems on stderr, notes on stdout or stderr, then the
    /// summary (on stderr, with exit code 1, when anything failed). Without KVM, one line.
    func report(_ pass: ExercisePass, notesToStdout: Bool, summary: (ExerciseReport, Double) -> [String]) async throws {
        Interrupts.install()
        let clock = ContinuousClock(), start = clock.now
        let report = try await run(pass)
        if let refusal = report.refusalWithoutKVM {
            printError(refusal)
            throw ExitCode(1)
        }
        for problem in report.problems { printError(problem.description) }
        report.consoleLines.forEach { notesToStdout ? print($0) : printError($0) }
        let lines = summary(report, (clock.now - start).seconds)
        guard report.problems.isEmpty else {
            lines.forEach(printError)
            throw ExitCode(1)
        }
        lines.forEach { print($0) }
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
