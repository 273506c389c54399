import Common
import Foundation
import Markdown

/// What the exercise stage did, for the summary line.
struct ExerciseTally: Sendable {
    var total = 0
    var run = 0
    var recorded = 0
    var cached = 0
    var sourceChanged = 0
    var warnings: [SiteWarning] = []
    /// What the provider wants written into the content folder when the build succeeds.
    var contentFiles: [PendingFile] = []
    /// Each exercise's result, for the editions' pages, which show the same results.
    var views: [ExerciseBlock: ExerciseView] = [:]
}

extension SiteBuilder {
    /// Stage 4: every exercise block of the course to the provider in one call, in course order,
    /// and each result's HTML (and shown source, in the search text) put in place of its
    /// placeholder, with its whole source to download beside the page. Without a provider, each
    /// block shows a placeholder card. The provider's errors join the pages' (it runs even when
    /// earlier stages failed, so one build reports them all).
    func resolveExercises(in pages: inout RenderedPages, theme: Theme) async throws -> ExerciseTally {
        let pending = pages.rendered.compactMap { $0 }.flatMap(\.exercises)
        var tally = ExerciseTally(total: pending.count)
        guard !pending.isEmpty else { return tally }
        var views: [String: ExerciseView] = [:]
        if let exercises {
            let results: ExerciseResults
            do {
                results = try await exercises.results(for: pending.map(\.block))
            } catch {
                pages.errors += try siteErrors(error)
                return tally
            }
            tally.contentFiles = results.contentFiles
            guard results.views.count == pending.count else {
                throw SiteError("the exercise runner returned \(results.views.count) results for \(pending.count) exercises")
            }
            for (item, view) in zip(pending, results.views) {
                views[item.token] = view
                tally.views[item.block] = view
                tally.count(view, block: item.block)
            }
        }
        Self.placeCards(in: &pages, views: views, theme: theme)
        return tally
    }

    /// An edition's exercise cards: the default language's results (`known`), by block, rendered
    /// with the edition's UI strings. Nothing runs again.
    func resolveEditionExercises(in pages: inout RenderedPages, theme: Theme, known: [ExerciseBlock: ExerciseView]) {
        var views: [String: ExerciseView] = [:]
        for item in pages.rendered.compactMap({ $0 }).flatMap(\.exercises) {
            views[item.token] = known[item.block]
        }
        Self.placeCards(in: &pages, views: views, theme: theme)
    }

    /// Puts each exercise's card (a placeholder where `views` has no result) in place of its token.
    private static func placeCards(in pages: inout RenderedPages, views: [String: ExerciseView], theme: Theme) {
        let renderer = ExerciseRenderer(theme: theme)
        var ordinal = 0
        for index in pages.rendered.indices {
            guard var body = pages.rendered[index], !body.exercises.isEmpty else { continue }
            let cards = Self.cards(
                for: body.exercises, on: pages.jobs[index].page.path, views: views, renderer: renderer, ordinal: &ordinal)
            body.html = Self.splice(body.html, cards.onPage)
            body.printHTML = Self.splice(body.printHTML, cards.inPrint)
            for section in body.sections.indices {
                body.sections[section].text = SearchSection.searchText(Self.splice(body.sections[section].text, cards.searchText))
            }
            body.downloads += cards.downloads
            // The files a program includes, beside its download where `hypercourse run` finds them.
            body.files += cards.downloads.flatMap(\.includes).map { ($0.contentPath, $0.outputPath) }
            pages.rendered[index] = body
        }
    }

    /// One page's exercise cards by token: as the page shows them, as print.html shows them (its links
    /// lead from the site's root), and their search text; and the whole programs to write beside it.
    static func cards(
        for exercises: [PendingExercise], on page: String, views: [String: ExerciseView], renderer: ExerciseRenderer,
        ordinal: inout Int
    ) -> (onPage: [String: String], inPrint: [String: String], searchText: [String: String], downloads: [ExerciseDownload]) {
        var onPage: [String: String] = [:], inPrint: [String: String] = [:], searchText: [String: String] = [:]
        var downloads: [ExerciseDownload] = []
        for item in exercises {
            ordinal += 1
            guard let view = views[item.token] else {
                onPage[item.token] = renderer.placeholderHTML(for: item.block, ordinal: ordinal)
                inPrint[item.token] = onPage[item.token]
                searchText[item.token] = SearchSection.searchText(item.block.body)
                continue
            }
            let download = ExerciseDownload(view: view, page: page, strings: renderer.theme.string)
            (onPage[item.token], inPrint[item.token]) = renderer.html(for: view, block: item.block, download: download, on: page)
            // Search finds what the page shows: the source without its hidden lines.
            searchText[item.token] = SearchSection.searchText(view.displaySource)
            if let download { downloads.append(download) }
        }
        return (onPage, inPrint, searchText, downloads)
    }

    /// Puts each exercise's HTML (or search text) in place of its token, in one pass over the bytes
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
}

extension ExerciseTally {
    /// Counts where one view's result came from; a record shown although its source changed is a
    /// warning at the block.
    mutating func count(_ view: ExerciseView, block: ExerciseBlock) {
        if !view.provenance.rerunThisBuild {
            recorded += 1
        } else if view.provenance.reusedFromCache {
            cached += 1
        } else {
            run += 1
        }
        if view.provenance.sourceChangedSinceRecorded {
            sourceChanged += 1
            warnings.append(
                SiteWarning(
                    file: block.file, line: block.line,
                    "exercise '\(view.id)': source changed since recorded; the page shows the recorded result (build with KVM to rerun it)")
            )
        }
    }
}
