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
}

extension SiteBuilder {
    /// Stage 4: every exercise block of the course to the provider in one call, in course order,
    /// and each result's HTML (and shown source, in the search text) put in place of its
    /// placeholder. Without a provider, each block shows
    /// a placeholder card.
    func resolveExercises(in pages: inout RenderedPages, theme: Theme) async throws -> ExerciseTally {
        let pending = pages.rendered.compactMap { $0 }.flatMap(\.exercises)
        var tally = ExerciseTally(total: pending.count)
        guard !pending.isEmpty else { return tally }
        let renderer = ExerciseRenderer(theme: theme)
        var htmlByToken: [String: String] = [:]
        // Search finds what the page shows: the source without its hidden lines.
        var searchTextByToken: [String: String] = [:]
        if let exercises {
            let views = try await exercises.views(for: pending.map(\.block))
            guard views.count == pending.count else {
                throw SiteError("the exercise runner returned \(views.count) results for \(pending.count) exercises")
            }
            for (item, view) in zip(pending, views) {
                htmlByToken[item.token] = renderer.html(for: view, block: item.block)
                searchTextByToken[item.token] = SearchSection.searchText(view.displaySource)
                tally.count(view, block: item.block)
            }
        } else {
            for (ordinal, item) in pending.enumerated() {
                htmlByToken[item.token] = renderer.placeholderHTML(for: item.block, ordinal: ordinal + 1)
                searchTextByToken[item.token] = SearchSection.searchText(item.block.body)
            }
        }
        for index in pages.rendered.indices {
            guard var body = pages.rendered[index], !body.exercises.isEmpty else { continue }
            body.html = Self.splice(body.html, htmlByToken)
            body.printHTML = Self.splice(body.printHTML, htmlByToken)
            for section in body.sections.indices {
                body.sections[section].text = SearchSection.searchText(Self.splice(body.sections[section].text, searchTextByToken))
            }
            pages.rendered[index] = body
        }
        return tally
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
            warnings.append(SiteWarning(file: block.file, line: block.line,
                "exercise '\(view.id)': source changed since recorded; the page shows the recorded result (build with KVM to rerun it)"))
        }
    }
}
