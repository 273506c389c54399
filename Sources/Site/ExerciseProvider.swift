import Common
import Foundation

// The seam between the site generator and runnable exercises.
//
// Site finds exercise blocks (fenced code whose info string is `LANG exercise key=value ...`) while it
// loads the course, hands all of them to an `ExerciseProvider` in one call (so the provider can build
// and run them concurrently), and renders the `ExerciseView`s it gets back. Site never imports the
// hypervisor: the CLI wires a real provider in, and Site's own tests use hand-built views.

/// Everything a page shows about one exercise. Plain text only: Site escapes every string it renders.
public struct ExerciseView: Sendable, Hashable {
    public var id: String
    /// Language for highlighting the displayed source (`asm`, `c`).
    public var language: String
    /// The source as shown on the page: hidden lines removed.
    public var displaySource: String
    /// File name when the source came from `src=`, else nil.
    public var sourceName: String?
    /// The whole program, hidden lines included, for the page to offer to copy and to download; nil
    /// when the provider has none.
    public var program: WholeProgram?
    /// Guest output as text (invalid UTF-8 already replaced), possibly truncated for display.
    public var output: String
    /// Total output bytes the guest produced, and whether `output` shows only part of them.
    public var outputBytes: Int
    public var outputTruncated: Bool
    /// How the run ended, e.g. `halt`, `exit 3`, `crash`, `timeout`, `output-limit`, `exit-limit`.
    public var end: String
    /// Extra detail for the end (a crash's raw KVM exit, say), or nil.
    public var endDetail: String?
    /// What the lesson expected, in the same words as `end` (e.g. `halt`, `exit 0`).
    public var expected: String
    /// VM-exit counts by kind, in a stable display order; kinds with zero count omitted.
    public var exitCounts: [ExitCount]
    /// The VM-exit timeline when the block asked for `trace`, else nil.
    public var trace: [TraceRow]?
    /// True when the hypervisor's trace cap cut the timeline short.
    public var traceTruncated: Bool
    /// The step-through table when the block asked for `steps=N`, else nil.
    public var steps: [StepRow]?
    public var provenance: Provenance
    /// Timings of extra runs (`measure=N`) on the machine that built the page, or nil.
    public var measurement: MeasuredTimes? = nil
    /// The machine when it is not the lesson machine, as the provenance line names it (`pc, 2
    /// vCPUs`); nil on the lesson machine.
    public var machine: String? = nil
    /// The dirty log's checkpoints (`dirty-log`), in order; nil without it.
    public var checkpoints: [CheckpointRow]? = nil
    /// KVM's own counters per vCPU, when the run read them. They vary between hosts and runs:
    /// shown, never verified.
    public var kvmStats: KVMStatsTable? = nil
    /// Set for a student's run in `serve`'s playground: the card says so instead of naming a record.
    public var playgroundRun = false

    public init(
        id: String, language: String, displaySource: String, sourceName: String? = nil,
        program: WholeProgram? = nil,
        output: String, outputBytes: Int, outputTruncated: Bool,
        end: String, endDetail: String? = nil, expected: String,
        exitCounts: [ExitCount], trace: [TraceRow]? = nil, traceTruncated: Bool = false,
        steps: [StepRow]? = nil, provenance: Provenance
    ) {
        self.id = id
        self.language = language
        self.displaySource = displaySource
        self.sourceName = sourceName
        self.program = program
        self.output = output
        self.outputBytes = outputBytes
        self.outputTruncated = outputTruncated
        self.end = end
        self.endDetail = endDetail
        self.expected = expected
        self.exitCounts = exitCounts
        self.trace = trace
        self.traceTruncated = traceTruncated
        self.steps = steps
        self.provenance = provenance
    }
}

/// What `measure=N` measured: shown as measured, never as a verified result.
public struct MeasuredTimes: Sendable, Hashable {
    public var runs: Int
    public var medianSeconds: Double
    public var minSeconds: Double
    public var maxSeconds: Double
    /// Median time per VM exit, or nil (a vmm's runs have no exits of their own).
    public var perExitSeconds: Double?
    /// The kind of host, as provenance words it (`PVM (kvm_pvm)`).
    public var host: String
    public var measuredAt: String

