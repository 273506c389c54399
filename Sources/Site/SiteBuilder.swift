import Common
import Foundation
import Markdown

/// Builds the course website: load → render (in parallel) → check links → exercises → write to a
/// staging folder → swap into place.
public struct SiteBuilder: Sendable {
    public let options: BuildOptions
    public let exercises: (any ExerciseProvider)?
    private let events: @Sendable (BuildEvent) -> Void
    /// Deletes the replaced site after the swap; tests put a failing one here.
    var replacedSiteRemover: (@Sendable (URL) throws -> Void)?

    public init(options: BuildOptions, exercises: (any ExerciseProvider)? = nil, events: @escaping @Sendable (BuildEvent) -> Void = { _ in }) {
        self.options = options
        self.exercises = exercises
        self.events = events
    }

    /// Builds the site. Throws `BuildFailure` (every error found, each at file:line) and leaves
    /// the previous output untouched when anything goes wrong.
    public func build() async throws -> BuildSummary {
        let clock = ContinuousClock()
        let start = clock.now
        do {
            return try await run(start: start, clock: clock)
        } catch let failure as BuildFailure {
            throw failure
        } catch let error as SiteError {
            throw BuildFailure(error)
        } catch let error as ExerciseError {
            throw BuildFailure(SiteError(file: error.file, line: error.line, error.message))
        }
    }

    private func run(start: ContinuousClock.Instant, clock: ContinuousClock) async throws -> BuildSummary {
        let phases = PhaseTimer(label: "profile")
        defer { phases.report() }
        var warnings: [SiteWarning] = []
        let contentRoot = options.contentDirectory.standardizedFileURL
        // The folders a build reads are never the folder it replaces, `--force` or not.
        let named = [options.themeDirectory, options.templatesDirectory].compactMap { $0 }
        var output = try OutputFolder(target: options.outputDirectory, contentRoot: contentRoot, force: options.force, protecting: named)
        if let removeTree = replacedSiteRemover { output.removeTree = removeTree }

        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: contentRoot.path, isDirectory: &isDir), isDir.boolValue else {
            throw SiteError(file: contentRoot, "content folder not found (pass --content DIR)")
        }
        let config = try CourseConfig.load(contentRoot: contentRoot, warnings: &warnings)
        let layers = try themeLayers(config: config, contentRoot: contentRoot)
        // course.yml's `templates:` folder too, now that it is known.
        if let reason = OutputFolder.refusal(for: output.target, contentRoot: contentRoot, protecting: layers.map(\.folder)) {
            throw SiteError(file: DisplayPath.of(output.target), reason)
        }
        let theme = try Theme(layers: layers, language: config.language, warnings: &warnings)
        let course = try CourseLoader(contentRoot: contentRoot, includeDrafts: options.includeDrafts).load(config: config, warnings: &warnings)
        phases.mark("load")

        let (jobs, resolver) = Self.bodyJobs(course: course, contentRoot: contentRoot)
        let renderer = BodyRenderer(
            resolver: resolver, includes: IncludeExpander(contentRoot: contentRoot),
            options: MarkdownOptions(
                anchorLabel: theme.string("heading_anchor"),
                admonitionTitles: ["note", "tip", "important", "warning", "caution"].reduce(into: [:]) { $0[$1] = theme.string("admonition_\($1)") },
                footnotesTitle: theme.string("footnotes_title"), footnoteBackLabel: theme.string("footnote_back")),
            nonce: String(UInt64.random(in: 0...UInt64.max), radix: 36))

        // Render every body on all cores.
        let done = Locked(0)
        let events = self.events
        let frozenJobs = jobs
        let results = parallelMap(frozenJobs.count) { index in
            let body = try renderer.render(frozenJobs[index], index: index)
            let count = done.withLock { n -> Int in
                n += 1
                return n
            }
            events(.progress(done: count, total: frozenJobs.count, name: String(frozenJobs[index].contentPath.dropLast(3))))
            return body
        }
        var (rendered, errors) = try collectFailures(results)
        var bodies: [String: RenderedBody] = [:]
        for (job, result) in zip(frozenJobs, results) {
            if case .success(let body) = result { bodies[job.page.path] = body }
        }
        warnings += rendered.flatMap(\.warnings)
        // A page whose links failed still has its good links' anchors checked.
        let partialChecks = results.flatMap { result -> [LinkResolver.AnchorCheck] in
            if case .failure(let failure as BodyFailure) = result { return failure.anchorChecks }
            return []
        }

