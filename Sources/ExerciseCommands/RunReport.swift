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
        // A crash's raw KVM detail is not a key here: the issue fixes `end` as exactly
        // {reason, status}. It is on the stderr summary line, which `--json` still prints.

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
    }

    public struct StepItem: Encodable, Sendable, Hashable {
        public var index: Int
        public var rip: String
        public var csBase: String
        /// Registers this instruction changed: name → [before, after].
        public var changed: [String: [String]]
        public var exits: [TraceItem]
        public var completed: Bool
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
    public var steps: [StepItem]?
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

    /// Describes `last`, with timing over every run in `elapsed` (one per run, in microseconds).
    public init(last: RunResult, elapsedMicros: [Double]) {
        output = GuestText.decode(last.output)
        end = End(reason: last.end.name, status: last.end.status)
        exitCounts = Dictionary(uniqueKeysWithValues: last.exitCounts.nonZero.map { ($0.kind.rawValue, $0.count) })
        registers = Dictionary(uniqueKeysWithValues: last.registers.named.map { ($0.name, Self.hex64($0.value)) })
        trace = last.trace.map { $0.entries.map(Self.item) }
        steps = last.steps.map { recording in
            var before = recording.initialRegisters
            return recording.steps.map { step in
                defer { before = step.registers }
                let changed = step.registers.changes(since: before).map { ($0.name, [Self.hex64($0.before), Self.hex64($0.after)]) }
                return StepItem(index: step.index, rip: hex(step.rip), csBase: hex(step.csBase),
                                changed: Dictionary(uniqueKeysWithValues: changed), exits: step.exits.map(Self.item),
                                completed: step.completed)
            }
        }
        timing = Timing(runs: elapsedMicros.count, medianMicros: Self.percentile(elapsedMicros, 0.5),
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

    static func item(_ entry: TraceEntry) -> TraceItem {
        TraceItem(index: entry.index, exit: entry.exitNumber, kind: entry.kind.rawValue, port: entry.port.map { hex($0) },
                  address: entry.address.map { hex($0) }, size: entry.size, value: entry.value.map { hex($0) },
                  rip: hex(entry.rip), ripFollowsInstruction: entry.ripFollowsInstruction, csBase: hex(entry.csBase),
                  cpu: entry.cpu)
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
