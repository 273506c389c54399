import Common
import Foundation
import Markdown

/// A Markdown body (a lesson or a chapter introduction) to render.
struct BodyJob: Sendable {
    var source: MarkdownSource
    /// Content-relative path of the Markdown file (`01-foundations/02-traps.md`).
    var contentPath: String
    var page: LinkResolver.Page
    /// For a translation: the original's headings and exercise blocks it must match.
    var original: OriginalBody?
}

/// What a translation takes from its original: heading ids by position, and the exercises its
/// reference blocks name.
struct OriginalBody: Sendable {
    var headings: [Heading]
    var exercises: [ExerciseBlock]
}

/// An exercise block waiting for its result; `token` marks its place in the rendered HTML.
struct PendingExercise: Sendable {
    var block: ExerciseBlock
    var token: String

    /// The placeholder's spelling, written here and found again when results go in.
    static let tokenOpen = "<!--hc-exercise:", tokenClose = "-->"
}

/// A body rendered for its own page and for print.html, plus what the build checks and indexes.
struct RenderedBody: Sendable {
    var html: String
    var printHTML: String
    var headings: [Heading]
    var sections: [SearchSection]
    var ids: Set<String>
    var anchorChecks: [LinkResolver.AnchorCheck]
    var files: [(contentPath: String, outputPath: String)]
    var exercises: [PendingExercise]
    var warnings: [SiteWarning]
    /// Broken links: the page is still rendered (each as if external), so its ids, anchors and
    /// exercises are checked in the same build, which then fails.
    var errors: [SiteError]
    /// The exercises' whole sources, written next to the page (filled in with the exercises' results).
    var downloads: [ExerciseDownload] = []
}

/// A page that could not be rendered at all (an include, a refused tree edit): its errors, and the
/// anchors its good links still need checked.
struct BodyFailure: Error {
    var errors: [SiteError]
    var anchorChecks: [LinkResolver.AnchorCheck]
}

struct BodyRenderer: Sendable {
    let resolver: LinkResolver
    let includes: IncludeExpander
    let options: MarkdownOptions
    /// Random per build, so author text can never forge an exercise placeholder.
    let nonce: String

    /// A body parsed and its links resolved: all but the HTML. `check` and `promote` need no more.
    struct Analysis {
        var doc: MarkdownDocument
        var targets: [LinkResolver.Target]
        var checks: [LinkResolver.AnchorCheck]
        var files: [(String, String)]
        var exercises: [PendingExercise]
        var warnings: [SiteWarning]
        /// Where each line of the parsed text was written.
        var map: SourceMap
        /// Broken links, each at its line (their targets are `.external`).
        var errors: [SiteError]
    }

    func render(_ job: BodyJob, index: Int) throws -> RenderedBody {
        let analysis = try analyze(job, index: index)
        let (doc, targets) = (analysis.doc, analysis.targets)
        let html: String, printHTML: String
        do {
            html = try doc.html { link in resolver.url(for: targets[link.index], onPage: job.page.path, print: nil) }
            printHTML = try doc.html(idPrefix: job.page.printPrefix, headingAnchors: false) { link in
                resolver.url(for: targets[link.index], onPage: job.page.path, print: job.page)
            }
        } catch {
            throw BodyFailure(errors: [Self.siteError(error, map: analysis.map)], anchorChecks: analysis.checks)
        }
        var ids = Set(MarkdownDocument.ids(inHTML: html))
        for exercise in analysis.exercises {
            if let id = exercise.block.option("id") { ids.insert("exercise-\(id)") }
        }
        return RenderedBody(
            html: html, printHTML: printHTML, headings: doc.headings, sections: doc.sections, ids: ids,
            anchorChecks: analysis.checks, files: analysis.files, exercises: analysis.exercises, warnings: analysis.warnings,
            errors: analysis.errors)
    }

    /// Throws `BodyFailure` when the text cannot be read or parsed; broken links are in `errors`.
    func analyze(_ job: BodyJob, index: Int) throws -> Analysis {
        let (text, map) = try includes.expand(job.source)
        var exercises: [PendingExercise] = []
        var errors: [SiteError] = []
        let contentRoot = resolver.contentRoot
        let doc: MarkdownDocument
        var options = self.options
        options.headingIDs = job.original?.headings.map(\.id) ?? []
        do {
            doc = try MarkdownDocument(text, options: options) { block in
                guard let (language, options) = ExerciseInfo.parse(block.info) else { return nil }
                let origin = map.location(block.line)
                let token = PendingExercise.tokenOpen + "\(nonce):\(index):\(exercises.count)" + PendingExercise.tokenClose
                var written = ExerciseBlock(
                    language: language, options: options, body: block.literal, file: origin.file, line: origin.line,
                    contentRoot: contentRoot,
                    bodyLineOrigins: Self.bodyLineOrigins(block, fence: origin, map: map))
                if let original = job.original {
                    // A translation shows the original's exercise: one source and one record each.
                    switch ExerciseReference.resolve(written, in: original.exercises, taken: exercises.map(\.block)) {
                    case .success(let block): written = block
                    case .failure(let error):
                        errors.append(error)
                        return nil
                    }
                }
                exercises.append(PendingExercise(block: written, token: token))
                // The page and its search text get the exercise (shown source, hidden lines left out)
                // once it has run; both hold the token until then.
                return CodeBlockReplacement(html: token, searchText: token)
            }
        } catch {
            throw BodyFailure(errors: [Self.siteError(error, map: map)], anchorChecks: [])
        }

        var links = try analyzeLinks(doc, job: job, map: map)
        errors += links.errors
        if let original = job.original {
            errors += ExerciseReference.headingErrors(doc.headings, original: original.headings, map: map)
            links.warnings += ExerciseReference.missing(in: exercises.map(\.block), original: original.exercises, file: job.source.file)
        }
        links.warnings += Self.rawHTMLWarnings(doc, map: map)
        return Analysis(
            doc: doc, targets: links.targets, checks: links.checks, files: links.files, exercises: exercises,
            warnings: links.warnings, map: map, errors: errors)
    }

