/// How a run ended: exactly one of these. A crash is a value here, never a thrown error.
public enum EndReason: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The guest executed `hlt`.
    case halt
    /// The guest wrote a value to the exit port; `status` is its low byte. Shown as `exit N`; named
    /// apart from VM exits, which are something else.
    case exited(status: UInt8)
    /// The guest can no longer run: triple fault/shutdown, emulation failure, failed entry, ...
    case crash(CrashDetail)
    /// The wall-clock limit passed.
    case timeout
    /// The guest tried to produce more than the output limit.
    case outputLimit
    /// The run took as many VM exits as the exit limit allows.
    case exitLimit

    /// Which of the ends this is, without its data.
    public var kind: EndKind {
        switch self {
        case .halt: .halt
        case .exited: .exited
        case .crash: .crash
        case .timeout: .timeout
        case .outputLimit: .outputLimit
        case .exitLimit: .exitLimit
        }
    }

    /// The stable name shown on pages and in JSON: `halt`, `exit`, `crash`, `timeout`, `output-limit`,
    /// `exit-limit`.
    public var name: String { kind.rawValue }

    /// The exit status for `exit`, else nil.
    public var status: Int? {
        if case .exited(let status) = self { Int(status) } else { nil }
    }

    /// The crash detail for `crash`, else nil.
    public var crash: CrashDetail? {
        if case .crash(let detail) = self { detail } else { nil }
    }

    /// `halt`, `exit 3`, `crash`, ...: the words an exercise's `expect=` uses.
    public var description: String {
        if let status { "\(name) \(status)" } else { name }
    }
}

/// The ends of a run by name: the one spelling of each, used by `run --json`, the records, the
/// pages and an exercise's `expect=`.
public enum EndKind: String, Sendable, Hashable, CaseIterable {
    case halt
    /// The guest wrote its status to the exit port (the word is `exit`, as in `exit 3`).
    case exited = "exit"
    case crash, timeout
    case outputLimit = "output-limit"
    case exitLimit = "exit-limit"
    /// A host process killed by a signal. No guest ends this way; a program that runs guests on its
    /// own (an exercise's monitor) can, and shares these words.
    case signal
}

/// What KVM reported when a run crashed. Raw values are stable: the summary line, `run --json` and
/// the records' host detail show them.
public enum CrashKind: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case shutdown
    case internalError = "internal-error"
    case failEntry = "fail-entry"
    case exception
    case systemEvent = "system-event"
    /// An exit reason this hypervisor does not handle, or an exit it cannot make sense of.
    case other
    /// KVM_RUN itself returned an error.
    case runFailed = "run-failed"

    /// The VM exit counted for the exit that ended the run this way. Which crash a host reports for
    /// the same guest differs (PVM: `internal-error` for `int3` in long mode; hardware: `shutdown`),
    /// so records leave that one exit out.
    public var endingExit: ExitKind {
        switch self {
        case .shutdown: .shutdown
        case .internalError: .internalError
        case .failEntry: .failEntry
        case .exception: .exception
        case .systemEvent: .systemEvent
        case .other, .runFailed: .other
        }
    }

    public var description: String { rawValue }
}

/// The raw KVM detail of a crash, kept beside the `crash` reason.
public struct CrashDetail: Sendable, Hashable, Codable, CustomStringConvertible {
    public var kind: CrashKind
    /// The number that goes with it: internal-error suberror, hardware entry failure reason, exception
    /// vector, exit reason, or errno.
    public var code: UInt64
    /// A sentence for people, e.g. `KVM_EXIT_SHUTDOWN: triple fault or unrecoverable exception`.
    public var message: String

    /// Where the guest was when it crashed, read right after the exit: RIP and the CS base (so
    /// `csBase + rip` is the linear address); nil if the registers could not be read.
    public var rip: UInt64?
    public var csBase: UInt64?
    /// Up to 15 bytes (the longest x86 instruction) from the crash's linear address: the instruction
    /// the CPU or KVM's emulator could not run. Nil when they cannot be read without walking page
    /// tables the hypervisor did not build, or lie outside RAM.
    public var instructionBytes: [UInt8]?

