import Hypervisor

/// The machine's part of `run --json`: every vCPU, the dirty log's checkpoints, and what the host
/// changed (CPUID bits it removed, instructions the hypervisor completed for it).
extension RunReport {
    public struct VCPUItem: Encodable, Sendable, Hashable {
        public var index: Int
        /// False for an application processor that never received INIT and SIPI.
        public var started: Bool
        public var registers: [String: String]
        public var exitCounts: [String: Int]
        /// KVM's own counters for the vCPU, where KVM_GET_STATS_FD works: they differ between hosts
        /// and runs.
        public var kvmStats: [String: UInt64]?
    }

    public struct CheckpointItem: Encodable, Sendable, Hashable {
        /// The number the guest wrote to port 0x508.
        public var number: UInt32
        public var cpu: Int
        /// The exit (its index in the run) that wrote it.
        public var exit: Int
        /// 4 KiB pages written since the previous checkpoint.
        public var pages: Int
        /// The written memory as `{"start", "end"}` ranges (end exclusive), in address order.
        public var ranges: [RangeItem]
    }

    public struct RangeItem: Encodable, Sendable, Hashable {
        public var start: String
        public var end: String
    }

    public struct RemovedBitsItem: Encodable, Sendable, Hashable {
        public var leaf: String
        public var index: UInt32
        public var register: String
        public var bits: String
    }

    static func vcpuItem(_ vcpu: VCPUResult) -> VCPUItem {
        VCPUItem(
            index: vcpu.index, started: vcpu.started,
            registers: Dictionary(uniqueKeysWithValues: vcpu.registers.named.map { ($0.name, hex64($0.value)) }),
            exitCounts: Dictionary(uniqueKeysWithValues: vcpu.exitCounts.nonZero.map { ($0.kind.rawValue, $0.count) }),
            kvmStats: vcpu.kvmStats)
    }

    static func checkpointItem(_ checkpoint: Checkpoint) -> CheckpointItem {
        CheckpointItem(
            number: checkpoint.number, cpu: checkpoint.cpu, exit: checkpoint.exitNumber, pages: checkpoint.pages,
            ranges: checkpoint.ranges.map { RangeItem(start: hex($0.start), end: hex($0.end)) })
    }

    static func removedItem(_ removed: RemovedCPUIDBits) -> RemovedBitsItem {
        RemovedBitsItem(leaf: hex(removed.function), index: removed.index, register: removed.register, bits: hex(removed.bits))
    }
}

extension RunReport {
    private enum CodingKeys: String, CodingKey {
        case output, end, exitCounts, registers, trace, steps, timing
        case machine, cpus, endedBy, vcpus, checkpoints, removedCPUIDBits, assists
    }

    /// Absent optional keys stay absent, except `endedBy`, which is always there (null when no single
    /// vCPU ended the run), so a reader never has to guess whether it was left out.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(output, forKey: .output)
        try container.encode(end, forKey: .end)
        try container.encode(exitCounts, forKey: .exitCounts)
        try container.encode(registers, forKey: .registers)
        try container.encodeIfPresent(trace, forKey: .trace)
        try container.encodeIfPresent(steps, forKey: .steps)
        try container.encode(timing, forKey: .timing)
        try container.encode(machine, forKey: .machine)
        try container.encode(cpus, forKey: .cpus)
        try container.encode(endedBy, forKey: .endedBy)
        try container.encode(vcpus, forKey: .vcpus)
        try container.encodeIfPresent(checkpoints, forKey: .checkpoints)
        try container.encodeIfPresent(removedCPUIDBits, forKey: .removedCPUIDBits)
        try container.encodeIfPresent(assists, forKey: .assists)
    }
}
