/// Everything that shapes one run. Defaults are the guest contract's defaults.
public struct MachineConfig: Sendable, Hashable, Codable {
    public var mode: GuestMode
    /// Guest RAM in MiB, one region at guest-physical 0.
    public var memoryMiB: Int
    /// Wall-clock limit, from the first KVM_RUN.
    public var timeout: Duration
    /// Output bytes the guest may produce; the run ends as `output-limit` with exactly this many kept.
    public var outputLimit: Int
    /// VM exits the run may take; the run ends as `exit-limit` when it has taken this many.
    public var exitLimit: Int
    /// Record every exit in order (see `Trace`).
    public var trace: Bool
    /// The most trace entries kept; later exits are still counted and the trace is marked truncated.
    public var traceLimit: Int
    /// Single-step the first `steps` instructions (0 = off), then let the guest run on normally.
    public var steps: Int
    /// Which machine (`lesson` or `pc`).
    public var machine: MachineProfile
    /// vCPUs (`pc` only: 1 to 8).
    public var cpus: Int
    /// The CPUID of a `pc` machine's vCPUs.
    public var cpu: CPUModel
    /// Track the pages the guest writes (KVM_MEM_LOG_DIRTY_PAGES); a write to port 0x508 records a checkpoint.
    public var dirtyLog: Bool
    /// Read each vCPU's KVM statistics at the end (`VCPUResult.kvmStats`).
    public var kvmStatistics: Bool

    /// Whether the run starts single-stepped.
    public var stepping: Bool { steps > 0 }
    /// Whether exits need their location (RIP, CS) read: for the trace and the step table.
    public var observesExits: Bool { trace || stepping }

    public static let memoryRangeMiB = 1...1024
    /// The limits every front end checks its numbers against (`hypercourse run`'s options and an
    /// exercise's `key=value`s alike), so one value is either accepted everywhere or nowhere.
    /// 1 ms is about the cost of creating a VM; 600 s is longer than any course guest needs.
    public static let timeoutRangeSeconds: ClosedRange<Double> = 0.001...600
    public static let outputLimitRange = 0...(16 << 20)
    public static let exitLimitRange = 1...100_000_000
    /// Each step is a table row on the page and a single-step exit (about 13 µs on PVM).
    public static let stepsRange = 0...1000
    public static let defaultMemoryMiB = 16
    /// RAM for a Multiboot kernel unless told otherwise: QEMU's default.
    public static let defaultKernelMemoryMiB = 128
    public static let defaultTimeout = Duration.seconds(10)
    public static let defaultOutputLimit = 64 * 1024
    public static let defaultExitLimit = 1_000_000
    public static let defaultTraceLimit = 10_000

    public init(
        mode: GuestMode = .real,
        memoryMiB: Int = MachineConfig.defaultMemoryMiB,
        timeout: Duration = MachineConfig.defaultTimeout,
        outputLimit: Int = MachineConfig.defaultOutputLimit,
        exitLimit: Int = MachineConfig.defaultExitLimit,
        trace: Bool = false,
        traceLimit: Int = MachineConfig.defaultTraceLimit,
        steps: Int = 0,
        machine: MachineProfile = .lesson,
        cpus: Int = 1,
        cpu: CPUModel = .hypercourse64,
        dirtyLog: Bool = false,
        kvmStatistics: Bool = false
    ) {
        self.mode = mode
        self.memoryMiB = memoryMiB
        self.timeout = timeout
        self.outputLimit = outputLimit
        self.exitLimit = exitLimit
        self.trace = trace
        self.traceLimit = traceLimit
        self.steps = steps
        self.machine = machine
        self.cpus = cpus
        self.cpu = cpu
        self.dirtyLog = dirtyLog
        self.kvmStatistics = kvmStatistics
    }

    /// `seconds` as a timeout, or nil when it is not a number inside `timeoutRangeSeconds`: the range
    /// is checked before converting, because `Int64(seconds * 1e9)` traps past about 292 years.
    public static func timeout(seconds: Double) -> Duration? {
        guard seconds.isFinite, timeoutRangeSeconds.contains(seconds) else { return nil }
        return .nanoseconds(Int64((seconds * 1e9).rounded()))
    }

    /// `timeoutRangeSeconds` in words, for messages.
    public static let timeoutRangeText = "at least 0.001 (1 ms) and at most 600 seconds"

    /// RAM size in bytes.
    public var memoryBytes: UInt64 { UInt64(memoryMiB) << 20 }

    /// Throws `KVMError.invalidConfiguration` naming the first value out of range.
    public func validate() throws(KVMError) {
        guard Self.memoryRangeMiB.contains(memoryMiB) else {
            throw .invalidConfiguration("memory must be 1 to 1024 MiB, not \(memoryMiB)")
        }
        guard timeout > .zero else { throw .invalidConfiguration("timeout must be positive") }
        guard outputLimit >= 0 else { throw .invalidConfiguration("output limit must not be negative") }
        guard exitLimit >= 1 else { throw .invalidConfiguration("exit limit must be at least 1") }
        guard traceLimit >= 0 else { throw .invalidConfiguration("trace limit must not be negative") }
        guard steps >= 0 else { throw .invalidConfiguration("steps must not be negative") }
        try validateMachine()
    }

    /// Throws unless `imageSize` bytes fit in RAM at the mode's load address.
    public func validate(imageSize: Int) throws(KVMError) {
        try validate()
        let (end, overflow) = mode.loadAddress.addingReportingOverflow(UInt64(imageSize))
        guard !overflow, end <= memoryBytes else {
            throw .invalidConfiguration(
                "the \(imageSize)-byte image does not fit in \(memoryMiB) MiB of RAM at "
                    + hex(mode.loadAddress) + " (\(mode) mode)")
        }
    }
}

/// `0x` and lowercase hex digits: the one spelling of addresses, ports and values in messages,
/// traces, records and `run --json` (registers there are also padded to 64 bits).
public func hex<T: BinaryInteger>(_ value: T) -> String { "0x" + String(value, radix: 16) }
