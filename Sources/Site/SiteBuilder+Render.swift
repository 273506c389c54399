import Common
import Foundation
import Markdown

/// Every body rendered (stage 2): the pages that rendered, by output path, what failed, and what
/// the later stages check and fill in.
struct RenderedPages: Sendable {
    /// Bodies in job order; nil where rendering failed.
    var rendered: [RenderedBody?]
    var jobs: [BodyJob]
    /// Every error found so far: the bodies' (broken links, includes, ...) in job order, then the
    /// later stages'.
    var errors: [SiteError]
    /// Anchors the good links of pages that could not be rendered still need checked.
    var partialChecks: [LinkResolver.AnchorCheck]

    /// The rendered bodies by page path.
    var bodies: [String: RenderedBody] {
        var bodies: [String: RenderedBody] = [:]
        for (job, body) in zip(jobs, rendered) { if let body { bodies[job.page.path] = body } }
        return bodies
    }

    var warnings: [SiteWarning] { rendered.compactMap { $0 }.flatMap(\.warnings) }

    /// Frees what only the site's pages use once they are written: each body's print.html copy
    /// (unless `keepingPrintHTML`: the PDF edition prints it) and its search text, about as much
    /// memory as the pages' own HTML at thousands of lessons.
    mutating func releaseSiteOnlyParts(keepingPrintHTML: Bool) {
        for index in rendered.indices where rendered[index] != nil {
            if !keepingPrintHTML { rendered[index]!.printHTML = "" }
            rendered[index]!.sections = []
        }
    }
}

extension SiteBuilder {
    /// Stage 2: every lesson and chapter introduction rendered on all cores, each for its own page
    /// and for print.html. Failures are collected, not thrown, so the anchor check can add its own.
    func renderBodies(_ loaded: LoadedCourse, theme: Theme) throws -> RenderedPages {
        try renderBodies(course: loaded.course, root: loaded.root, errors: loaded.errors, theme: theme, originals: nil)
    }

    /// Renders a course's bodies; with `originals` (the default language's bodies by page path),
    /// the course is an edition and each translated body is checked against its original's.
    func renderBodies(
        course: Course, root: URL, errors: [SiteError], theme: Theme, originals: [String: RenderedBody]?
    ) throws -> RenderedPages {
        let markdown = MarkdownOptions(
            anchorLabel: theme.string("heading_anchor"),
            admonitionTitles: MarkdownOptions.admonitionKinds.reduce(into: [:]) { $0[$1] = theme.string("admonition_\($1)") },
            predictAnswerLabel: theme.string("predict_show_answer"),
            footnotesTitle: theme.string("footnotes_title"), footnoteBackLabel: theme.string("footnote_back"))
        var (allJobs, made) = bodyRenderer(course: course, root: root, markdown: markdown)
        if let originals {
            Self.attachOriginals(
                &allJobs, course: course,
                originals: originals.mapValues { OriginalBody(headings: $0.headings, exercises: $0.exercises.map(\.block)) })
        }
        let (jobs, renderer) = (allJobs, made)
        let done = Locked(0)
        let events = self.events
        let results = parallelMap(jobs.count) { index in
            let body = try renderer.render(jobs[index], index: index)
            let count = done.withLock { n -> Int in
                n += 1
                return n
            }
            events(.progress(done: count, total: jobs.count, name: String(jobs[index].contentPath.dropLast(3))))
            return body
        }
        var pages = RenderedPages(rendered: [], jobs: jobs, errors: errors, partialChecks: [])
        for result in results {
            switch result {
            case .success(let body):
                pages.rendered.append(body)
                pages.errors += body.errors
            case .failure(let error):
                pages.rendered.append(nil)
                pages.errors += try siteErrors(error)
                if let failure = error as? BodyFailure { pages.partialChecks += failure.anchorChecks }
            }
        }
        return pages
    }

    /// Most broken anchors of one build that get a "did you mean" (each costs up to
    /// `closestMatchMaxCompared` edit distances); the others are reported without one.
    static let maxAnchorHints = 100

    /// Stage 3: every `#fragment` a link names must be an id on its page (pages that could not be
    /// rendered are skipped). Returns the broken anchors, to join the other stages' errors.
    func anchorErrors(_ pages: RenderedPages) -> [SiteError] {
        var errors: [SiteError] = []
        let bodies = pages.bodies
        let failedPages = Set(zip(pages.jobs, pages.rendered).compactMap { job, body in body == nil ? job.page.path : nil })
        // Each page's ids sorted once, not once per broken link (a page may have thousands of both);
        // and only the first `maxAnchorHints` broken links get a suggestion, so the cost is bounded.
        var sortedIDs: [String: [String]] = [:]
        var hinted = 0
        for check in pages.rendered.compactMap({ $0 }).flatMap(\.anchorChecks) + pages.partialChecks {
            guard !failedPages.contains(check.path), !(bodies[check.path]?.ids.contains(check.fragment) ?? false) else { continue }
            if sortedIDs[check.path] == nil { sortedIDs[check.path] = (bodies[check.path]?.ids ?? []).sorted() }
            hinted += 1
            let hint = hinted <= Self.maxAnchorHints ? didYouMean(check.fragment, in: sortedIDs[check.path] ?? [], prefix: "#") : ""
            errors.append(
                SiteError(
                    file: check.file, line: check.line,
                    "broken link '\(check.written)': no heading or id '\(check.fragment)' on that page\(hint)"))
        }
        return errors
    }