    public init(
        runs: Int, medianSeconds: Double, minSeconds: Double, maxSeconds: Double, perExitSeconds: Double?, host: String, measuredAt: String
    ) {
        self.runs = runs
        self.medianSeconds = medianSeconds
        self.minSeconds = minSeconds
        self.maxSeconds = maxSeconds
        self.perExitSeconds = perExitSeconds
        self.host = host
        self.measuredAt = measuredAt
    }

    /// `1.23 ms`, `45.6 µs`, `2.01 s`: three significant digits in the unit that fits.
    public static func text(_ seconds: Double) -> String {
        let (value, unit): (Double, String) =
            seconds >= 1
            ? (seconds, "s") : seconds >= 1e-3 ? (seconds * 1e3, "ms") : seconds >= 1e-6 ? (seconds * 1e6, "µs") : (seconds * 1e9, "ns")
        let digits = value >= 100 ? 0 : value >= 10 ? 1 : 2
        return String(format: "%.\(digits)f", value) + "\u{00A0}" + unit
    }
}

public struct ExitCount: Sendable, Hashable {
    /// Kind of exit, e.g. `io-out`, `io-in`, `mmio-read`, `mmio-write`, `hlt`.
    public var kind: String
    public var count: Int
    public init(kind: String, count: Int) {
        self.kind = kind
        self.count = count
    }
}

/// One VM exit in order.
public struct TraceRow: Sendable, Hashable {
    public var index: Int
    /// 1-based line in the displayed source that caused the exit, when known.
    public var sourceLine: Int?
    /// That line's text, when known.
    public var sourceText: String?
    /// `io-out`, `io-in`, `mmio-read`, `mmio-write`, `hlt`, ...
    public var kind: String
    /// Port or guest-physical address, formatted (e.g. `0x3f8`).
    public var target: String?
    public var size: Int?
    /// The value written or read, formatted (e.g. `0x48 'H'`).
    public var value: String?
    /// Guest instruction pointer, formatted.
    public var rip: String
    /// True when `rip` is the address just after the instruction that caused the exit (an MMIO
    /// write, which KVM completes before it exits); the page marks such rows.
    public var ripAfterInstruction: Bool

    public init(
        index: Int, sourceLine: Int?, sourceText: String?, kind: String, target: String?, size: Int?, value: String?, rip: String,
        ripAfterInstruction: Bool = false
    ) {
        self.index = index
        self.sourceLine = sourceLine
        self.sourceText = sourceText
        self.kind = kind
        self.target = target
        self.size = size
        self.value = value
        self.rip = rip
        self.ripAfterInstruction = ripAfterInstruction
    }
}

/// One single-stepped instruction.
public struct StepRow: Sendable, Hashable {
    public var index: Int
    /// 1-based line in the displayed source, when known.
    public var sourceLine: Int?
    /// The instruction as written in the source (or disassembled), e.g. `mov al, 'H'`.
    public var instruction: String
    public var rip: String
    /// Registers this instruction changed, in a stable order.
    public var changes: [RegisterChange]
    /// The VM exits this instruction caused, if any, in one phrase like a trace row's kind/target/value.
    public var exitSummary: String?

    public init(index: Int, sourceLine: Int?, instruction: String, rip: String, changes: [RegisterChange], exitSummary: String?) {
        self.index = index
        self.sourceLine = sourceLine
        self.instruction = instruction
        self.rip = rip
        self.changes = changes
        self.exitSummary = exitSummary
    }
}

public struct RegisterChange: Sendable, Hashable {
    public var register: String
    public var before: String
    public var after: String
    public init(register: String, before: String, after: String) {
        self.register = register
        self.before = before
        self.after = after
    }
}

/// One dirty-log checkpoint: the pages the guest wrote since the previous one.
public struct CheckpointRow: Sendable, Hashable {
    /// The number the guest wrote to port 0x508.
    public var number: UInt32
    public var cpu: Int
    public var pages: Int
    /// Written ranges, formatted (`0x200000-0x202000`).
    public var ranges: [String]

