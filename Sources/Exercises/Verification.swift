import Foundation
import Hypervisor

/// A fresh result that survived both runs and its expectation.
struct Verified: Sendable {
    var result: RecordedResult
    var hostDetail: String?
    /// Each vCPU's KVM counters from the first run, when read: shown, never compared.
    var kvmStats: [[String: UInt64]]?
    /// The record key, and the inputs' key this machine's cache maps to it.
    var key: String
    var inputsKey: String
    var includes: [String]
    var warnings: [String]
    /// Set instead when the runs disagree, the end is not the expected one, or a run failed.
    var problem: ExerciseProblem?
}

/// One run's raw result: a guest on the course's hypervisor, or a vmm exercise's host program.
enum ExerciseRun: Sendable {
    case guest(RunResult)
    case host(VMMRunner.Outcome)
}

/// Why a run produced no result (KVM failed, the vmm could not be confined): the message says.
struct RunFailure: Error, Sendable, CustomStringConvertible {
    var description: String
}

/// Per-exercise state shared by the threads that build and run it.
final class ConcurrentRuns: @unchecked Sendable {
    // unchecked Sendable: every mutable field is read and written only under `lock`.
    private let lock = NSLock()
    private var runs: [[Result<ExerciseRun, RunFailure>?]]
    private var failures: [Int: [ExerciseProblem]] = [:]
    private var verifiedBySlot: [Int: Verified] = [:]
    private var measurements: [Int: Measurement] = [:]

    init(count: Int) { runs = Array(repeating: [nil, nil], count: count) }

    func fail(_ slot: Int, _ problems: [ExerciseProblem]) { lock.withLock { failures[slot] = problems } }

    /// Stores one run; true for whichever finished second, which then verifies both.
    func finish(_ slot: Int, attempt: Int, _ result: Result<ExerciseRun, RunFailure>) -> Bool {
        lock.withLock {
            runs[slot][attempt] = result
            return runs[slot].allSatisfy { $0 != nil }
        }
    }

    func results(_ slot: Int) -> [Result<ExerciseRun, RunFailure>] { lock.withLock { runs[slot].compactMap { $0 } } }
    func complete(_ slot: Int, _ verified: Verified) { lock.withLock { verifiedBySlot[slot] = verified } }
    func failure(_ slot: Int) -> [ExerciseProblem]? { lock.withLock { failures[slot] } }
    func verified(_ slot: Int) -> Verified? { lock.withLock { verifiedBySlot[slot] } }
    func measured(_ slot: Int, _ measurement: Measurement?) { lock.withLock { measurements[slot] = measurement } }
    func measurement(_ slot: Int) -> Measurement? { lock.withLock { measurements[slot] } }
}

/// Tool versions per language, asked once per pass.
final class ToolIdentities: @unchecked Sendable {
    // unchecked Sendable: `known`, the only mutable field, is read and written only under `lock`;
    // `builder` is itself Sendable.
    private let builder: GuestBuilder
    private let lock = NSLock()
    private var known: [GuestLanguage: Result<String, ExerciseBuildError>] = [:]

    init(builder: GuestBuilder) { self.builder = builder }

    func identity(_ language: GuestLanguage) -> Result<String, ExerciseBuildError> {
        if let cached = lock.withLock({ known[language] }) { return cached }
        let found = builder.toolIdentity(language)
        lock.withLock { known[language] = found }
        return found
    }

    /// The inputs' key, or nil when the tools cannot be asked (then no key can match). A vmm's key
    /// also holds its guest's tools.
    func inputsKey(_ spec: ExerciseSpec, includes: [String]) -> String? {
        guard case .success(var tools) = identity(spec.language) else { return nil }
        if let guest = spec.guest?.spec {
            guard case .success(let guestTools) = identity(guest.language) else { return nil }
            tools += "\nguest tools: " + guestTools
        }
        return ExerciseKey.inputs(spec, tools: tools, includes: includes)
    }

    /// Both keys of a built guest; empty when the tools cannot be asked. A vmm's program is a host
    /// executable, not an image, so its record key follows its inputs.
    func keys(_ spec: ExerciseSpec, built: BuiltGuest) -> (record: String, inputs: String) {
        guard let inputs = inputsKey(spec, includes: built.includes) else { return ("", "") }
        return (ExerciseKey.record(spec, image: built.image, inputs: inputs, followsInputs: built.program != nil), inputs)
    }
}