    public init(kind: CrashKind, code: UInt64, message: String, rip: UInt64? = nil, csBase: UInt64? = nil, instructionBytes: [UInt8]? = nil)
    {
        self.kind = kind
        self.code = code
        self.message = message
        self.rip = rip
        self.csBase = csBase
        self.instructionBytes = instructionBytes
    }

    /// `KVM_EXIT_INTERNAL_ERROR: emulation failure (suberror 1) at rip 0x100024, bytes 66 0f ef c0 …`.
    public var description: String { description(place: nil) }

    /// The description with where RIP is in the guest's source after the RIP, when the caller
    /// knows it: `… at rip 0x100024, line 5 (pxor xmm0, xmm0), bytes …`.
    public func description(place: String?) -> String {
        var text = message
        if let rip { text += " at rip " + hex(rip) + (csBase.map { $0 != 0 ? " (cs base \(hex($0)))" : "" } ?? "") }
        if let place, rip != nil { text += ", " + place }
        if let bytes = instructionBytes, !bytes.isEmpty { text += (rip == nil ? " " : ", ") + "bytes " + Self.hexBytes(bytes) }
        return text
    }

    /// `66 0f ef c0`.
    public static func hexBytes(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ")
    }
}

/// One VM exit, in order. For a string instruction that KVM hands over as one exit (`rep outsb`), each
/// element gets its own entry; they share `exit`.
public struct TraceEntry: Sendable, Hashable, Codable {
    /// Position in the trace, from 0.
    public var index: Int
    /// Which VM exit of the run (from 0) this entry belongs to (a `rep outsb` makes several entries
    /// of one exit).
    public var exitNumber: Int
    public var kind: ExitKind
    /// The port, for `io-in` / `io-out`.
    public var port: UInt16?
    /// The guest-physical address, for `mmio-read` / `mmio-write`.
    public var address: UInt64?
    /// Access size in bytes (0 for exits that are not accesses).
    public var size: Int
    /// The value written, or the value the guest read back; nil for exits that are not accesses.
    public var value: UInt64?
    /// The address of the instruction that caused the exit, the same on every kind of host (see
    /// `ExitLocation`), unless `ripFollowsInstruction`.
    public var rip: UInt64
    /// True when `rip` is the address just after the instruction (an `mmio-write`, which KVM completes
    /// before exiting; or an instruction that could not be located). Map it with a listing as "the
    /// instruction that ends at rip".
    public var ripFollowsInstruction: Bool
    /// CS base at the exit, so `csBase + rip` is the linear address (real mode: CS × 16).
    public var csBase: UInt64
    /// The vCPU that took the exit (0 on a one-vCPU machine).
    public var cpu: Int

    public init(
        index: Int, exitNumber: Int, kind: ExitKind, port: UInt16? = nil, address: UInt64? = nil,
        size: Int, value: UInt64?, rip: UInt64, ripFollowsInstruction: Bool = false, csBase: UInt64, cpu: Int = 0
    ) {
        self.index = index
        self.exitNumber = exitNumber
        self.kind = kind
        self.port = port
        self.address = address
        self.size = size
        self.value = value
        self.rip = rip
        self.ripFollowsInstruction = ripFollowsInstruction
        self.csBase = csBase
        self.cpu = cpu
    }
}

/// The exits of a run in order, up to a cap.
public struct Trace: Sendable, Hashable, Codable {
    public var entries: [TraceEntry] = []
    /// The cap that applied (`MachineConfig.traceLimit`).
    public var limit: Int
    /// True when entries were dropped because of the cap.
    public var truncated = false

    public init(limit: Int) { self.limit = limit }

    var isFull: Bool { entries.count >= limit }

    mutating func append(_ make: (Int) -> TraceEntry) {
        guard entries.count < limit else {
            truncated = true
            return
        }
        entries.append(make(entries.count))
    }
}

/// One single-stepped instruction.
public struct Step: Sendable, Hashable, Codable {
    /// Position among the steps, from 0.
    public var index: Int
    /// RIP of the instruction (before it ran).
    public var rip: UInt64
    /// CS base when it ran, so `csBase + rip` is its linear address.
    public var csBase: UInt64
    /// Registers after the instruction. For the instruction that ended the run (`hlt`, an exit-port
    /// write, a fault), the registers at the end.
    public var registers: Registers
    /// The VM exits the instruction caused, in order (the stepping's own debug exits are not exits of
    /// the guest and appear nowhere). At most `MachineConfig.traceLimit` of them.
    public var exits: [TraceEntry]
    /// False for an instruction that did not complete: it crashed the guest, or the run timed out.
    public var completed: Bool

