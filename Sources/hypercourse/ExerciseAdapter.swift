import Common
import ExerciseCommands
import Exercises
import Foundation
import Hypervisor
import Site

/// The seam's two ends joined: the lesson's `ExerciseBlock`s in, the exercise engine's outcome out as
/// Site's `ExerciseView`. Field-for-field mapping only; every decision is the engine's (what ran,
/// what the record says) or Site's (how much of the output a card shows).
final class ExerciseAdapter: ExerciseProvider, @unchecked Sendable {
    // unchecked Sendable: `report`, the only mutable field, is read and written only under `lock`.
    let engine: ExerciseEngine
    let pass: ExercisePass
    private let lock = NSLock()
    private var report: ExerciseReport?

    init(engine: ExerciseEngine, pass: ExercisePass) {
        self.engine = engine
        self.pass = pass
    }

    /// The report of the last pass (for the summary the CLI prints).
    var lastReport: ExerciseReport? { lock.withLock { report } }

    /// Forgets the last report, before a build that may fail before reaching the exercises.
    func reset() { lock.withLock { report = nil } }

    func results(for blocks: [ExerciseBlock]) async throws -> ExerciseResults {
        let report = await engine.process(blocks, pass: pass)
        lock.withLock { self.report = report }
        guard report.problems.isEmpty else { throw BuildFailure(report.problems.map(Self.siteError)) }
        let views = try zip(blocks, report.outcomes).map { block, outcome in
            guard let outcome else { throw BuildFailure(SiteError(file: block.file, line: block.line, "exercise has no result")) }
            return Self.view(outcome)
        }
        return ExerciseResults(views: views, contentFiles: report.pendingRecords)
    }

    static func siteError(_ problem: ExerciseProblem) -> SiteError {
        guard let file = problem.file else { return SiteError(problem.message) }
        return SiteError(file: file, line: problem.line, problem.message)
    }

    static func view(_ outcome: ExerciseOutcome) -> ExerciseView {
        let spec = outcome.spec, entry = outcome.entry, result = entry.result
        let trace = result.trace?.map { row in
            TraceRow(
                index: row.index, sourceLine: row.line, sourceText: spec.source.rowText(line: row.line, at: row.at, text: row.text),
                kind: row.kind, target: row.target, size: row.size, value: row.value, rip: row.rip,
                ripAfterInstruction: row.ripFollowsInstruction)
        }
        let steps = result.steps?.map { step in
            StepRow(
                index: step.index, sourceLine: step.line, instruction: step.instructionText, rip: step.rip,
                changes: step.changes.map { registers(RegisterNames.display(recorded: $0, mode: spec.mode)) }, exitSummary: step.exitSummary
            )
        }
        var rerun = true, cached = false, changed = false
        switch outcome.status {
        case .ran: break
        case .cached: cached = true
        case .recorded(let sourceChanged):
            rerun = false
            changed = sourceChanged
        }
        var view = ExerciseView(
            id: spec.id, language: spec.language.rawValue, displaySource: spec.source.display,
            sourceName: spec.sourceName, program: program(spec, includes: entry.includes),
            output: GuestText.decode(result.output), outputBytes: result.output.count, outputTruncated: false,
            end: result.end.description, endDetail: entry.hostDetail, expected: spec.expect.words(for: result.end),
            exitCounts: result.exits.map { ExitCount(kind: $0.kind, count: $0.count) },
            trace: trace, traceTruncated: result.traceTruncated, steps: steps,
            provenance: Provenance(
                recordedAt: entry.recordedAt, host: entry.hostDescription,
                hypervisorVersion: entry.machine,
                rerunThisBuild: rerun, reusedFromCache: cached, sourceChangedSinceRecorded: changed))
        view.measurement = outcome.measurement.map { measured in
            MeasuredTimes(
                runs: measured.runs, medianSeconds: measured.medianSeconds, minSeconds: measured.minSeconds,
                maxSeconds: measured.maxSeconds,
                perExitSeconds: measured.medianPerExitSeconds, host: HostKind(rawValue: measured.host)?.description ?? measured.host,
                measuredAt: measured.measuredAt)
        }
        view.machine = spec.machine == .lesson ? nil : "\(spec.machine), \(spec.cpus) vCPU\(spec.cpus == 1 ? "" : "s")"
        view.checkpoints = result.checkpoints?.map { CheckpointRow(number: $0.number, cpu: $0.cpu, pages: $0.pages, ranges: $0.ranges) }
        view.kvmStats = entry.kvmStats.map(statsTable)
        return view
    }

    /// The whole source as built, with how `hypercourse run` runs it and finds what it includes; nil
    /// for a host program (a vmm) and for a kernel the course builds, which `hypercourse run FILE`
    /// would not build the same way.
    static func program(_ spec: ExerciseSpec, includes: [String]) -> WholeProgram? {
        guard spec.language.isGuest, spec.kernel == nil else { return nil }
        return WholeProgram(
            text: spec.source.built, fileExtension: spec.language.fileExtension, commentPrefix: spec.language.commentPrefix,
            runOptions: StandaloneRun.options(for: spec),
            includes: StandaloneRun.includesBeside(spec, includes: includes).map {
                WholeProgram.Included(contentPath: $0.contentPath, besideProgram: $0.besideProgram)
            })
    }

    /// A recorded `[name, before, after]` as the page's change (already named for the guest's mode).
    static func registers(_ change: [String]) -> RegisterChange {
        RegisterChange(register: change.first ?? "?", before: change.count > 1 ? change[1] : "", after: change.count > 2 ? change[2] : "")
    }

    static func statsTable(_ perCPU: [[String: UInt64]]) -> KVMStatsTable {
        KVMStatsTable(
            cpus: Array(perCPU.indices),
            rows: ResultRecorder.nonZeroStatistics(perCPU).map { KVMStatsTable.Row(name: $0.name, values: $0.values) })
    }
}
