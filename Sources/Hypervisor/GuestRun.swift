import CKVM

#if canImport(Glibc)
    import Glibc
#endif

/// One run, from KVM_CREATE_VM to the last unmap: sets the machine up, runs each vCPU's KVM_RUN loop
/// (`VCPULoop`) on its own thread (the bootstrap processor's on the calling thread), and gathers what
/// they did into one result.
struct GuestRun {
    let system: KVMSystem
    let config: MachineConfig
    /// Tests only: asked after each exit (with the count so far); an error it returns is thrown from
    /// the run loop, as a failing KVM_GET_REGS or KVM_SET_GUEST_DEBUG would be.
    var injectFault: ((_ exits: Int) -> KVMError?)? = nil

    /// How often a `pc` machine's vCPUs are probed, to end the run once every one of them is halted
    /// for good inside KVM (which then never returns to userspace): soon after the first millisecond,
    /// then ever less often, so a busy guest pays almost nothing.
    static let probes = Watchdog.Probes(first: .milliseconds(1), longest: .milliseconds(64))

    func execute(_ image: [UInt8]) throws(KVMError) -> RunResult {
        try execute(GuestBoot(.flat(image), config: config))
    }

    func execute(_ boot: GuestBoot) throws(KVMError) -> RunResult {
        let start = ContinuousClock.now
        var result = try runOnFreshVM(boot) // the VM and its vCPUs are released when this returns
        result.elapsed = ContinuousClock.now - start
        return result
    }

    private func runOnFreshVM(_ boot: GuestBoot) throws(KVMError) -> RunResult {
        let vm = try VirtualMachine(system: system, memoryBytes: config.memoryBytes, dirtyLog: config.dirtyLog, prepare: boot.fill)
        if config.machine == .pc { try vm.createInterruptControllers() }
        let cpuid = CPUIDSetup(config: config, supported: system.supportedCPUID)
        var vcpus: [VCPU] = []
        for index in 0..<config.cpus {
            let vcpu = try VCPU(vm: vm, id: index, mapSize: system.vcpuMapSize)
            try vcpu.setCPUID(cpuid.buffers[index])
            vcpus.append(vcpu)
        }
        var sregs = try vcpus[0].specialRegisters()
        let entry = boot.enter(&sregs)
        try vcpus[0].setSpecialRegisters(sregs)
        try vcpus[0].setRegisters(entry)

        let board = Board(
            dispatcher: ExitDispatcher(
                memory: vm.ram, outputLimit: config.outputLimit, exitLimit: config.exitLimit, recordsAccesses: config.observesExits,
                firmware: config.machine == .pc ? FirmwareConfig(ramBytes: config.memoryBytes, cpus: config.cpus) : nil,
                checkpoints: config.dirtyLog), trace: Trace(limit: config.traceLimit), cpus: config.cpus,
            dirtyLog: config.dirtyLog ? DirtyLog(vmFD: vm.fd, memoryBytes: config.memoryBytes) : nil)
        let alarm = Watchdog.shared.arm(after: config.timeout, probes: config.machine == .pc ? Self.probes : nil)
        defer { Watchdog.shared.disarm(alarm) }
        let loops = vcpus.map { vcpu in
            var loop = VCPULoop(
                config: config, vcpu: vcpu, memory: vm.ram, host: system.host, syncs: system.hasSyncRegisters,
                hostPageTables: boot.trustsHostPageTables, board: board, alarm: alarm)
            loop.injectFault = injectFault
            return loop
        }
        // Every guest's TSC starts at zero, so `rdtsc` tells nothing of the host's uptime; set last,
        // so the setup's own time is not counted. PVM accepts the write and ignores it (its guests
        // read the host's counter), so there it would be an ioctl per vCPU for nothing.
        if system.host != .pvm {
            for vcpu in vcpus { try vcpu.setTimeStampCounter(0) }
        }
        let outcomes = try runAll(loops, entry: entry, csBase: sregs.cs.base, board: board, alarm: alarm)
        return try result(board: board, outcomes: outcomes, entry: entry, cpuid: cpuid)
    }

