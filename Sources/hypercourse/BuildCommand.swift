import ArgumentParser
import Exercises
import Foundation
import Hypervisor
import Site

struct BuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build the course website from Markdown lessons.",
        discussion: """
            Renders every lesson in the content folder into a static site that works offline, from \
            file://. The build writes into a temporary folder beside the output folder and swaps it in \
            only when everything succeeded, so a failed build leaves the previous site untouched.

            Exercises are built and run on the built-in hypervisor, twice, and compared with their \
            verified record (LESSON.exercises.json beside each lesson). Exercises whose key and result \
            this machine already verified are not run again (cache: .hypercourse-cache/ beside the \
            content folder). A result that differs from its record fails the build with a diff, unless \
            --promote. Without KVM the pages show the records, marked as not rerun.

            Examples:
              hypercourse build
              hypercourse build --content course/ --out site/
              hypercourse build --templates my-theme/ --drafts
              hypercourse build --promote
              hypercourse build --kvm-device /nonexistent     # build from the records only
            """
    )

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

    @Flag(name: [.short, .long], help: "Print only warnings, errors and the summary.")
    var quiet = false

    @Flag(name: .long, help: "Accept exercise results that differ from their record, and rewrite the record.")
    var promote = false

    @Option(name: .long, help: "The KVM device to run exercises on; without a usable one, pages show the records.")
    var kvmDevice: String = KVMSystem.defaultDevicePath

    @Option(name: .long, help: "The exercise cache folder (default: .hypercourse-cache beside the content folder).")
    var cache: String?

    func run() async throws {
        let options = BuildOptions(
            contentDirectory: URL(fileURLWithPath: content), outputDirectory: URL(fileURLWithPath: out),
            templatesDirectory: templates.map { URL(fileURLWithPath: $0) }, includeDrafts: drafts, force: force)
        let provider = Self.exerciseProvider(
            contentDirectory: options.contentDirectory, kvmDevice: kvmDevice, cache: cache.map { URL(fileURLWithPath: $0) }, promote: promote)
        try await Self.build(options, exercises: provider, quiet: quiet)
    }

    /// The exercise runner `build` and `serve` use: the exercise engine behind Site's provider seam.
    static func exerciseProvider(contentDirectory: URL, kvmDevice: String = KVMSystem.defaultDevicePath,
                                 cache: URL? = nil, promote: Bool = false) -> (any ExerciseProvider)? {
        let settings = ExerciseSettings(kvmDevice: kvmDevice,
                                        cacheDirectory: cache ?? ExerciseSettings.defaultCache(contentDirectory: contentDirectory))
        return ExerciseAdapter(engine: ExerciseEngine(settings: settings), pass: .build(promote: promote))
    }

    /// Runs a build with console progress; shared with `serve`. Exits 1 on errors.
    @discardableResult
    static func build(
        _ options: BuildOptions, exercises: (any ExerciseProvider)?, quiet: Bool, exitOnFailure: Bool = true,
        failures: FailureCapture? = nil
    ) async throws -> BuildSummary? {
        let console = Console(progress: !quiet)
        let builder = SiteBuilder(options: options, exercises: exercises) { event in console.report(event) }
        (exercises as? ExerciseAdapter)?.reset()
        let exerciseReport = { (exercises as? ExerciseAdapter)?.lastReport }
        do {
            let summary = try await builder.build()
            console.finishProgress()
            if let report = exerciseReport() { ExerciseConsole.print(report) { console.error($0) } }
            print(summary)
            return summary
        } catch let failure as BuildFailure {
            console.finishProgress()
            for error in failure.errors { console.error(error.description) }
            if let report = exerciseReport() { ExerciseConsole.print(report) { console.error($0) } }
            failures?.text = failure.description
            console.error("build failed: \(failure.errors.count) error\(failure.errors.count == 1 ? "" : "s"); \(options.outputDirectory.path) left unchanged")
            if exitOnFailure { throw ExitCode(1) }
            return nil
        }
    }
}

/// The text of the last failed build, for `serve` to show on the page.
final class FailureCapture: @unchecked Sendable {
    var text = ""
}

/// Progress and diagnostics on stderr: one updating line on a terminal, plain lines elsewhere.
final class Console: @unchecked Sendable {
    private let lock = NSLock()
    private let progress: Bool
    private let terminal = isatty(STDERR_FILENO) == 1
    private var lineOpen = false

    init(progress: Bool) { self.progress = progress }

    func report(_ event: BuildEvent) {
        lock.lock()
        defer { lock.unlock() }
        switch event {
        case .progress(let done, let total, let name):
            guard progress else { return }
            if terminal {
                write("\r\u{1B}[K[\(done)/\(total)] \(name)")
                lineOpen = true
            } else {
                write("[\(done)/\(total)] \(name)\n")
            }
        case .warning(let warning):
            closeLine()
            write("\(warning)\n")
        }
    }

    func finishProgress() {
        lock.lock()
        defer { lock.unlock() }
        closeLine()
    }

    func error(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        closeLine()
        write(text + "\n")
    }

    private func closeLine() {
        if lineOpen { write("\r\u{1B}[K") }
        lineOpen = false
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
