import Exercises
import Hypervisor

/// The JSON object `hypercourse run --json` prints: the keys `output`, `end`, `exitCounts`,
/// `registers`, `timing`, `machine`, `cpus`, `endedBy`, `vcpus`, plus `trace` with `--trace`, `steps`
/// with `--steps`, `checkpoints` with `--dirty-log`, and `removedCPUIDBits` and `assists` on the pc
/// machine. Numbers that can exceed 2^53 (registers, addresses, values) are hex strings, so every
/// JSON reader gets them exactly.
public struct RunReport: Encodable, Sendable {
    public struct End: Encodable, Sendable, Hashable {
        /// `halt`, `exit`, `crash`, `timeout`, `output-limit`, `exit-limit`.
        public var reason: String
        /// The exit status for `exit`, else null.
        public var status: Int?
        // A crash's raw KVM detail is not a key here: `end` is exactly {reason, status}, a stable
        // contract for scripts. The detail is on the stderr summary line, which `--json` still prints.

        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(reason, forKey: .reason)
            try container.encode(status, forKey: .status) // null, not absent, when there is none
        }

        private enum CodingKeys: String, CodingKey { case reason, status }
    }

    public struct TraceItem: Encodable, Sendable, Hashable {
        public var index: Int
        /// `TraceEntry.exitNumber`, under the documented key `exit`.
        public var exit: Int
        public var kind: String
        public var port: String?
        public var address: String?
        public var size: Int
        public var value: String?
        public var rip: String
        /// True when `rip` is the address after the instruction (see `TraceEntry.ripFollowsInstruction`).
        public var ripFollowsInstruction: Bool
        public var csBase: String
        /// The vCPU that took the exit.
        public var cpu: Int
        /// The line of the file the instruction is on, when it is in the file `run` built.
        public var line: Int?
        /// Where it is otherwise: `serial.inc:4` (an included file), `putchar (runtime)`.
        public var at: String?
        /// The text of that line (for C, the C line), when a file has it.
        public var text: String?
    }

    public struct Timing: Encodable, Sendable, Hashable {
        public var runs: Int
        public var medianMicros: Double
        public var p90Micros: Double
    }

    /// Guest output decoded with `GuestText.decode` (invalid UTF-8 → U+FFFD per maximal subpart).
    public var output: String
    public var end: End
    public var exitCounts: [String: Int]
    public var registers: [String: String]
    public var trace: [TraceItem]?
    /// The step rows exactly as an exercise's record keeps them (`RecordedStep`: index, rip, line or
    /// at, instruction, changes as `[register, before, after]`, exits, completed), every exit kept.
    public var steps: [RecordedStep]?
    public var timing: Timing
    /// `lesson` or `pc`.
    public var machine: String
    public var cpus: Int
    /// The vCPU whose exit ended the run; null when none did alone (every vCPU halted, the timeout).
    public var endedBy: Int?
    public var vcpus: [VCPUItem]
    public var checkpoints: [CheckpointItem]?
    public var removedCPUIDBits: [RemovedBitsItem]?
    public var assists: [String: Int]?

    /// Describes `last`, with timing over every run in `elapsed` (one per run, in microseconds);
    /// `map` locates its addresses in the file it was built from (empty for an image).
    public init(last: RunResult, elapsedMicros: [Double], mode: GuestMode = .real, map: AddressMap = .empty) {
        output = GuestText.decode(last.output)
        end = End(reason: last.end.name, status: last.end.status)
        exitCounts = Dictionary(uniqueKeysWithValues: last.exitCounts.nonZero.map { ($0.kind.rawValue, $0.count) })
        registers = Dictionary(uniqueKeysWithValues: last.registers.named.map { ($0.name, Self.hex64($0.value)) })
        // `run` shows the whole file, hidden parts included: every line is the reader's.
        let place = ResultRecorder.placer(map: map, mode: mode, shownLine: { $0 })
        trace = last.trace.map { $0.entries.map { Self.item($0, place: place($0.csBase, $0.rip, $0.ripFollowsInstruction)) } }
        steps = last.steps.map { ResultRecorder.recordedSteps($0, mode: mode, keep: { _ in true }, place: place) }
        timing = Timing(
            runs: elapsedMicros.count, medianMicros: Self.percentile(elapsedMicros, 0.5),
            p90Micros: Self.percentile(elapsedMicros, 0.9))
        machine = last.machine.rawValue
        cpus = last.vcpus.count
        endedBy = last.endedBy
        vcpus = last.vcpus.map(Self.vcpuItem)
        checkpoints = last.checkpoints.map { $0.map(Self.checkpointItem) }
        if last.machine == .pc {
            removedCPUIDBits = last.removedCPUIDBits.map(Self.removedItem)
            assists = last.assists
        }
    }

    static func item(_ entry: TraceEntry, place: ResultRecorder.Place) -> TraceItem {
        TraceItem(
            index: entry.index, exit: entry.exitNumber, kind: entry.kind.rawValue, port: entry.port.map { hex($0) },
            address: entry.address.map { hex($0) }, size: entry.size, value: entry.value.map { hex($0) },
            rip: hex(entry.rip), ripFollowsInstruction: entry.ripFollowsInstruction, csBase: hex(entry.csBase),
            cpu: entry.cpu, line: place.line, at: place.line == nil ? place.at : nil, text: place.text)
    }

    /// Registers print at full width, so columns of them line up.
    static func hex64(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// Nearest-rank percentile (p = 0.5 gives the lower median), rounded to 0.1 µs; 0 for no samples.
    public static func percentile(_ samples: [Double], _ p: Double) -> Double {
        guard !samples.isEmpty else { return 0 }
        let sorted = samples.sorted()
        let rank = max(Int((p * Double(sorted.count)).rounded(.up)) - 1, 0)
        return (sorted[min(rank, sorted.count - 1)] * 10).rounded() / 10
    }
}