        phases.mark("markdown")
        // Anchors, now that every page's ids are known (pages that failed to render are skipped,
        // so one build reports every problem it can).
        let failedPages = Set(zip(frozenJobs, results).compactMap { job, result -> String? in
            if case .failure = result { return job.page.path }
            return nil
        })
        for check in rendered.flatMap(\.anchorChecks) + partialChecks {
            if !failedPages.contains(check.path) && !(bodies[check.path]?.ids.contains(check.fragment) ?? false) {
                let known = bodies[check.path]?.ids ?? []
                let hint = didYouMean(check.fragment, in: known.sorted(), prefix: "#")
                errors.append(SiteError(file: check.file, line: check.line, "broken link '\(check.written)': no heading or id '\(check.fragment)' on that page\(hint)"))
            }
        }
        guard errors.isEmpty else { throw BuildFailure(errors) }

        phases.mark("links")
        // Exercises: one call with every block in course order, then each result in place.
        let pending = rendered.flatMap(\.exercises)
        var run = 0
        var recorded = 0
        var cached = 0
        var sourceChanged = 0
        if !pending.isEmpty {
            let exerciseRenderer = ExerciseRenderer(theme: theme)
            var htmlByToken: [String: String] = [:]
            if let exercises {
                let views = try await exercises.views(for: pending.map(\.block))
                guard views.count == pending.count else {
                    throw SiteError("the exercise runner returned \(views.count) results for \(pending.count) exercises")
                }
                for (item, view) in zip(pending, views) {
                    htmlByToken[item.token] = exerciseRenderer.html(for: view, block: item.block)
                    if !view.provenance.rerunThisBuild {
                        recorded += 1
                    } else if view.provenance.reusedFromCache {
                        cached += 1
                    } else {
                        run += 1
                    }
                    if view.provenance.sourceChangedSinceRecorded {
                        sourceChanged += 1
                        warnings.append(SiteWarning(file: item.block.file, line: item.block.line,
                            "exercise '\(view.id)': source changed since recorded; the page shows the recorded result (build with KVM to rerun it)"))
                    }
                }
            } else {
                for (ordinal, item) in pending.enumerated() {
                    htmlByToken[item.token] = exerciseRenderer.placeholderHTML(for: item.block, ordinal: ordinal + 1)
                }
            }
            for index in rendered.indices where !rendered[index].exercises.isEmpty {
                rendered[index].html = Self.splice(rendered[index].html, htmlByToken)
                rendered[index].printHTML = Self.splice(rendered[index].printHTML, htmlByToken)
                bodies[frozenJobs[index].page.path] = rendered[index]
            }
        }
        for warning in warnings { events(.warning(warning)) }

