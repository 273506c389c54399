import Common
import Foundation
import Markdown

/// Builds the course website in named stages: load the course, render bodies (in parallel), check
/// anchors, resolve exercises, write (into a staging folder, then swapped into place). `check` and
/// `promote` reuse the first stages through `exerciseBlocks()`.
public struct SiteBuilder: Sendable {
    public let options: BuildOptions
    public let exercises: (any ExerciseProvider)?
    let events: @Sendable (BuildEvent) -> Void
    /// Deletes the replaced site after the swap; tests put a failing one here.
    var replacedSiteRemover: (@Sendable (URL) throws -> Void)?
    /// Runs between writing the content files and swapping the site in; tests make it fail to see
    /// the content files put back.
    var beforeSwap: (@Sendable () throws -> Void)?

    public init(
        options: BuildOptions, exercises: (any ExerciseProvider)? = nil, events: @escaping @Sendable (BuildEvent) -> Void = { _ in }
    ) {
        self.options = options
        self.exercises = exercises
        self.events = events
    }

    /// Builds the site. Throws `BuildFailure` (every error found, each at file:line) and leaves
    /// the previous output untouched when anything goes wrong.
    /// Most stages are synchronous and hold their thread for the whole build: they run on a thread
    /// of their own, so a development server rebuilding, or any caller, keeps the cooperative pool.
    public func build() async throws -> BuildSummary {
        try await onAThreadOfItsOwn(named: "hypercourse build") {
            do {
                return try await run()
            } catch let error as SiteError {
                throw BuildFailure(error)
            }
        }
    }

    /// Every exercise block of the course, in course order, without rendering pages or writing
    /// anything: what `hypercourse check` and `promote` run. Throws `BuildFailure` for a course that
    /// does not load (bad front matter, missing includes, ...).
    /// With `checkingTranslations` (what `check` asks), every translation is checked too (its
    /// exercise references and headings), and each translation of a language marked complete
    /// that is missing, stale or not reviewed is an error.
    public func exerciseBlocks(checkingTranslations: Bool = false) async throws -> [ExerciseBlock] {
        do {
            return try findExercises(in: try loadCourse(), checkingTranslations: checkingTranslations)
        } catch let error as SiteError {
            throw BuildFailure(error)
        }
    }

    /// Every translatable page of every translation language and its translation's state, for
    /// `hypercourse translations`. Throws `BuildFailure` for a course that does not load.
    public func translationEntries() throws -> [TranslationEntry] {
        do {
            let loaded = try loadCourse()
            guard loaded.errors.isEmpty else { throw BuildFailure(loaded.errors) }
            return TranslationReport.entries(loaded)
        } catch let error as SiteError {
            throw BuildFailure(error)
        }
    }

    private func run() async throws -> BuildSummary {
        let clock = ContinuousClock(), start = clock.now
        let phases = PhaseTimer(label: "profile")
        defer { phases.report() }
        var output = try prepareOutput()
        var loaded = try loadCourse()
        let theme = try loadTheme(for: &loaded, output: output)
        phases.mark("load")
        var pages = try renderBodies(loaded, theme: theme)
        phases.mark("markdown")
        pages.errors += anchorErrors(pages)
        phases.mark("links")
        // Exercises run even when pages have errors, so their problems are reported in the same run.
        var editions = try renderEditions(loaded, pages: pages)
        let tally = try await resolveExercises(in: &pages, theme: theme)
        for index in editions.indices {
            resolveEditionExercises(in: &editions[index].pages, theme: editions[index].theme, known: tally.views)
        }
        let editionErrors = editions.flatMap(\.pages.errors)
        guard pages.errors.isEmpty, editionErrors.isEmpty else { throw BuildFailure(pages.errors + editionErrors) }
        var warnings = loaded.warnings + pages.warnings + editions.flatMap(\.warnings) + tally.warnings
        for warning in warnings { events(.warning(warning)) }
        phases.mark("exercises")
        let (pageCount, swapWarning) = try write(
            &pages, course: loaded, theme: theme, editions: &editions, contentFiles: tally.contentFiles,
            into: &output, phases: phases)
        if let swapWarning {
            // The new site is in place; the old one is left behind. Said once, with the others.
            warnings.append(swapWarning)
            events(.warning(swapWarning))
        }
        var summary = BuildSummary(
            pages: pageCount, chapters: loaded.course.chapters.count, lessons: loaded.course.lessonCount,
            exercises: tally.total, exercisesRun: tally.run, exercisesRecorded: tally.recorded, exercisesCached: tally.cached,
            exercisesSourceChanged: tally.sourceChanged, warnings: warnings, seconds: (clock.now - start).seconds,
            outputDirectory: output.target, contentFilesWritten: tally.contentFiles.map(\.url))
        summary.served = ServedExercises(theme: theme, blocks: pages.rendered.compactMap { $0 }.flatMap(\.exercises).map(\.block))
        return summary
    }

