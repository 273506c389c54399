import CKVM

/// How one vCPU's loop ended.
enum VCPUStop: Sendable, Hashable {
    /// This vCPU ended the run (or saw every vCPU idle): the board holds the reason.
    case ended
    /// Another vCPU ended the run, or failed.
    case stopped
    /// The wall-clock limit passed.
    case timedOut
}

/// One vCPU's KVM_RUN loop, with the bookkeeping for traces and steps. Shared state (devices, output,
/// counts, the trace) lives on the `Board`; this keeps what is the vCPU's own.
struct VCPULoop {
    let config: MachineConfig
    let vcpu: VCPU
    let memory: GuestRAM
    let host: HostKind
    let syncs: Bool
    /// Whether the guest runs on the hypervisor's own identity map (else only paging off is identity).
    let hostPageTables: Bool
    let board: Board
    let alarm: Watchdog.Alarm
    /// This vCPU's own exits, as counted on the board.
    private(set) var counts = ExitCounts()
    /// Instructions completed for the guest where the host's emulator could not (`InterruptAssist`).
    private(set) var assists: [InterruptAssist.Kind: Int] = [:]
    private(set) var steps: [Step] = []
    private var accesses: [Access] = []
    private var stepping: Bool
    private var stepRIP: UInt64 = 0
    private var stepCSBase: UInt64 = 0
    private var stepExits: [TraceEntry] = []
    private(set) var lastExitWasInstruction = false
    var injectFault: ((Int) -> KVMError?)? = nil

    var index: Int { vcpu.id }
    /// KVM keeps `hlt` and the interrupt controllers in the kernel (the `pc` machine).
    private var inKernelIRQChip: Bool { config.machine == .pc }
    /// Whether exits need their location (RIP, CS) read: for the trace and the step table.
    private var observes: Bool { config.observesExits }

    init(
        config: MachineConfig, vcpu: VCPU, memory: GuestRAM, host: HostKind, syncs: Bool, hostPageTables: Bool,
        board: Board, alarm: Watchdog.Alarm
    ) {
        self.config = config
        self.vcpu = vcpu
        self.memory = memory
        self.host = host
        self.syncs = syncs
        self.hostPageTables = hostPageTables
        self.board = board
        self.alarm = alarm
        self.stepping = config.stepping && vcpu.id == 0
    }

    mutating func run(initialRIP: UInt64, initialCSBase: UInt64) throws(KVMError) -> VCPUStop {
        stepRIP = initialRIP
        stepCSBase = initialCSBase
        if stepping { try vcpu.setSingleStep(true) }
        while true {
            let exit = vcpu.runOnce { alarm.fired.load(ordering: .sequentiallyConsistent) }
            switch exit {
            case .again:
                continue
            case .interrupted(let timedOut) where inKernelIRQChip:
                // Kicks are not exits of the guest: a probe, or a peer that ended the run. Only the
                // timeout is dispatched, once, by the first vCPU to see it.
                if !timedOut {
                    SignalBlock.drain()
                    if board.isOver { return .stopped }
                    if try probe() { return .ended }
                    continue
                }
            case .debug where stepping:
                if let end = try stepped() { return end }
                continue
            case .internalError(suberror: 1) where inKernelIRQChip:
                if let kind = try InterruptAssist(vcpu: vcpu, memory: memory).complete() {
                    assists[kind, default: 0] += 1
                    continue
                }
            default:
                break
            }
            if let stop = try dispatch(exit) { return stop }
        }
    }

    /// Dispatches a guest exit on the board; returns how the loop stops, or nil to go on.
    private mutating func dispatch(_ exit: VMExit) throws(KVMError) -> VCPUStop? {
        guard let (action, number) = try board.dispatch(exit, cpu: index, accesses: &accesses) else {
            return .stopped
        }
        counts[exit.kind] += 1
        if let injectFault, let error = injectFault(number + 1) { throw error }
        if observes { try observe(exit, number: number) }
        guard case .end(var reason) = action else { return nil }
        if case .crash(let detail) = reason { reason = .crash(located(detail)) }
        if case .interrupted = exit {} else { lastExitWasInstruction = true }
        guard board.finish(reason, by: index) else { return .stopped }
        Watchdog.shared.stop(alarm)
        return reason == .timeout ? .timedOut : .ended
    }