    /// What a page's links resolve to, the anchors to check once every page is known, the files
    /// they publish, and their problems.
    struct LinkAnalysis {
        var targets: [LinkResolver.Target] = []
        var checks: [LinkResolver.AnchorCheck] = []
        var files: [(String, String)] = []
        var warnings: [SiteWarning] = []
        var errors: [SiteError] = []
    }

    func analyzeLinks(_ doc: MarkdownDocument, job: BodyJob, map: SourceMap) throws -> LinkAnalysis {
        var result = LinkAnalysis()
        for link in doc.links {
            let origin = map.location(link.line)
            let fromPath = origin.file == job.source.file ? job.contentPath : relativeContentPath(origin.file)
            do {
                let target = try resolver.resolve(link.destination, from: origin.file, fromPath: fromPath, line: origin.line)
                result.targets.append(target)
                switch target {
                case .page(let path, let fragment?):
                    result.checks.append(
                        .init(file: origin.file, line: origin.line, written: link.destination, path: path, fragment: fragment))
                case .samePage(let fragment) where !fragment.isEmpty:
                    result.checks.append(
                        .init(file: origin.file, line: origin.line, written: link.destination, path: job.page.path, fragment: fragment))
                case .file(let contentPath, let outputPath):
                    result.files.append((contentPath, outputPath))
                default:
                    break
                }
            } catch let error as SiteError {
                result.errors.append(error)
                result.targets.append(.external)
            }
            if link.kind == .image, link.altText.trimmingCharacters(in: .whitespaces).isEmpty {
                result.warnings.append(
                    SiteWarning(
                        file: origin.file, line: origin.line,
                        "image '\(link.destination)' has no alt text; describe it in ![...] for readers who cannot see it"))
            }
        }
        return result
    }

    /// Images in the author's raw HTML that a screen reader cannot name.
    static func rawHTMLWarnings(_ doc: MarkdownDocument, map: SourceMap) -> [SiteWarning] {
        var warnings: [SiteWarning] = []
        for line in doc.rawImagesWithoutAlt {
            let origin = map.location(line)
            warnings.append(
                SiteWarning(file: origin.file, line: origin.line, "<img> without an alt attribute; add alt=\"...\" describing the image"))
        }
        for line in doc.rawSVGImagesWithoutName {
            let origin = map.location(line)
            warnings.append(
                SiteWarning(
                    file: origin.file, line: origin.line,
                    "<svg role=\"img\"> without a name; add aria-label=\"...\" describing the figure (a <title> inside it does not count: GFM's tagfilter escapes it)"
                ))
        }
        return warnings
    }

    /// Each body line's origin, or nil when they are simply the lines after the fence.
    static func bodyLineOrigins(_ block: CodeBlock, fence: (file: URL, line: Int), map: SourceMap) -> [ExerciseBlock.LineOrigin]? {
        let count = block.literal.utf8.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        guard count > 0 else { return nil }
        let origins = (1...count).map { k in map.location(block.line + k) }
        guard origins.enumerated().contains(where: { k, origin in origin.file != fence.file || origin.line != fence.line + k + 1 }) else {
            return nil
        }
        return origins.map { ExerciseBlock.LineOrigin(file: $0.file, line: $0.line) }
    }

    /// A tree edit libcmark-gfm refused, at the line it concerns (in the included file, if any).
    private static func siteError(_ error: MarkdownError, map: SourceMap) -> SiteError {
        let origin = map.location(max(error.line, 1))
        return SiteError(file: origin.file, line: error.line > 0 ? origin.line : nil, error.message)
    }

    private func relativeContentPath(_ file: URL) -> String {
        SiteBuilder.contentPath(file, root: resolver.contentRoot)
    }
}

/// Reads an exercise block's info string: `LANG exercise key=value key="two words" flag`.
enum ExerciseInfo {
    static func parse(_ info: String) -> (language: String, options: [ExerciseBlock.Option])? {
        let words = split(info)
        guard words.count >= 2, words[1] == "exercise" else { return nil }
        let options = words.dropFirst(2).map { word -> ExerciseBlock.Option in
            guard let eq = word.firstIndex(of: "=") else { return ExerciseBlock.Option(key: word, value: "") }
            return ExerciseBlock.Option(key: String(word[..<eq]), value: String(word[word.index(after: eq)...]))
        }
        return (words[0], options)
    }

    /// Splits on blanks, keeping `"quoted values"` whole (quotes removed).
    static func split(_ info: String) -> [String] {
        var words: [String] = []
        var current = ""
        var quoted = false
        var started = false
        for ch in info {
            if ch == "\"" {
                quoted.toggle()
                started = true
            } else if (ch == " " || ch == "\t") && !quoted {
                if started { words.append(current) }
                current = ""
                started = false
            } else {
                current.append(ch)
                started = true
            }
        }
        if started { words.append(current) }
        return words
    }
}