    /// The output folder, refused before anything is read when it is one the build must not replace
    /// (the folders a build reads are never the folder it replaces, `--force` or not).
    private func prepareOutput() throws -> OutputFolder {
        let named = [options.themeDirectory, options.templatesDirectory].compactMap { $0 }
        var output = try OutputFolder(
            target: options.outputDirectory, contentRoot: options.contentDirectory.standardizedFileURL,
            force: options.force, protecting: named)
        if let removeTree = replacedSiteRemover { output.removeTree = removeTree }
        return output
    }

    /// Stage 5, one transaction: every page into a staging folder, then the content files (exercise
    /// records) written, then the staging folder swapped in. On any failure the staging folder
    /// goes, the content files are put back as they were, and the previous site stays. Returns the
    /// page count and a warning when the old site could not be deleted after the swap.
    private func write(
        _ pages: inout RenderedPages, course loaded: LoadedCourse, theme: Theme, editions: inout [RenderedEdition],
        contentFiles: [PendingFile], into output: inout OutputFolder, phases: PhaseTimer
    ) throws -> (pages: Int, warning: SiteWarning?) {
        let staging = try output.makeStaging()
        var written: PendingFileWrite?
        do {
            let publishing = WebPublishing(course: loaded.course, editions: editions.map(\.course))
            let count = try writeSites(pages, course: loaded, theme: theme, editions: editions, staging: staging, publishing: publishing)
            // The editions need only the pages' HTML (and print.html's for the PDF): the rest goes
            // before they are made, as they hold a whole book and site each at the largest courses.
            let keepPrint = options.pdfBrowser != nil
            pages.releaseSiteOnlyParts(keepingPrintHTML: keepPrint)
            for index in editions.indices { editions[index].pages.releaseSiteOnlyParts(keepingPrintHTML: keepPrint) }
            // The bodies were made on every worker thread, each with its own malloc arena, and the
            // editions allocate on others: without a trim their freed memory stays resident.
            Self.returnFreedMemory()
            phases.mark("pages")
            let languages =
                [EditionWriter.Language(course: loaded.course, theme: theme, bodies: pages.bodies)]
                + editions.map { EditionWriter.Language(course: $0.course, theme: $0.theme, bodies: $0.pages.bodies) }
            try writeDownloads(languages, staging: staging, publishing: publishing)
            phases.mark("editions")
            written = try Self.writeContentFiles(contentFiles)
            try beforeSwap?()
            // `commit` throws only while the previous site is still in place, so undoing the
            // content files leaves both as they were.
            let warning = try output.commit(staging)
            phases.mark("swap")
            return (count, warning)
        } catch {
            written?.undo()
            output.discard(staging)
            throw error
        }
    }

    /// Every language's pages into the staging folder; returns the number of HTML pages. The
    /// writers (and their copies of the bodies) end here, so the bodies' parts only the pages
    /// needed can be freed afterwards.
    private func writeSites(
        _ pages: RenderedPages, course loaded: LoadedCourse, theme: Theme, editions: [RenderedEdition], staging: URL,
        publishing: WebPublishing?
    ) throws -> Int {
        let slug = EditionWriter.courseSlug(title: loaded.course.config.title)
        let pdfURL = { (course: Course) in
            self.options.pdfBrowser.map { _ in EditionWriter.path(of: .pdf, slug: slug, language: course.config.language) }
        }
        var count = try SiteWriter(
            course: loaded.course, theme: theme, bodies: pages.bodies, staging: staging, contentRoot: loaded.root,
            publishing: publishing, pdfURL: pdfURL(loaded.course)
        ).write()
        for edition in editions {
            let folder = staging.appendingPathComponent(edition.course.edition?.code ?? "")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            count += try SiteWriter(
                course: edition.course, theme: edition.theme, bodies: edition.pages.bodies, staging: folder, contentRoot: loaded.root,
                publishing: publishing, pdfURL: pdfURL(edition.course).map { "../" + $0 }
            ).write()
        }
        return count
    }

    /// glibc's `malloc_trim(0)`: gives the free pages of every malloc arena back to the system.
    /// Looked up at run time because Swift's Glibc module does not import `malloc.h`; a C library
    /// without it keeps the memory, which is only slower to reuse.
    private static func returnFreedMemory() {
        // glibc's `int malloc_trim(size_t pad)`.
        typealias MallocTrim = @convention(c) (Int) -> Int32
        _ = CSymbol.lookup("malloc_trim", as: MallocTrim.self)?(0)
    }

    private static func writeContentFiles(_ files: [PendingFile]) throws -> PendingFileWrite {
        do {
            return try PendingFileWrite.write(files)
        } catch {
            throw SiteError(file: error.url, "cannot write this file: \(error.reason); nothing was changed")
        }
    }
}
