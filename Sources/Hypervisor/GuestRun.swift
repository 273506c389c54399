#if canImport(Glibc)
import Glibc
#endif
import CKVM

/// One run, from KVM_CREATE_VM to the last unmap: sets the machine up, loops KVM_RUN through the
/// dispatcher, and keeps the trace and the step table.
struct GuestRun {
    let system: KVMSystem
    let config: MachineConfig
    /// Tests only: asked after each exit (with the count so far); an error it returns is thrown from
    /// the run loop, as a failing KVM_GET_REGS or KVM_SET_GUEST_DEBUG would be.
    var injectFault: ((_ exits: Int) -> KVMError?)? = nil

    func execute(_ image: [UInt8]) throws(KVMError) -> RunResult {
        try execute(GuestBoot(.flat(image), config: config))
    }

    func execute(_ boot: GuestBoot) throws(KVMError) -> RunResult {
        let start = ContinuousClock.now
        var result = try runOnFreshVM(boot) // the VM and vCPU are released when this returns
        result.elapsed = ContinuousClock.now - start
        return result
    }

    private func runOnFreshVM(_ boot: GuestBoot) throws(KVMError) -> RunResult {
        let vm = try VirtualMachine(system: system, memoryBytes: config.memoryBytes, prepare: boot.fill)
        let vcpu = try VCPU(vm: vm, mapSize: system.vcpuMapSize)
        try vcpu.setCPUID(KVMSystem.cpuidBuffer)
        var sregs = try vcpu.specialRegisters()
        let entry = boot.enter(&sregs)
        try vcpu.setSpecialRegisters(sregs)
        try vcpu.setRegisters(entry)

        let signals = SignalBlock()
        try vcpu.setRunSignalMask(threadMask: signals.previous, unblocking: Watchdog.signal)
        var loop = Loop(config: config, vcpu: vcpu, ram: vm.ram, host: system.host, syncs: system.hasSyncRegisters,
                        hostPageTables: boot.trustsHostPageTables, injectFault: injectFault)
        if config.stepping { try vcpu.setSingleStep(true) }
        if loop.observes && system.hasSyncRegisters { vcpu.enableSyncRegisters() }

        var end: EndReason
        do {
            let alarm = Watchdog.shared.arm(after: config.timeout, run: vcpu.run)
            // On every way out of this block, thrown errors included: an alarm left armed would write
            // into the kvm_run page after it is unmapped and signal this thread while it runs
            // something else (another guest, which would then end as a false timeout).
            defer { withExtendedLifetime(vcpu) { Watchdog.shared.disarm(alarm) } }
            end = try loop.run(initialRIP: entry.rip, initialCSBase: sregs.cs.base) {
                alarm.fired.load(ordering: .sequentiallyConsistent)
            }
        }
        if case .crash(let detail) = end { end = .crash(loop.located(detail)) }
        // Let KVM finish an access it handed us (the exit-port `out`): with immediate_exit set, KVM_RUN
        // completes it and returns EINTR without running the guest. RIP is then past the instruction,
        // on every host, except after a `rep outs`/`rep ins` with iterations left: KVM completes the
        // iteration it reported and RIP stays on the instruction, with RCX counting what remains.
        if end != .timeout { vcpu.completePendingAccess() }
        let final = Registers(try vcpu.registers())
        _ = consume signals // restore the thread's mask only once the watchdog can no longer signal us

        loop.finishSteps(end: end, registers: final)
        return RunResult(
            output: loop.dispatcher.output, end: end, exitCounts: loop.dispatcher.counts, registers: final,
            trace: config.trace ? loop.trace : nil,
            steps: config.stepping
                ? StepRecording(initialRegisters: Registers(entry), steps: loop.steps, requested: config.steps) : nil,
            host: system.host, machineVersion: GuestMachine.version, elapsed: .zero)
    }
}

