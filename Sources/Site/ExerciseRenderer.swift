import Common
import Foundation
import Markdown

/// Turns `ExerciseView`s (or, with no provider, the bare blocks) into HTML through the
/// `partials/exercise` template. Every string from a view reaches the page escaped: the template
/// uses `{{...}}` for them, and the only pre-built HTML is the highlighted source and the dirty-log
/// chart (`DirtyPageChart`, which escapes its labels).
struct ExerciseRenderer {
    let theme: Theme

    /// Trace and step tables up to this many rows show in full; longer ones scroll inside a box
    /// about this many rows tall (the stylesheet's `.is-long`).
    static let rowsShownInFull = 16

    /// The card as it appears on the lesson's own `page` and on print.html, with a link to the whole
    /// source when there is one. One context serves both: only that link differs, as it is relative
    /// to the page that holds it.
    func html(
        for view: ExerciseView, block: ExerciseBlock, download: ExerciseDownload?, on page: String
    ) -> (onPage: String, inPrint: String) {
        var context = context(for: view, block: block)
        func render(from page: String) -> String {
            if let download { context["download"] = download.context(from: page) }
            return theme.render("partials/exercise", context)
        }
        return (render(from: page), render(from: "print.html"))
    }

    /// The card without the link to its whole source: the playground's answer to a run.
    func html(for view: ExerciseView, block: ExerciseBlock) -> String {
        theme.render("partials/exercise", context(for: view, block: block))
    }

    /// Everything the template needs about a view but the link to its whole source.
    private func context(for view: ExerciseView, block: ExerciseBlock) -> [String: Any] {
        var context: [String: Any?] = base(id: view.id, language: view.language, source: view.displaySource)
        context["hasView"] = true
        // Tied to a prediction: the result stays closed (and the end out of the title) until opened.
        context["predict"] = block.option("predict").map { $0 != "false" } ?? false
        context["sourceName"] = view.sourceName
        let display = OutputDisplay.cut(view.output)
        context["output"] = OutputDisplay.visible(display.shown)
        context["outputEmpty"] = view.output.isEmpty
        context["outputBytes"] = view.outputBytes
        context["outputTruncated"] = view.outputTruncated || display.isCut
        context["outputCut"] = display.isCut
        context["outputLinesCut"] = display.linesCut
        context["outputOneLineCut"] = display.linesCut == 1
        context["outputBytesCut"] = display.bytesCut
        context["end"] = view.end
        context["endDetail"] = view.endDetail
        context["expected"] = view.expected
        context["endMatches"] = view.end == view.expected
        context["exitCounts"] = view.exitCounts.map { ["kind": $0.kind, "count": $0.count] as [String: Any] }
        context["hasExitCounts"] = !view.exitCounts.isEmpty
        context["exitTotal"] = view.exitCounts.reduce(0) { $0 + $1.count }
        let anchor = "exercise-\(view.id)"
        Self.addTables(of: view, anchor: anchor, to: &context)
        machineContext(view, anchor: anchor, into: &context)
        context["provenance"] = [
            "recordedAt": view.provenance.recordedAt, "host": view.provenance.host,
            "hypervisorVersion": Self.versionLabel(view.provenance.hypervisorVersion)
        ]
        if let measured = view.measurement {
            context["measure"] = compact([
                "runs": measured.runs, "median": MeasuredTimes.text(measured.medianSeconds),
                "min": MeasuredTimes.text(measured.minSeconds), "max": MeasuredTimes.text(measured.maxSeconds),
                "perExit": measured.perExitSeconds.map(MeasuredTimes.text), "host": measured.host, "at": measured.measuredAt
            ])
        }
        context["recorded"] = !view.provenance.rerunThisBuild
        context["playgroundRun"] = view.playgroundRun
        context["sourceChanged"] = view.provenance.sourceChangedSinceRecorded
        return compact(context)
    }