    /// A probe's kick: whether this vCPU is idle for good (halted with interrupts off, or an
    /// application processor still waiting for INIT and SIPI). Returns true when that made every
    /// vCPU idle, so the run ended as `halt`. When every vCPU looks idle but that is not confirmed
    /// yet, the confirming probe comes after the first, shortest interval rather than the current one.
    private mutating func probe() throws(KVMError) -> Bool {
        let state = try vcpu.multiprocessingState()
        let idle: Bool
        switch Int32(state) {
        case KVM_MP_STATE_HALTED: idle = try vcpu.registers().rflags & (1 << 9) == 0
        case KVM_MP_STATE_UNINITIALIZED, KVM_MP_STATE_INIT_RECEIVED: idle = true
        default: idle = false
        }
        let idleInARow = board.reportProbe(cpu: index, idle: idle)
        guard idleInARow >= Board.idleConfirmations else {
            if idleInARow > 0 { Watchdog.shared.probeSoon(alarm) }
            return false
        }
        guard board.finish(.halt, by: nil) else { return false }
        Watchdog.shared.stop(alarm)
        return true
    }

    // MARK: stepping

    /// The stepping's own exit: the instruction at stepRIP completed. Not an exit of the guest, so it
    /// is neither counted nor traced.
    private mutating func stepped() throws(KVMError) -> VCPUStop? {
        let state = try currentState()
        if haltedInStep(state) {
            // PVM's emulator lets the step trap replace the `hlt` exit (hardware KVM reports the
            // hlt); the guest did halt, so end the run as it would have without stepping.
            return try dispatch(.hlt)
        }
        closeStep(registers: Registers(state.regs), nextCSBase: state.sregs.cs.base, completed: true)
        try stopSteppingWhenDone()
        return nil
    }

    /// Records an exit in the trace and the current step, located at the instruction that caused it.
    private mutating func observe(_ exit: VMExit, number: Int) throws(KVMError) {
        // Steps done and the trace full: nothing would keep this exit's location, so do not
        // read registers or decode instructions for it (a long run can take a million exits).
        guard stepping || (config.trace && !board.traceIsFull) else {
            if config.trace { board.markTraceTruncated() }
            accesses.removeAll(keepingCapacity: true)
            return
        }
        let state = try currentState()
        let rip = state.regs.rip, csBase = state.sregs.cs.base
        let locator = ExitLocation(
            memory: memory, host: host, identityMapped: isIdentityMapped(state.sregs),
            defaultOperandSize: state.sregs.cs.l != 0 || state.sregs.cs.db != 0 ? 4 : 2,
            longMode: state.sregs.cs.l != 0)
        var found = accesses
        accesses.removeAll(keepingCapacity: true)
        if found.isEmpty { found = [Access(kind: exit.kind, port: nil, address: nil, size: 0, value: nil)] }
        let cpu = index
        let entries = found.map { access in
            let (located, follows) = locator.locate(access, rip: rip, csBase: csBase, rdx: state.regs.rdx)
            return { (index: Int) in
                TraceEntry(
                    index: index, exitNumber: number, kind: access.kind, port: access.port, address: access.address,
                    size: access.size, value: access.value, rip: located, ripFollowsInstruction: follows,
                    csBase: csBase, cpu: cpu)
            }
        }
        if config.trace { board.appendTrace(entries) }
        if stepping { for entry in entries where stepExits.count < config.traceLimit { stepExits.append(entry(stepExits.count)) } }
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
        steps.append(
            Step(
                index: steps.count, rip: stepRIP, csBase: stepCSBase, registers: registers,
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
    private func located(_ detail: CrashDetail) -> CrashDetail {
        // Through the ioctls: the kvm_run copies are only current while they are being observed.
        guard let regs = try? vcpu.registers(), let sregs = try? vcpu.specialRegisters() else { return detail }
        var located = detail
        located.rip = regs.rip
        located.csBase = sregs.cs.base
        let linear = sregs.cs.base &+ regs.rip
        if isIdentityMapped(sregs), linear < memory.size,
            let bytes = memory.bytes(at: linear, count: min(15, memory.size - linear))
        {
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