    /// Runs every vCPU to the end: application processors on their own threads, the bootstrap
    /// processor on this one. Returns when all are back.
    private func runAll(
        _ loops: [VCPULoop], entry: kvm_regs, csBase: UInt64, board: Board,
        alarm: Watchdog.Alarm
    ) throws(KVMError) -> [VCPUOutcome] {
        if loops.count == 1 {
            // One vCPU (every lesson machine): no threads to start, so no slots for them either.
            let outcome = Self.drive(loops[0], rip: entry.rip, csBase: csBase, board: board, alarm: alarm)
            if let failure = board.failure { throw failure }
            return outcome.map { [$0] } ?? []
        }
        let slots = OutcomeSlots(count: loops.count)
        var threads: [VCPUThread] = []
        for (index, loop) in loops.enumerated().dropFirst() {
            do {
                threads.append(try VCPUThread { slots[index] = Self.drive(loop, rip: 0, csBase: 0, board: board, alarm: alarm) })
            } catch {
                board.fail(error)
                Watchdog.shared.stop(alarm)
                break
            }
        }
        slots[0] = Self.drive(loops[0], rip: entry.rip, csBase: csBase, board: board, alarm: alarm)
        for thread in threads { thread.join() }
        if let failure = board.failure { throw failure }
        return slots.all
    }

    /// One vCPU's whole life on its thread: the signal set-up, the loop, completing the last access,
    /// and reading its final state. A host-side failure is put on the board and stops the others.
    private static func drive(
        _ loop: VCPULoop, rip: UInt64, csBase: UInt64, board: Board,
        alarm: Watchdog.Alarm
    ) -> VCPUOutcome? {
        var loop = loop
        let vcpu = loop.vcpu
        let signals = SignalBlock()
        do throws(KVMError) {
            try vcpu.setRunSignalMask(threadMask: signals.previous, unblocking: Watchdog.signal)
            if loop.config.observesExits && loop.syncs { vcpu.enableSyncRegisters() }
            let stop: VCPUStop
            do {
                let attachment = Watchdog.shared.attach(alarm, run: vcpu.run)
                // On every way out of this block, thrown errors included: an attachment left behind
                // would write into the kvm_run page after it is unmapped and signal this thread while
                // it runs something else (another guest, which would then end as a false timeout).
                defer { withExtendedLifetime(vcpu) { Watchdog.shared.detach(attachment) } }
                stop = try loop.run(initialRIP: rip, initialCSBase: csBase)
            }
            // Let KVM finish an access it handed us (the exit-port `out`): with immediate_exit set,
            // KVM_RUN completes it and returns EINTR without running the guest. RIP is then past the
            // instruction, on every host, except after a `rep outs`/`rep ins` with iterations left:
            // KVM completes the iteration it reported and RIP stays on it, with RCX counting the rest.
            if stop != .timedOut { vcpu.completePendingAccess() }
            let registers = Registers(try vcpu.registers())
            var started = true
            if loop.config.machine == .pc { started = try Self.hasStarted(vcpu) }
            let stats =
                loop.config.kvmStatistics
                ? vcpu.statisticsFile().map { fd in
                    defer { close(fd) }
                    return KVMStatistics.read(fd: fd)
                } : nil
            _ = consume signals // the thread's mask comes back only once the watchdog can no longer signal it
            return VCPUOutcome(loop: loop, registers: registers, started: started, kvmStats: stats)
        } catch {
            board.fail(error)
            Watchdog.shared.stop(alarm)
            return nil
        }
    }

    /// Whether an application processor ever left its wait for INIT and SIPI.
    private static func hasStarted(_ vcpu: VCPU) throws(KVMError) -> Bool {
        Int32(try vcpu.multiprocessingState()) != KVM_MP_STATE_UNINITIALIZED
    }