extension ExerciseEngine {
    /// Checks two runs of one guest: both ran, they agree, and the end is the expected one.
    func verify(_ spec: ExerciseSpec, built: BuiltGuest, runs: [Result<ExerciseRun, RunFailure>], tools: ToolIdentities) -> Verified {
        var verified = Verified(
            result: RecordedResult(end: .halt, exits: [], output: [], trace: nil, traceTruncated: false, steps: nil),
            hostDetail: nil, key: "", inputsKey: "", includes: built.includes, warnings: built.warnings)
        var results: [ExerciseRun] = []
        for run in runs {
            switch run {
            case .success(let result): results.append(result)
            case .failure(let error):
                verified.problem = ExerciseProblem(
                    file: spec.input.file, line: spec.input.line, message: "exercise '\(spec.id)' cannot run: \(error)")
                return verified
            }
        }
        let recorded = record(results, spec: spec, built: built)
        if case .host(let outcome)? = results.first { verified.warnings += outcome.warnings.map { "exercise '\(spec.id)': \($0)" } }
        verified.result = recorded[0].result
        verified.hostDetail = recorded[0].hostDetail
        if case .guest(let first)? = results.first { verified.kvmStats = ResultRecorder.statistics(first) }
        if recorded.count == 2, recorded[0].result != recorded[1].result {
            let diff = UnifiedDiff.diff(
                recorded[0].result.canonicalLines, recorded[1].result.canonicalLines, oldLabel: "run 1", newLabel: "run 2")
            verified.problem = ExerciseProblem(
                file: spec.input.file, line: spec.input.line,
                message:
                    "exercise '\(spec.id)' is non-deterministic: two runs of the same guest gave different results (rdtsc, timing or uninitialised memory?):\n\(diff)"
            )
            return verified
        }
        guard spec.expect.accepts(verified.result.end) else {
            verified.problem = Self.expectationProblem(spec, verified.result, hostDetail: verified.hostDetail, recorded: false)
            return verified
        }
        (verified.key, verified.inputsKey) = tools.keys(spec, built: built)
        return verified
    }

    /// The runs as the record keeps them: a guest's resolved to its source through its symbols; a
    /// host program's end and output as they are (it has no exits, trace or steps of its own).
    func record(_ runs: [ExerciseRun], spec: ExerciseSpec, built: BuiltGuest) -> [(result: RecordedResult, hostDetail: String?)] {
        let guests = runs.compactMap { run -> RunResult? in
            if case .guest(let result) = run { result } else { nil }
        }
        let map: AddressMap
        switch built.symbols {
        case .listing(let listing): map = listing
        case .none: map = .empty
        case .elf(let info):
            let requests = guests.flatMap { ResultRecorder.requests($0, base: built.imageBase) }
            map = requests.isEmpty ? .empty : ElfSymbols.addressMap(info, toolchain: settings.toolchain, requests: requests)
        }
        return runs.map { run in
            switch run {
            case .guest(let result): ResultRecorder.record(result, spec: spec, map: map, base: built.imageBase)
            case .host(let outcome):
                (RecordedResult(end: outcome.end, exits: [], output: outcome.output, trace: nil, traceTruncated: false, steps: nil), nil)
            }
        }
    }

    /// "ended with X, but the lesson expects Y", with the output so far.
    static func expectationProblem(_ spec: ExerciseSpec, _ result: RecordedResult, hostDetail: String?, recorded: Bool) -> ExerciseProblem {
        let lines = OutputLines.escapedLines(result.output)
        let shown = lines.suffix(20)
        var message = "exercise '\(spec.id)' \(recorded ? "is recorded as ending" : "ended") with '\(result.end)'"
        if result.end == .crash, let hostDetail { message += " (\(hostDetail))" }
        message += ", but the lesson expects '\(spec.expect)'"
        if result.end == .crash || spec.expect == .haltOrExitZero { message += " (set expect= to what the guest should do)" }
        message +=
            shown.isEmpty
            ? "; it printed nothing"
            : "; output so far\(lines.count > shown.count ? " (last \(shown.count) lines)" : ""):\n"
                + shown.map { "  | " + $0 }.joined(separator: "\n")
        return ExerciseProblem(file: spec.input.file, line: spec.input.line, message: message)
    }

    /// The result differs from the record: a unified diff, with the hosts named.
    static func mismatch(
        _ spec: ExerciseSpec, old: RecordEntry, new: RecordEntry, recordName: String, promoteCommand: String
    ) -> ExerciseProblem {
        ExerciseProblem(
            file: spec.input.file, line: spec.input.line,
            message:
                "exercise '\(spec.id)': the result differs from the record in \(recordName) (if the new result is right, accept it with `\(promoteCommand) \(spec.id)`):\n"
                + diffText(old: old, new: new))
    }

    static func diffText(old: RecordEntry, new: RecordEntry) -> String {
        var text = UnifiedDiff.diff(
            old.result.canonicalLines, new.result.canonicalLines,
            oldLabel: "record (recorded \(old.recordedAt) on \(old.hostDescription), machine \(old.machine))",
            newLabel: "this run (on \(new.hostDescription), machine \(new.machine))")
        if old.host != new.host {
            text +=
                "\nnote: the record was made on \(old.hostDescription) and this run is on \(new.hostDescription); some guests legitimately behave differently there (docs/guest-machine.md, \"Host differences\")"
        }
        if old.machine != new.machine {
            text += "\nnote: the guest machine changed from version \(old.machine) to \(new.machine)"
        }
        return text
    }
}