    public init(index: Int, rip: UInt64, csBase: UInt64, registers: Registers, exits: [TraceEntry], completed: Bool) {
        self.index = index
        self.rip = rip
        self.csBase = csBase
        self.registers = registers
        self.exits = exits
        self.completed = completed
    }
}

/// The single-stepped start of a run.
public struct StepRecording: Sendable, Hashable, Codable {
    /// Registers before the first instruction, so step 0 can be diffed too.
    public var initialRegisters: Registers
    public var steps: [Step]
    /// The number of steps asked for (`MachineConfig.steps`).
    public var requested: Int

    public init(initialRegisters: Registers, steps: [Step], requested: Int) {
        self.initialRegisters = initialRegisters
        self.steps = steps
        self.requested = requested
    }
}

/// Everything one run produced.
public struct RunResult: Sendable, Hashable, Codable {
    /// The guest's output bytes, exactly as written (COM1 transmit register and paravirtual console).
    public var output: [UInt8]
    public var end: EndReason
    public var exitCounts: ExitCounts
    /// Registers when the run ended.
    public var registers: Registers
    /// The exit timeline, when `MachineConfig.trace` was set.
    public var trace: Trace?
    /// The stepped instructions, when `MachineConfig.steps` > 0.
    public var steps: StepRecording?
    /// The kind of KVM host that produced this result.
    public var host: HostKind
    /// `GuestMachine.version` of the machine that produced it.
    public var machineVersion: String
    /// From KVM_CREATE_VM to the last unmap of the VM's memory.
    public var elapsed: Duration
    /// The machine it ran on.
    public var machine: MachineProfile = .lesson
    /// Every vCPU at the end, by index (vCPU 0, the bootstrap processor, first; its registers are
    /// also `registers`).
    public var vcpus: [VCPUResult] = []
    /// The vCPU whose exit ended the run; nil when no single vCPU did (every vCPU halted, or the
    /// timeout). Always 0 on a one-vCPU machine that a guest exit ended.
    public var endedBy: Int?
    /// The dirty log's checkpoints, in order, when `MachineConfig.dirtyLog` was set.
    public var checkpoints: [Checkpoint]?
    /// Feature bits of the CPU model this host's KVM does not support, removed before the guest ran.
    public var removedCPUIDBits: [RemovedCPUIDBits] = []
    /// Instructions the hypervisor completed because the host's emulator could not (`InterruptAssist`),
    /// by kind (`iret`, `int`). Only PVM hosts need these, so they are shown, never verified.
    public var assists: [String: Int] = [:]

    public init(
        output: [UInt8], end: EndReason, exitCounts: ExitCounts, registers: Registers, trace: Trace? = nil,
        steps: StepRecording? = nil, host: HostKind, machineVersion: String = GuestMachine.version,
        elapsed: Duration
    ) {
        self.output = output
        self.end = end
        self.exitCounts = exitCounts
        self.registers = registers
        self.trace = trace
        self.steps = steps
        self.host = host
        self.machineVersion = machineVersion
        self.elapsed = elapsed
    }
}

/// One vCPU at the end of a run.
public struct VCPUResult: Sendable, Hashable, Codable {
    /// Its index, which is also its local APIC ID (0: the bootstrap processor).
    public var index: Int
    public var registers: Registers
    /// The exits this vCPU took (the run's `exitCounts` sums every vCPU's).
    public var exitCounts: ExitCounts
    /// Whether it ever ran: false for an application processor that never received INIT and SIPI.
    public var started: Bool
    /// KVM's binary statistics for the vCPU (KVM_GET_STATS_FD), when asked for and available. They
    /// vary between hosts and runs: shown, never verified.
    public var kvmStats: [String: UInt64]?

    public init(index: Int, registers: Registers, exitCounts: ExitCounts, started: Bool, kvmStats: [String: UInt64]? = nil) {
        self.index = index
        self.registers = registers
        self.exitCounts = exitCounts
        self.started = started
        self.kvmStats = kvmStats
    }
}
