import ArgumentParser
import ExerciseCommands
import Exercises
import Foundation
import Hypervisor
import Site

/// `hypercourse build`. Wiring only: the build is `Site.SiteBuilder`, the exercises
/// `Exercises.ExerciseEngine` behind Site's provider seam.
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
              hypercourse build --pdf                         # also the PDF of each language (headless Chromium)
            """
    )

    @OptionGroup var site: SiteOptions

    @Flag(
        name: .long,
        help: "Also print each language's print page to public/downloads/SLUG-LANG.pdf with headless Chromium (A4, outline, page numbers).")
    var pdf = false

    @Option(name: .long, help: "The Chromium to print the PDF with (default: chromium on PATH).")
    var chromium = "chromium"

    @Flag(name: [.short, .long], help: "Print only warnings, errors and the summary.")
    var quiet = false

    @Flag(name: .long, help: "Accept exercise results that differ from their record, and rewrite the record.")
    var promote = false

    @Option(name: .long, help: "The KVM device to run exercises on; without a usable one, pages show the records.")
    var kvmDevice: String = KVMSystem.defaultDevicePath

    @Option(name: .long, help: "The exercise cache folder (default: .hypercourse-cache beside the content folder).")
    var cache: String?

    @Flag(name: .long, help: ArgumentHelp(SharedHelp.allowUnconfinedVMM))
    var allowUnconfinedVmm = false

    func run() async throws {
        Interrupts.install()
        var options = site.buildOptions
        if pdf { options.pdfBrowser = chromium }
        let provider = Self.exerciseProvider(
            content: site.content, kvmDevice: kvmDevice, cache: cache.map { URL(fileURLWithPath: $0) }, promote: promote,
            allowUnconfinedVMM: allowUnconfinedVmm)
        if case .failure = await Self.build(options, exercises: provider, quiet: quiet) { throw ExitCode(1) }
    }

    /// The exercise runner `build` and `serve` use: the exercise engine behind Site's provider seam.
    static func exerciseProvider(
        content: String, kvmDevice: String = KVMSystem.defaultDevicePath,
        cache: URL? = nil, promote: Bool = false, allowUnconfinedVMM: Bool = false
    ) -> ExerciseAdapter {
        var settings = ExerciseSettings(content: content, kvmDevice: kvmDevice, cache: cache)
        settings.allowUnconfinedVMM = allowUnconfinedVMM
        return ExerciseAdapter(engine: ExerciseEngine(settings: settings), pass: .build(promote: promote))
    }

    /// One build with console progress, shared with `serve`: the summary on stdout, everything else
    /// on stderr. Errors that are not a `BuildFailure` (none are expected) are one too.
    static func build(_ options: BuildOptions, exercises: ExerciseAdapter, quiet: Bool) async -> Result<BuildSummary, BuildFailure> {
        let console = BuildConsole(progress: !quiet)
        exercises.reset()
        let builder = SiteBuilder(options: options, exercises: exercises) { console.report($0) }
        let result: Result<BuildSummary, BuildFailure>
        do {
            result = .success(try await builder.build())
        } catch let failure as BuildFailure {
            result = .failure(failure)
        } catch {
            result = .failure(BuildFailure(SiteError("\(error)")))
        }
        console.finishProgress()
        if case .failure(let failure) = result { failure.errors.forEach { console.error($0.description) } }
        if var report = exercises.lastReport {
            // Records are written with the site: all of them when the build succeeded, none otherwise.
            let summary = try? result.get()
            report.recordFilesWritten = summary?.contentFilesWritten ?? []
            report.consoleLines(written: summary != nil).forEach(console.error)
        }
        switch result {
        case .success(let summary): print(summary)
        case .failure(let failure): console.error(failure.closingLine(output: options.outputDirectory))
        }
        return result
    }
}