        phases.mark("exercises")
        // Write everything into a staging folder, then swap it in.
        let staging = try output.makeStaging()
        let pageCount: Int
        do {
            pageCount = try SiteWriter(course: course, theme: theme, bodies: bodies, staging: staging, contentRoot: contentRoot).write()
            phases.mark("pages")
            if let warning = try output.commit(staging) {
                // The new site is in place; the old one is left behind. Said once, with the others.
                warnings.append(warning)
                events(.warning(warning))
            }
            phases.mark("swap")
        } catch {
            output.discard(staging)
            throw error
        }
        return BuildSummary(
            pages: pageCount, chapters: course.chapters.count, lessons: course.lessonCount, exercises: pending.count,
            exercisesRun: run, exercisesRecorded: recorded, exercisesCached: cached, exercisesSourceChanged: sourceChanged, warnings: warnings,
            seconds: Double((clock.now - start).components.attoseconds) / 1e18 + Double((clock.now - start).components.seconds),
            outputDirectory: output.target)
    }

    /// Puts each exercise's HTML in place of its token, in one pass over the page's bytes
    /// (Foundation's `replacingOccurrences` per token cost 100 ms on a 50-exercise course).
    static func splice(_ html: String, _ replacements: [String: String]) -> String {
        let bytes = Array(html.utf8)
        let marker = Array(PendingExercise.tokenOpen.utf8), close = Array(PendingExercise.tokenClose.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + replacements.values.reduce(0) { $0 + $1.utf8.count })
        var index = 0, copied = 0
        func matches(_ pattern: [UInt8], at position: Int) -> Bool {
            position + pattern.count <= bytes.count && bytes[position..<position + pattern.count].elementsEqual(pattern)
        }
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "<"), matches(marker, at: index) else {
                index += 1
                continue
            }
            var end = index + marker.count
            while end < bytes.count, !matches(close, at: end) { end += 1 }
            guard end < bytes.count else { break }
            end += close.count
            let token = String(decoding: bytes[index..<end], as: UTF8.self)
            if let replacement = replacements[token] {
                out += bytes[copied..<index]
                out += Array(replacement.utf8)
                copied = end
            }
            index = end
        }
        out += bytes[copied...]
        return String(decoding: out, as: UTF8.self)
    }

    /// One render job per lesson and chapter introduction, and the link resolver that knows them all.
    static func bodyJobs(course: Course, contentRoot: URL) -> ([BodyJob], LinkResolver) {
        // Link targets: every lesson and chapter, by the paths authors write.
        var pages: [String: LinkResolver.Page] = [:]
        var chapterSlugs: [String: String] = [:]
        var jobs: [BodyJob] = []
        if let intro = course.homeIntro {
            // The home page; in print.html, links to it lead to the top.
            let home = LinkResolver.Page(path: "index.html", printID: "hc-page-title", printPrefix: "hc-home::")
            pages["_index.md"] = home
            jobs.append(BodyJob(source: intro, contentPath: "_index.md", page: home))
        }
        for chapter in course.chapters {
            let folder = Self.contentPath(chapter.folder, root: contentRoot)
            let page = LinkResolver.Page(path: chapter.path, printID: chapter.slug, printPrefix: "\(chapter.slug)::")
            chapterSlugs[folder] = chapter.slug
            pages[folder] = page
            pages[folder + "/"] = page
            pages[folder + "/_index.md"] = page
            if let intro = chapter.intro {
                jobs.append(BodyJob(source: intro, contentPath: folder + "/_index.md", page: page))
            }
            for lesson in chapter.lessons {
                let path = Self.contentPath(lesson.file, root: contentRoot)
                let page = LinkResolver.Page(path: lesson.path, printID: "\(chapter.slug)/\(lesson.slug)", printPrefix: "\(chapter.slug)/\(lesson.slug)::")
                pages[path] = page
                jobs.append(BodyJob(source: lesson.source, contentPath: path, page: page))
            }
        }
        let resolver = LinkResolver(
            contentRoot: contentRoot, pages: pages,
            drafts: Set(course.draftsLeftOut.map { Self.contentPath($0, root: contentRoot) }), chapterSlugs: chapterSlugs)
        return (jobs, resolver)
    }

    /// Every exercise block of the course, in course order, without rendering pages or writing
    /// anything: what `hypercourse check` and `promote` run. Throws `BuildFailure` for a course that
    /// does not load (bad front matter, missing includes, ...).
    public func exerciseBlocks() async throws -> [ExerciseBlock] {
        var warnings: [SiteWarning] = []
        let contentRoot = options.contentDirectory.standardizedFileURL
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: contentRoot.path, isDirectory: &isDir), isDir.boolValue else {
            throw BuildFailure(SiteError(file: contentRoot, "content folder not found (pass --content DIR)"))
        }
        do {
            let config = try CourseConfig.load(contentRoot: contentRoot, warnings: &warnings)
            let course = try CourseLoader(contentRoot: contentRoot, includeDrafts: options.includeDrafts).load(config: config, warnings: &warnings)
            let (jobs, resolver) = Self.bodyJobs(course: course, contentRoot: contentRoot)
            let renderer = BodyRenderer(resolver: resolver, includes: IncludeExpander(contentRoot: contentRoot), options: MarkdownOptions(),
                                        nonce: String(UInt64.random(in: 0...UInt64.max), radix: 36))
            let results = parallelMap(jobs.count) { index in try renderer.analyze(jobs[index], index: index).exercises.map(\.block) }
            let (found, errors) = try collectFailures(results)
            guard errors.isEmpty else { throw BuildFailure(errors) }
            return found.flatMap { $0 }
        } catch let error as SiteError {
            throw BuildFailure(error)
        }
    }

    /// Built-in theme, then the course's override folder, then `--templates`. The course's folder
    /// must be inside the content folder, as written and with symlinks followed (B4: `templates:
    /// ../../x` used to be accepted).
    func themeLayers(config: CourseConfig, contentRoot: URL) throws -> [Theme.Layer] {
        var layers: [Theme.Layer] = []
        if let theme = options.themeDirectory ?? Theme.builtInDirectory() { layers.append(.init(folder: theme.standardizedFileURL)) }
        if let folder = config.templates {
            let content = ContentFolder(contentRoot)
            func fail(_ message: String) -> SiteError { SiteError(file: config.file ?? contentRoot, line: config.templatesLine, message) }
            switch content.resolve(folder, from: contentRoot) {
            case .success(let url):
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue else {
                    throw fail("templates '\(folder)' is not a folder")
                }
                layers.append(.init(folder: url, confinedTo: content))
            case .failure(.missing): throw fail("templates folder '\(folder)' not found in the content folder")
            case .failure(.absolute): throw fail("templates folder '\(folder)' must be relative to the content folder")
            case .failure(.outside): throw fail("templates folder '\(folder)' leads outside the content folder")
            case .failure(.symlinkOutside): throw fail("templates folder '\(folder)' is a symlink that leads outside the content folder")
            }
        }
        if let extra = options.templatesDirectory?.standardizedFileURL, !layers.contains(where: { $0.folder == extra }) {
            layers.append(.init(folder: extra))
        }
        guard !layers.isEmpty else {
            throw SiteError("no templates found: run from the project folder (with templates/) or pass --templates DIR")
        }
        return layers
    }

    static func contentPath(_ url: URL, root: URL) -> String {
        ContentFolder.relativePath(of: url, in: root) ?? url.lastPathComponent
    }
}
