#if canImport(Glibc)
import Glibc
#endif
import CKVM

/// One run, from KVM_CREATE_VM to the last unmap: sets the machine up, loops KVM_RUN through the
/// dispatcher, and keeps the trace and the step table.
struct GuestRun {
    let system: KVMSystem
    let config: MachineConfig

    func execute(_ image: [UInt8]) throws(KVMError) -> RunResult {
        let start = ContinuousClock.now
        var result = try runOnFreshVM(image) // the VM and vCPU are released when this returns
        result.elapsed = ContinuousClock.now - start
        return result
    }

    private func runOnFreshVM(_ image: [UInt8]) throws(KVMError) -> RunResult {
        let vm = try VirtualMachine(system: system, memoryBytes: config.memoryBytes)
        GuestLayout.writeTables(for: config.mode, into: vm.ram)
        vm.ram.copy(image, to: config.mode.loadAddress)
        let vcpu = try VCPU(vm: vm, mapSize: system.vcpuMapSize)
        try vcpu.setCPUID(KVMSystem.cpuidBuffer)
        var sregs = try vcpu.specialRegisters()
        let entry = EntryState.apply(config.mode, memoryBytes: config.memoryBytes, to: &sregs)
        try vcpu.setSpecialRegisters(sregs)
        try vcpu.setRegisters(entry)

        let signals = SignalBlock()
        try vcpu.setRunSignalMask(threadMask: signals.previous, unblocking: Watchdog.signal)
        var loop = Loop(config: config, vcpu: vcpu, ram: vm.ram, syncs: system.hasSyncRegisters)
        if config.steps > 0 { try vcpu.setSingleStep(true) }
        if loop.needsLocations && system.hasSyncRegisters { vcpu.enableSyncRegisters() }
        let initial = Registers(entry)
        let initialCSBase = sregs.cs.base

        let alarm = Watchdog.shared.arm(after: config.timeout, run: vcpu.run)
        let end = try loop.run(initialRIP: entry.rip, initialCSBase: initialCSBase) {
            alarm.fired.load(ordering: .sequentiallyConsistent)
        }
        Watchdog.shared.disarm(alarm)
        let final = Registers(try vcpu.registers())
        _ = consume signals // restore the thread's mask only once the watchdog can no longer signal us

        if let last = loop.pendingStep(end: end, registers: final) { loop.steps.append(last) }
        return RunResult(
            output: loop.dispatcher.output, end: end, exitCounts: loop.dispatcher.counts, registers: final,
            trace: config.trace ? loop.trace : nil,
            steps: config.steps > 0 ? StepRecording(initialRegisters: initial, steps: loop.steps, requested: config.steps) : nil,
            host: system.host, machineVersion: GuestMachine.version, elapsed: .zero)
    }
}

/// The KVM_RUN loop proper, with the bookkeeping for traces and steps.
private struct Loop {
    let config: MachineConfig
    let vcpu: VCPU
    let syncs: Bool
    var dispatcher: ExitDispatcher
    var trace: Trace
    var steps: [Step] = []
    private var stepping: Bool
    private var exitNumber = 0
    private var stepRIP: UInt64 = 0
    private var stepCSBase: UInt64 = 0
    private var stepExits: [TraceEntry] = []
    /// The last exit that was not a step's own debug exit, for deciding whether a final step is owed.
    private var lastExitEndedInstruction = false

    var needsLocations: Bool { config.trace || config.steps > 0 }

    init(config: MachineConfig, vcpu: VCPU, ram: GuestRAM, syncs: Bool) {
        self.config = config
        self.vcpu = vcpu
        self.syncs = syncs
        self.stepping = config.steps > 0
        self.trace = Trace(limit: config.traceLimit)
        self.dispatcher = ExitDispatcher(memory: ram, outputLimit: config.outputLimit, exitLimit: config.exitLimit,
                                         recordsAccesses: config.trace || config.steps > 0)
    }

    mutating func run(initialRIP: UInt64, initialCSBase: UInt64, timedOut: () -> Bool) throws(KVMError) -> EndReason {
        stepRIP = initialRIP
        stepCSBase = initialCSBase
        while true {
            let exit = vcpu.runOnce(timedOut: timedOut)
            defer { exitNumber += 1 }
            if stepping, case .debug = exit {
                if case .end(let reason) = dispatcher.dispatch(exit) { return reason }
                try recordStep()
                continue
            }
            let action = dispatcher.dispatch(exit)
            if needsLocations { try recordExit(exit) }
            if case .end(let reason) = action {
                if case .interrupted = exit {} else { lastExitEndedInstruction = true }
                return reason
            }
        }
    }

    /// A single-step debug exit: the instruction at `stepRIP` completed.
    private mutating func recordStep() throws(KVMError) {
        let regs = try currentRegisters()
        let csBase = try currentLocation().csBase
        steps.append(Step(index: steps.count, rip: stepRIP, csBase: stepCSBase, registers: Registers(regs),
                          exits: stepExits, completed: true))
        stepExits = []
        stepRIP = regs.rip
        stepCSBase = csBase
        if steps.count >= config.steps {
            stepping = false
            try vcpu.setSingleStep(false)
        }
    }

    /// Turns the dispatcher's accesses for this exit (or the exit itself) into trace entries.
    private mutating func recordExit(_ exit: VMExit) throws(KVMError) {
        let kind = exit.kind
        if case .debug = kind { return } // stepping's own exits live in the step table
        let (rip, csBase) = try currentLocation()
        let number = exitNumber
        var accesses = dispatcher.accesses
        dispatcher.accesses.removeAll(keepingCapacity: true)
        if accesses.isEmpty { accesses = [Access(kind: kind, port: nil, address: nil, size: 0, value: nil)] }
        for access in accesses {
            let entry = { (index: Int) in
                TraceEntry(index: index, exit: number, kind: access.kind, port: access.port, address: access.address,
                           size: access.size, value: access.value, rip: rip, csBase: csBase)
            }
            if config.trace { trace.append(entry) }
            if stepping && stepExits.count < config.traceLimit { stepExits.append(entry(stepExits.count)) }
        }
    }

    /// The step owed for the instruction that ended the run (a `hlt`, an exit-port write, a fault),
    /// which never reaches its debug exit.
    func pendingStep(end: EndReason, registers: Registers) -> Step? {
        guard stepping, lastExitEndedInstruction, steps.count < config.steps else { return nil }
        return Step(index: steps.count, rip: stepRIP, csBase: stepCSBase, registers: registers,
                    exits: stepExits, completed: false)
    }

    private func currentRegisters() throws(KVMError) -> kvm_regs {
        syncs ? vcpu.syncedRegisters : try vcpu.registers()
    }

    private func currentLocation() throws(KVMError) -> (rip: UInt64, csBase: UInt64) {
        if syncs { return vcpu.syncedLocation }
        return (try vcpu.registers().rip, try vcpu.specialRegisters().cs.base)
    }
}