    /// Stages 1–2 as `check` and `promote` need them: each body parsed and its links resolved, no
    /// HTML rendered, and the exercise blocks collected in course order.
    func findExercises(in loaded: LoadedCourse, checkingTranslations: Bool = false) throws -> [ExerciseBlock] {
        let (jobs, found, errors) = try analyzeBodies(course: loaded.course, root: loaded.root, originals: nil)
        var all = loaded.errors + errors
        if checkingTranslations {
            var originals: [String: OriginalBody] = [:]
            for (job, analysis) in zip(jobs, found) {
                guard let analysis else { continue }
                originals[job.page.path] = OriginalBody(headings: analysis.doc.headings, exercises: analysis.exercises.map(\.block))
            }
            let said = Set(all)
            for edition in loaded.editions {
                all += try analyzeBodies(course: edition, root: loaded.root, originals: originals).errors.filter { !said.contains($0) }
            }
            let complete = Set(loaded.config.languages.filter(\.complete).map(\.code))
            all += TranslationReport.errors(TranslationReport.entries(loaded), complete: complete)
        }
        guard all.isEmpty else { throw BuildFailure(all) }
        return found.compactMap { $0 }.flatMap { $0.exercises.map(\.block) }
    }

    /// Every body parsed and its links resolved (no HTML): the analyses in job order (nil where
    /// one failed) and every error found.
    private func analyzeBodies(
        course: Course, root: URL, originals: [String: OriginalBody]?
    ) throws -> (jobs: [BodyJob], found: [BodyRenderer.Analysis?], errors: [SiteError]) {
        var (allJobs, made) = bodyRenderer(course: course, root: root, markdown: MarkdownOptions())
        if let originals { Self.attachOriginals(&allJobs, course: course, originals: originals) }
        let (jobs, renderer) = (allJobs, made)
        let results = parallelMap(jobs.count) { index in try renderer.analyze(jobs[index], index: index) }
        var errors: [SiteError] = []
        var found: [BodyRenderer.Analysis?] = []
        for result in results {
            switch result {
            case .success(let analysis):
                found.append(analysis)
                errors += analysis.errors
            case .failure(let error):
                found.append(nil)
                errors += try siteErrors(error)
            }
        }
        return (jobs, found, errors)
    }

    /// One render job per lesson and chapter introduction, and a renderer whose link resolver knows
    /// them all.
    private func bodyRenderer(course: Course, root: URL, markdown: MarkdownOptions) -> ([BodyJob], BodyRenderer) {
        let (jobs, resolver) = Self.bodyJobs(course: course, contentRoot: root)
        let renderer = BodyRenderer(
            resolver: resolver, includes: IncludeExpander(contentRoot: root), options: markdown,
            nonce: String(UInt64.random(in: 0...UInt64.max), radix: 36))
        return (jobs, renderer)
    }

    /// Each translated body of an edition (its text is not the original's file) gets its
    /// original's headings and exercises to match.
    static func attachOriginals(_ jobs: inout [BodyJob], course: Course, originals: [String: OriginalBody]) {
        var translated: Set<URL> = Set(course.chapters.flatMap { $0.lessons.compactMap(\.translation?.file) })
        translated.formUnion(course.chapters.compactMap(\.translation?.file))
        if let home = course.homeTranslation?.file { translated.insert(home) }
        for index in jobs.indices where translated.contains(jobs[index].source.file) {
            jobs[index].original = originals[jobs[index].page.path] ?? OriginalBody(headings: [], exercises: [])
        }
    }

    /// Render jobs in course order (home, then each chapter's introduction and lessons) and the link
    /// targets: every lesson and chapter, by the paths authors write.
    static func bodyJobs(course: Course, contentRoot: URL) -> ([BodyJob], LinkResolver) {
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
            let folder = contentPath(chapter.folder, root: contentRoot)
            let page = LinkResolver.Page(path: chapter.path, printID: chapter.slug, printPrefix: "\(chapter.slug)::")
            chapterSlugs[folder] = chapter.slug
            for name in [folder, folder + "/", folder + "/_index.md"] { pages[name] = page }
            if let intro = chapter.intro {
                jobs.append(BodyJob(source: intro, contentPath: folder + "/_index.md", page: page))
            }
            for lesson in chapter.lessons {
                let path = contentPath(lesson.file, root: contentRoot)
                let page = LinkResolver.Page(
                    path: lesson.path, printID: "\(chapter.slug)/\(lesson.slug)",
                    printPrefix: "\(chapter.slug)/\(lesson.slug)::")
                pages[path] = page
                jobs.append(BodyJob(source: lesson.source, contentPath: path, page: page))
            }
        }
        let drafts = Set(course.draftsLeftOut.map { contentPath($0, root: contentRoot) })
        let failed = Set(course.failedToLoad.map { contentPath($0, root: contentRoot) })
        return (
            jobs, LinkResolver(contentRoot: contentRoot, pages: pages, drafts: drafts, failedToLoad: failed, chapterSlugs: chapterSlugs)
        )
    }
}