    /// The trace and step tables, each row linked to its source line.
    private static func addTables(of view: ExerciseView, anchor: String, to context: inout [String: Any?]) {
        if let trace = view.trace {
            context["hasTrace"] = true
            context["traceTruncated"] = view.traceTruncated
            context["traceIsLong"] = trace.count > rowsShownInFull
            context["trace"] = trace.map { row -> [String: Any] in
                compact([
                    "index": row.index, "sourceLine": row.sourceLine,
                    "sourceLineAnchor": row.sourceLine.map { "\(anchor)-L\($0)" },
                    "sourceText": row.sourceText, "kind": row.kind, "target": row.target,
                    "size": row.size, "value": row.value, "rip": row.rip, "ripAfter": row.ripAfterInstruction
                ])
            }
        }
        if let steps = view.steps {
            context["hasSteps"] = true
            context["stepsAreLong"] = steps.count > rowsShownInFull
            context["steps"] = steps.map { row -> [String: Any] in
                compact([
                    "index": row.index, "sourceLine": row.sourceLine,
                    "sourceLineAnchor": row.sourceLine.map { "\(anchor)-L\($0)" },
                    "instruction": row.instruction, "rip": row.rip, "exit": row.exitSummary,
                    "changes": row.changes.map { ["register": $0.register, "before": $0.before, "after": $0.after] },
                    "hasChanges": !row.changes.isEmpty
                ])
            }
        }
    }

    /// The `pc` machine's parts of a card: the machine in the provenance line, the dirty log's
    /// checkpoints as a chart and a table, and KVM's counters.
    private func machineContext(_ view: ExerciseView, anchor: String, into context: inout [String: Any?]) {
        context["machine"] = view.machine
        if let checkpoints = view.checkpoints {
            context["hasCheckpoints"] = true
            context["noCheckpoints"] = checkpoints.isEmpty
            context["checkpointsAreLong"] = checkpoints.count > Self.rowsShownInFull
            context["checkpoints"] = checkpoints.map { row -> [String: Any] in
                [
                    "number": row.number, "cpu": row.cpu, "pages": row.pages, "ranges": row.ranges.map(Self.rangeParts),
                    "hasRanges": !row.ranges.isEmpty
                ]
            }
            context["checkpointPages"] = checkpoints.reduce(0) { $0 + $1.pages }
            let bars = checkpoints.map { DirtyPageChart.Bar(label: "#\($0.number)", pages: $0.pages) }
            let description = checkpoints.map { "#\($0.number): \($0.pages)" }.joined(separator: ", ")
            context["dirtyChart"] = DirtyPageChart.svg(
                bars, id: "\(anchor)-dirty",
                title: theme.string("exercise_dirty_chart"),
                description: description)
        }
        if let stats = view.kvmStats, !stats.rows.isEmpty {
            context["hasKVMStats"] = true
            context["kvmStatCPUs"] = stats.cpus
            context["kvmStats"] = stats.rows.map { ["name": $0.name, "values": $0.values] as [String: Any] }
        }
    }

    /// A version as a reader expects to see one: a bare number (`2`) reads `v2`; a named one (`pc-1`)
    /// stays as it is.
    static func versionLabel(_ version: String) -> String {
        version.first?.isNumber == true ? "v\(version)" : version
    }

    /// A range (`0x200000-0x202000`) as its two ends, so the card can offer a line break after the
    /// dash: on a phone a range then takes two short lines instead of widening the table.
    static func rangeParts(_ range: String) -> [String: String] {
        guard let dash = range.firstIndex(of: "-") else { return ["start": range] }
        return ["start": String(range[..<dash]), "end": String(range[range.index(after: dash)...])]
    }

    /// Without a provider: the highlighted source and a note that results appear when the course
    /// is built with its exercises.
    func placeholderHTML(for block: ExerciseBlock, ordinal: Int) -> String {
        var context = base(id: block.option("id") ?? "\(ordinal)", language: block.language, source: block.body)
        context["hasView"] = false
        return theme.render("partials/exercise", compact(context))
    }

    /// `text` (without its last line break) highlighted as a card shows it, one HTML string a line:
    /// the playground's editor asks for the same while the student types.
    static func highlightedLines(_ text: String, language: String) -> [String] {
        let highlighted =
            SyntaxHighlighter.resolve(infoWord: language, code: text).map { SyntaxHighlighter.highlight(text, as: $0) }
            ?? SyntaxHighlighter.plain(text)
        return highlighted.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    private func base(id: String, language: String, source: String) -> [String: Any?] {
        let anchor = "exercise-\(id)"
        var text = source
        if text.hasSuffix("\n") { text.removeLast() }
        let lines = Self.highlightedLines(text, language: language).enumerated().map { index, line -> [String: Any] in
            ["number": index + 1, "html": line, "anchor": "\(anchor)-L\(index + 1)"]
        }
        return [
            "id": id, "anchor": anchor, "language": language, "lines": lines, "source": text,
            "t": theme.strings
        ]
    }
}

/// Drops nil values: swift-mustache would treat a stored `nil` as present and open its section.
func compact(_ dict: [String: Any?]) -> [String: Any] {
    var out: [String: Any] = [:]
    for (key, value) in dict {
        if let value { out[key] = value }
    }
    return out
}