    private func result(board: Board, outcomes: [VCPUOutcome], entry: kvm_regs, cpuid: CPUIDSetup) throws(KVMError) -> RunResult {
        let final = board.final
        let end = final.end ?? .timeout
        var bsp = outcomes[0]
        bsp.loop.finishSteps(end: end, registers: bsp.registers)
        var result = RunResult(
            output: final.dispatcher.output, end: end, exitCounts: final.dispatcher.counts, registers: bsp.registers,
            trace: config.trace ? final.trace : nil,
            steps: config.stepping
                ? StepRecording(initialRegisters: Registers(entry), steps: bsp.loop.steps, requested: config.steps) : nil,
            host: system.host, machineVersion: config.machine.version, elapsed: .zero)
        result.machine = config.machine
        result.vcpus = outcomes.map {
            VCPUResult(
                index: $0.loop.index, registers: $0.registers, exitCounts: $0.loop.counts, started: $0.started,
                kvmStats: $0.kvmStats)
        }
        result.endedBy = end == .timeout ? nil : final.endedBy
        result.checkpoints = config.dirtyLog ? final.checkpoints : nil
        result.removedCPUIDBits = cpuid.removed
        for outcome in outcomes {
            for (kind, count) in outcome.loop.assists { result.assists[kind.rawValue, default: 0] += count }
        }
        return result
    }
}

/// What one vCPU's thread hands back.
struct VCPUOutcome {
    var loop: VCPULoop
    var registers: Registers
    var started: Bool
    var kvmStats: [String: UInt64]?
}

/// One slot per vCPU thread, each written by its own thread and read after every thread is joined.
final class OutcomeSlots: @unchecked Sendable {
    // unchecked Sendable: slot i is written only by vCPU i's thread, and read only after joining it.
    private var slots: [VCPUOutcome?]
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    subscript(index: Int) -> VCPUOutcome? {
        get { slots[index] }
        set { slots[index] = newValue }
    }
    /// Every outcome, once all threads are back (each either returned one or failed the board).
    var all: [VCPUOutcome] { slots.compactMap { $0 } }
}

/// A POSIX thread for one application processor (vCPU threads block signals and must never be
/// borrowed from a pool that reuses them for other work while a run is in flight).
final class VCPUThread {
    private var thread = pthread_t()

    private final class Body: @unchecked Sendable {
        // unchecked Sendable: handed to exactly one new thread, which runs it once.
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    init(_ body: @escaping () -> Void) throws(KVMError) {
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        let created = pthread_create(
            &thread, nil,
            { context in
                Unmanaged<Body>.fromOpaque(context!).takeRetainedValue().run()
                return nil
            }, context)
        guard created == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            throw .systemCall("pthread_create for a vCPU", Errno(rawValue: created))
        }
    }

    func join() { pthread_join(thread, nil) }
}

/// The CPUID tables of a run's vCPUs.
struct CPUIDSetup {
    let buffers: [[UInt8]]
    let removed: [RemovedCPUIDBits]

    /// The lesson machine's: the same fixed table for every run.
    private static let lesson = CPUIDSetup(buffers: [KVMSystem.cpuidBuffer], removed: [])

    private init(buffers: [[UInt8]], removed: [RemovedCPUIDBits]) {
        self.buffers = buffers
        self.removed = removed
    }

    init(config: MachineConfig, supported: [CPUIDTable.Entry]) {
        switch (config.machine, config.cpu) {
        case (.lesson, _):
            self = Self.lesson
        case (.pc, .hypercourse64):
            let tables = (0..<config.cpus).map { CPUIDTable.masked(PCCPUModel.entries(index: $0, cpus: config.cpus), by: supported) }
            buffers = tables.map { CPUIDTable.kvmBuffer($0.entries) }
            removed = tables.first?.removed ?? []
        case (.pc, .host):
            buffers = (0..<config.cpus).map { CPUIDTable.kvmBuffer(CPUIDTable.host(supported, index: $0, cpus: config.cpus)) }
            removed = []
        }
    }
}