    public init(number: UInt32, cpu: Int, pages: Int, ranges: [String]) {
        self.number = number
        self.cpu = cpu
        self.pages = pages
        self.ranges = ranges
    }
}

/// KVM's counters: one column per vCPU, one row per counter.
public struct KVMStatsTable: Sendable, Hashable {
    public var cpus: [Int]
    public var rows: [Row]

    public struct Row: Sendable, Hashable {
        public var name: String
        public var values: [UInt64]
        public init(name: String, values: [UInt64]) {
            self.name = name
            self.values = values
        }
    }

    public init(cpus: [Int], rows: [Row]) {
        self.cpus = cpus
        self.rows = rows
    }
}

/// Where a result came from.
public struct Provenance: Sendable, Hashable {
    /// When the result was recorded (ISO 8601 date-time, UTC).
    public var recordedAt: String
    /// The kind of host that produced it, e.g. `PVM (kvm_pvm)` or `hardware (VT-x)`.
    public var host: String
    /// Hypervisor / guest-machine version that produced it, as recorded (`2`, `pc-1`).
    public var hypervisorVersion: String
    /// False when this build could not run the guest and shows the verified record instead.
    public var rerunThisBuild: Bool
    /// True when the guest did not need to run: this machine already verified the same key and
    /// result (counted apart in the build summary).
    public var reusedFromCache: Bool
    /// True when the build shows a record whose key no longer matches the source (it could not run
    /// the guest to update it): the page and the summary warn.
    public var sourceChangedSinceRecorded: Bool

    public init(
        recordedAt: String, host: String, hypervisorVersion: String, rerunThisBuild: Bool,
        reusedFromCache: Bool = false, sourceChangedSinceRecorded: Bool = false
    ) {
        self.recordedAt = recordedAt
        self.host = host
        self.hypervisorVersion = hypervisorVersion
        self.rerunThisBuild = rerunThisBuild
        self.reusedFromCache = reusedFromCache
        self.sourceChangedSinceRecorded = sourceChangedSinceRecorded
    }
}

/// What a provider gives back for one build.
public struct ExerciseResults: Sendable {
    /// One per block, in the blocks' order.
    public var views: [ExerciseView]
    /// Files the provider wants in the content folder (the records of new or changed results).
    /// The build writes them only when it succeeds, together with the site, so a failed build
    /// leaves the content folder as it was.
    public var contentFiles: [PendingFile]

    public init(views: [ExerciseView], contentFiles: [PendingFile] = []) {
        self.views = views
        self.contentFiles = contentFiles
    }
}

/// Builds and runs every exercise of a course. Site calls it once per build, with all blocks in
/// course order, and expects one view per block in the same order. Problems come back as a
/// `BuildFailure` of `SiteError`s, each at the lesson line it is about. It writes nothing into the
/// content folder itself: see `ExerciseResults.contentFiles`.
public protocol ExerciseProvider: Sendable {
    func results(for blocks: [ExerciseBlock]) async throws -> ExerciseResults
}

/// An exercise's whole source as built, hidden lines included: the page offers it to copy, and writes
/// it next to the lesson's page with the files it includes, so a student can run it with
/// `hypercourse run`.
public struct WholeProgram: Sendable, Hashable {
    public var text: String
    /// The file's extension (`asm`, `c`) and what starts a line comment in it (`;`, `//`).
    public var fileExtension: String
    public var commentPrefix: String
    /// `hypercourse run`'s options for this exercise's machine (`["--mode", "long", "--timeout", "0.3"]`).
    public var runOptions: [String]
    /// The files it includes: where each is in the content folder, and the path relative to the
    /// program's own file at which `hypercourse run` finds it.
    public var includes: [Included]

    public struct Included: Sendable, Hashable {
        public var contentPath: String
        public var besideProgram: String
        public init(contentPath: String, besideProgram: String) {
            self.contentPath = contentPath
            self.besideProgram = besideProgram
        }
    }

    public init(text: String, fileExtension: String, commentPrefix: String, runOptions: [String], includes: [Included] = []) {
        self.text = text
        self.fileExtension = fileExtension
        self.commentPrefix = commentPrefix
        self.runOptions = runOptions
        self.includes = includes
    }
}