/// The KVM_RUN loop proper, with the bookkeeping for traces and steps.
private struct Loop {
    let config: MachineConfig
    let vcpu: VCPU
    let memory: GuestRAM
    let host: HostKind
    let syncs: Bool
    /// Whether the guest runs on the hypervisor's own identity map (else only paging off is identity).
    let hostPageTables: Bool
    var dispatcher: ExitDispatcher
    var trace: Trace
    var steps: [Step] = []
    private var stepping: Bool
    private var stepRIP: UInt64 = 0
    private var stepCSBase: UInt64 = 0
    private var stepExits: [TraceEntry] = []
    private var lastExitWasInstruction = false
    private let injectFault: ((Int) -> KVMError?)?

    /// Whether exits need their location (RIP, CS) read: for the trace and the step table.
    var observes: Bool { config.observesExits }

    init(config: MachineConfig, vcpu: VCPU, ram: GuestRAM, host: HostKind, syncs: Bool, hostPageTables: Bool,
         injectFault: ((Int) -> KVMError?)?) {
        self.config = config
        self.hostPageTables = hostPageTables
        self.injectFault = injectFault
        self.vcpu = vcpu
        self.memory = ram
        self.host = host
        self.syncs = syncs
        self.stepping = config.stepping
        self.trace = Trace(limit: config.traceLimit)
        self.dispatcher = ExitDispatcher(memory: ram, outputLimit: config.outputLimit, exitLimit: config.exitLimit,
                                         recordsAccesses: config.observesExits)
    }

    mutating func run(initialRIP: UInt64, initialCSBase: UInt64, timedOut: () -> Bool) throws(KVMError) -> EndReason {
        stepRIP = initialRIP
        stepCSBase = initialCSBase
        while true {
            let exit = vcpu.runOnce(timedOut: timedOut)
            if stepping, case .debug = exit {
                // The stepping's own exit: the instruction at stepRIP completed. Not an exit of the guest,
                // so it is neither counted nor traced.
                let state = try currentState()
                if haltedInStep(state) {
                    // PVM's emulator lets the step trap replace the `hlt` exit (hardware KVM reports the
                    // hlt); the guest did halt, so end the run as it would have without stepping.
                    let action = dispatcher.dispatch(.hlt)
                    try observe(.hlt)
                    lastExitWasInstruction = true
                    if case .end(let reason) = action { return reason }
                    continue
                }
                closeStep(registers: Registers(state.regs), nextCSBase: state.sregs.cs.base, completed: true)
                try stopSteppingWhenDone()
                continue
            }
            let action = dispatcher.dispatch(exit)
            if let injectFault, let error = injectFault(dispatcher.counts.total) { throw error }
            if observes { try observe(exit) }
            if case .end(let reason) = action {
                if case .interrupted = exit {} else { lastExitWasInstruction = true }
                return reason
            }
        }
    }

    /// Records an exit in the trace and the current step, located at the instruction that caused it.
    private mutating func observe(_ exit: VMExit) throws(KVMError) {
        // Steps done and the trace full: nothing would keep this exit's location, so do not
        // read registers or decode instructions for it (a long run can take a million exits).
        guard stepping || (config.trace && !trace.isFull) else {
            if config.trace { trace.truncated = true }
            dispatcher.accesses.removeAll(keepingCapacity: true)
            return
        }
        let state = try currentState()
        let rip = state.regs.rip, csBase = state.sregs.cs.base
        let locator = ExitLocation(
            memory: memory, host: host,
            identityMapped: isIdentityMapped(state.sregs),
            defaultOperandSize: state.sregs.cs.l != 0 || state.sregs.cs.db != 0 ? 4 : 2,
            longMode: state.sregs.cs.l != 0)
        let number = dispatcher.counts.total - 1
        var accesses = dispatcher.accesses
        dispatcher.accesses.removeAll(keepingCapacity: true)
        if accesses.isEmpty { accesses = [Access(kind: exit.kind, port: nil, address: nil, size: 0, value: nil)] }
        for access in accesses {
            let (located, follows) = locator.locate(access, rip: rip, csBase: csBase, rdx: state.regs.rdx)
            let entry = { (index: Int) in
                TraceEntry(index: index, exitNumber: number, kind: access.kind, port: access.port, address: access.address,
                           size: access.size, value: access.value, rip: located, ripFollowsInstruction: follows,
                           csBase: csBase)
            }
            if config.trace { trace.append(entry) }
            if stepping && stepExits.count < config.traceLimit { stepExits.append(entry(stepExits.count)) }
        }
        // KVM finished some instructions before exiting (an emulated `out`, an MMIO write) and then
        // skips their single-step trap; RIP has moved on, so the step ends here.
        if stepping, rip != stepRIP || csBase != stepCSBase, !exit.endsRunWithoutRetiring {
            closeStep(registers: Registers(state.regs), nextCSBase: csBase, completed: true)
            try stopSteppingWhenDone()
        }
    }

