import Exercises
import Foundation
import Site

/// The seam's two ends joined: Site's `ExerciseBlock` in, the exercise engine's outcome out as
/// Site's `ExerciseView`. Mapping only; every decision is the engine's.
final class ExerciseAdapter: ExerciseProvider, @unchecked Sendable {
    let engine: ExerciseEngine
    let pass: ExercisePass
    private let lock = NSLock()
    private var report: ExerciseReport?

    /// Longest output a page shows; the record keeps all of it.
    static let displayBytes = 16 * 1024
    static let displayLines = 400

    init(engine: ExerciseEngine, pass: ExercisePass) {
        self.engine = engine
        self.pass = pass
    }

    /// The report of the last pass (for the summary the CLI prints).
    var lastReport: ExerciseReport? { lock.withLock { report } }

    /// Forgets the last report, before a build that may fail before reaching the exercises.
    func reset() { lock.withLock { report = nil } }

    func views(for blocks: [ExerciseBlock]) async throws -> [ExerciseView] {
        let report = await process(blocks.map(Self.input))
        lock.withLock { self.report = report }
        guard report.problems.isEmpty else { throw BuildFailure(report.problems.map(Self.siteError)) }
        return try zip(blocks, report.outcomes).map { block, outcome in
            guard let outcome else { throw BuildFailure(SiteError(file: block.lessonFile, line: block.line, "exercise has no result")) }
            return Self.view(outcome)
        }
    }

    /// Runs a pass on a thread of its own: the engine blocks, and Swift concurrency's pool is small.
    func process(_ inputs: [ExerciseInput]) async -> ExerciseReport {
        let engine = self.engine, pass = self.pass
        return await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: engine.process(inputs, pass: pass)) }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    static func input(_ block: ExerciseBlock) -> ExerciseInput {
        ExerciseInput(
            language: block.language, options: block.options.map { ExerciseInput.Option(key: $0.key, value: $0.value) },
            body: block.body, file: block.lessonFile, line: block.line, contentRoot: block.contentRoot)
    }

    static func siteError(_ problem: ExerciseProblem) -> SiteError {
        guard let file = problem.file else { return SiteError(problem.message) }
        return SiteError(file: file, line: problem.line, problem.message)
    }

    static func view(_ outcome: ExerciseOutcome) -> ExerciseView {
        let spec = outcome.spec, entry = outcome.entry, result = entry.result
        let (output, truncated) = displayed(result.output)
        let trace = result.trace?.map { row in
            TraceRow(index: row.index, sourceLine: row.line, sourceText: sourceText(spec, line: row.line, at: row.at),
                     kind: row.kind, target: row.target, size: row.size, value: row.value, rip: row.rip,
                     ripAfterInstruction: ripFollowsInstruction(kind: row.kind))
        }
        let steps = result.steps?.map { step in
            StepRow(index: step.index, sourceLine: step.line,
                    instruction: step.line == nil && step.at != nil ? "\(step.instruction)  [\(step.at!)]" : step.instruction,
                    rip: step.rip, changes: step.changes.map { registers(RegisterNames.display(recorded: $0, mode: spec.mode)) },
                    exit: step.exits.isEmpty ? nil : step.exits.joined(separator: "; ") + (step.completed ? "" : " (did not complete)"))
        }
        var rerun = true, cached = false, changed = false
        switch outcome.status {
        case .ran: break
        case .cached: cached = true
        case .recorded(let sourceChanged):
            rerun = false
            changed = sourceChanged
        }
        return ExerciseView(
            id: spec.id, language: spec.language.rawValue, displaySource: spec.source.display,
            sourceName: spec.input.options.first { $0.key == "src" }?.value,
            output: output, outputBytes: result.output.count, outputTruncated: truncated,
            end: result.end.description, endDetail: entry.hostDetail, expected: spec.expect.words(for: result.end),
            exitCounts: result.exits.map { ExitCount(kind: $0.kind, count: $0.count) },
            trace: trace, traceTruncated: result.traceTruncated, steps: steps,
            provenance: Provenance(recordedAt: entry.recordedAt, host: entry.hostDescription, hypervisorVersion: "v\(entry.machine)",
                                   rerunThisBuild: rerun, reusedFromCache: cached, sourceChangedSinceRecorded: changed))
    }

    /// Whether a trace row's RIP is past its instruction: the same on every host for an MMIO write,
    /// which KVM's emulator completes before it exits (docs/guest-machine.md, "Where RIP points").
    static func ripFollowsInstruction(kind: String) -> Bool { kind == "mmio-write" }

    /// A recorded `[name, before, after]` as the page's change (already named for the guest's mode).
    static func registers(_ change: [String]) -> RegisterChange {
        RegisterChange(register: change.first ?? "?", before: change.count > 1 ? change[1] : "", after: change.count > 2 ? change[2] : "")
    }

    /// The trace row's source text: the shown line, or where the instruction is when not shown.
    static func sourceText(_ spec: ExerciseSpec, line: Int?, at: String?) -> String? {
        if let line { return spec.source.text(ofShownLine: line)?.trimmingCharacters(in: .whitespaces) }
        return at.map { "[\($0)]" }
    }

    /// Guest output as page text, cut at a line boundary past the display limits.
    static func displayed(_ bytes: [UInt8]) -> (String, Bool) {
        var end = bytes.count, lines = 0
        for (index, byte) in bytes.enumerated() where byte == 0x0A {
            lines += 1
            if lines == displayLines { end = min(end, index + 1) }
        }
        end = min(end, displayBytes)
        return (GuestText.decode(Array(bytes[0..<end])), end < bytes.count)
    }
}

/// What `build`, `check` and `promote` print about exercises after the site summary.
enum ExerciseConsole {
    static func print(_ report: ExerciseReport, to console: (String) -> Void) {
        if let reason = report.kvmUnavailable, report.recorded > 0 {
            console("exercises: KVM is unavailable (\(reason)); showing \(report.recorded) verified record\(report.recorded == 1 ? "" : "s")")
        }
        for warning in report.warnings { console(warning) }
        for note in report.notes { console(note) }
        if !report.recordFilesWritten.isEmpty {
            console("records written: " + report.recordFilesWritten.map { DisplayPath.of($0) }.joined(separator: ", "))
        }
    }
}