    /// Single-stepping stops once the steps asked for are recorded.
    private mutating func stopSteppingWhenDone() throws(KVMError) {
        guard steps.count >= config.steps else { return }
        stepping = false
        try vcpu.setSingleStep(false)
    }

    /// Whether the instruction just stepped over was a ring-0 `hlt` (one byte, 0xF4).
    private func haltedInStep(_ state: (regs: kvm_regs, sregs: kvm_sregs)) -> Bool {
        state.sregs.cs.dpl == 0 && state.regs.rip == stepRIP &+ 1 && state.sregs.cs.base == stepCSBase
            && isIdentityMapped(state.sregs)
            && memory.load(UInt8.self, at: stepCSBase &+ stepRIP) == 0xF4
    }

    private mutating func closeStep(registers: Registers, nextCSBase: UInt64, completed: Bool) {
        steps.append(Step(index: steps.count, rip: stepRIP, csBase: stepCSBase, registers: registers,
                          exits: stepExits, completed: completed))
        stepExits = []
        stepRIP = registers.rip
        stepCSBase = nextCSBase
    }

    /// Adds the step for the instruction that ended the run, if it is still open.
    mutating func finishSteps(end: EndReason, registers: Registers) {
        guard stepping, lastExitWasInstruction, !stepExits.isEmpty, steps.count < config.steps else { return }
        let retired: Bool
        switch end {
        case .crash, .timeout: retired = false
        default: retired = registers.rip != stepRIP
        }
        closeStep(registers: registers, nextCSBase: stepCSBase, completed: retired)
    }

    /// The crash with where it happened: RIP, CS base and the bytes there, read at the exit that
    /// ended the run (before anything re-enters KVM_RUN).
    func located(_ detail: CrashDetail) -> CrashDetail {
        // Through the ioctls: the kvm_run copies are only current while they are being observed.
        guard let regs = try? vcpu.registers(), let sregs = try? vcpu.specialRegisters() else { return detail }
        let state = (regs: regs, sregs: sregs)
        var located = detail
        located.rip = state.regs.rip
        located.csBase = state.sregs.cs.base
        let linear = state.sregs.cs.base &+ state.regs.rip
        if isIdentityMapped(state.sregs), linear < memory.size,
           let bytes = memory.bytes(at: linear, count: min(15, memory.size - linear)) {
            located.instructionBytes = Array(bytes)
        }
        return located
    }

    /// Linear = physical: paging off, or the hypervisor's identity map (never a kernel's own tables,
    /// which may sit at the same address).
    private func isIdentityMapped(_ sregs: kvm_sregs) -> Bool {
        sregs.cr0 & EntryState.cr0Paging == 0 || (hostPageTables && EntryState.isIdentityMapped(sregs))
    }

    private func currentState() throws(KVMError) -> (regs: kvm_regs, sregs: kvm_sregs) {
        if syncs { return (vcpu.syncedRegisters, vcpu.syncedSpecialRegisters) }
        return (try vcpu.registers(), try vcpu.specialRegisters())
    }
}

extension VMExit {
    /// Exits after which RIP says nothing about the instruction having completed.
    fileprivate var endsRunWithoutRetiring: Bool {
        switch self {
        case .shutdown, .internalError, .failEntry, .exception, .systemEvent, .interrupted, .runFailed, .unknown: true
        default: false
        }
    }
}
