import CKVM

#if canImport(Glibc)
    import Glibc
#endif

/// One vCPU: its fd and its mapped kvm_run page. Every KVM_RUN, register access and debug setting
/// goes through here, and `decodeExit` is the one place the kvm_run union is read.
final class VCPU {
    let fd: Int32
    /// KVM's vCPU id, which is also its local APIC ID; 0 is the bootstrap processor.
    let id: Int
    /// The shared kvm_run page. Valid until deinit; the watchdog writes immediate_exit from its thread.
    let run: UnsafeMutablePointer<kvm_run>
    private let mapSize: Int
    private let vm: VirtualMachine // keeps the VM (and its RAM) alive while the vCPU exists

    init(vm: VirtualMachine, id: Int = 0, mapSize: Int) throws(KVMError) {
        let fd = ckvm_ioctl_value(vm.fd, CKVM_CREATE_VCPU, UInt(id))
        guard fd >= 0 else { throw .systemCall("KVM_CREATE_VCPU", .current) }
        guard let page = mmap(nil, mapSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), page != MAP_FAILED else {
            let error = Errno.current
            close(fd)
            throw .systemCall("mmap of kvm_run", error)
        }
        self.fd = fd
        self.id = id
        self.mapSize = mapSize
        self.vm = vm
        // Safe: KVM maps at least sizeof(kvm_run) bytes here (KVM_GET_VCPU_MMAP_SIZE ≥ one page).
        self.run = page.bindMemory(to: kvm_run.self, capacity: 1)
    }

    deinit {
        munmap(run, mapSize)
        close(fd)
    }

    // MARK: state

    func setCPUID(_ table: [UInt8]) throws(KVMError) {
        // Safe: the buffer is a complete kvm_cpuid2 with its entries (CPUIDTable.kvmBuffer), and
        // KVM_SET_CPUID2 only reads it, so the shared table is passed without a copy.
        let result = table.withUnsafeBytes {
            ckvm_ioctl_pointer(fd, CKVM_SET_CPUID2, UnsafeMutableRawPointer(mutating: $0.baseAddress))
        }
        guard result == 0 else { throw .systemCall("KVM_SET_CPUID2", .current) }
    }

    /// IA32_TIME_STAMP_COUNTER, the MSR behind `rdtsc`.
    static let timeStampCounterMSR: UInt32 = 0x10

    /// Sets the guest's time-stamp counter. A host-initiated write of MSR_IA32_TSC sets the vCPU's
    /// TSC offset; writes of 0 to a VM's vCPUs before they run are matched by KVM, so the counters
    /// start together. (Hardware KVM honours it; PVM keeps the host's counter, see guest-machine.md.)
    func setTimeStampCounter(_ value: UInt64) throws(KVMError) {
        var request = ckvm_one_msr(nmsrs: 1, pad: 0, entry: kvm_msr_entry(index: Self.timeStampCounterMSR, reserved: 0, data: value))
        // Safe: ckvm_one_msr is a kvm_msrs header followed by exactly the one entry nmsrs counts.
        let written = ckvm_ioctl_pointer(fd, CKVM_SET_MSRS, &request)
        guard written == 1 else { throw .systemCall("KVM_SET_MSRS (IA32_TSC)", written < 0 ? .current : Errno(rawValue: EINVAL)) }
    }

    /// The guest's time-stamp counter as KVM computes it now (the host's counter plus the offset).
    func timeStampCounter() throws(KVMError) -> UInt64 {
        var request = ckvm_one_msr(nmsrs: 1, pad: 0, entry: kvm_msr_entry(index: Self.timeStampCounterMSR, reserved: 0, data: 0))
        // Safe: as in setTimeStampCounter; KVM fills in the entry's data.
        let read = ckvm_ioctl_pointer(fd, CKVM_GET_MSRS, &request)
        guard read == 1 else { throw .systemCall("KVM_GET_MSRS (IA32_TSC)", read < 0 ? .current : Errno(rawValue: EINVAL)) }
        return request.entry.data
    }

    func specialRegisters() throws(KVMError) -> kvm_sregs {
        try getState(kvm_sregs(), with: CKVM_GET_SREGS, named: "KVM_GET_SREGS")
    }

    func setSpecialRegisters(_ sregs: kvm_sregs) throws(KVMError) {
        try setState(sregs, with: CKVM_SET_SREGS, named: "KVM_SET_SREGS")
    }

    func registers() throws(KVMError) -> kvm_regs {
        try getState(kvm_regs(), with: CKVM_GET_REGS, named: "KVM_GET_REGS")
    }

    func setRegisters(_ regs: kvm_regs) throws(KVMError) {
        try setState(regs, with: CKVM_SET_REGS, named: "KVM_SET_REGS")
    }

    /// Turns single-stepping on or off: with it on, every instruction ends in KVM_EXIT_DEBUG.
    func setSingleStep(_ enabled: Bool) throws(KVMError) {
        var debug = kvm_guest_debug()
        debug.control = enabled ? CKVM_GUESTDBG_ENABLE | CKVM_GUESTDBG_SINGLESTEP : 0
        try setState(debug, with: CKVM_SET_GUEST_DEBUG, named: "KVM_SET_GUEST_DEBUG")
    }

    /// One KVM_GET_* ioctl whose argument is a single fixed-size structure: KVM fills in `blank`.
    private func getState<State: BitwiseCopyable>(_ blank: State, with request: UInt, named name: String) throws(KVMError) -> State {
        var state = blank
        // Safe: every caller pairs `request` with the one plain C structure <linux/kvm.h> declares for
        // it, so KVM writes exactly MemoryLayout<State>.size bytes; the pointer lives only for the call.
        let result = withUnsafeMutablePointer(to: &state) { ckvm_ioctl_pointer(fd, request, $0) }
        guard result == 0 else { throw .systemCall(name, .current) }
        return state
    }

    /// One KVM_SET_* ioctl whose argument is a single fixed-size structure, which KVM only reads.
    private func setState<State: BitwiseCopyable>(_ state: State, with request: UInt, named name: String) throws(KVMError) {
        var state = state
        // Safe: as in `getState`, the request and structure are paired as <linux/kvm.h> declares; KVM
        // reads the structure during the call and keeps no pointer to it.
        let result = withUnsafeMutablePointer(to: &state) { ckvm_ioctl_pointer(fd, request, $0) }
        guard result == 0 else { throw .systemCall(name, .current) }
    }

    /// The signal mask in force during KVM_RUN: the thread's mask without `signal`, so the watchdog's
    /// signal interrupts KVM_RUN and nothing else (the thread blocks it outside KVM_RUN).
    func setRunSignalMask(threadMask: sigset_t, unblocking signal: Int32) throws(KVMError) {
        // kvm_signal_mask is a u32 length and the kernel's 8-byte sigset (bit n - 1 for signal n, little
        // endian); glibc's sigset_t starts with that set. Three u32s on the stack: no buffer per run.
        let threadSet = withUnsafeBytes(of: threadMask) { $0.loadUnaligned(as: UInt64.self) }
        let set = UInt64(littleEndian: threadSet) & ~(1 << UInt64(signal - 1))
        var request: (length: UInt32, low: UInt32, high: UInt32) = (
            8, UInt32(truncatingIfNeeded: set).littleEndian, UInt32(truncatingIfNeeded: set >> 32).littleEndian
        )
        // Safe: a homogeneous tuple is laid out contiguously, so this is a complete kvm_signal_mask
        // (length 8, then the 8-byte set) that lives across the call; KVM only reads it.
        let result = withUnsafeMutablePointer(to: &request) { ckvm_ioctl_pointer(fd, CKVM_SET_SIGNAL_MASK, $0) }
        guard result == 0 else { throw .systemCall("KVM_SET_SIGNAL_MASK", .current) }
    }

    /// Asks KVM to copy the registers and segment registers into kvm_run on every exit, so tracing
    /// reads RIP and CS without an ioctl per exit.
    func enableSyncRegisters() {
        run.pointee.kvm_valid_regs = CKVM_SYNC_X86_REGS | CKVM_SYNC_X86_SREGS
    }

    /// Registers as of the last exit (needs `enableSyncRegisters`).
    var syncedRegisters: kvm_regs { run.pointee.s.regs.regs }

    /// Special registers as of the last exit (needs `enableSyncRegisters`).
    var syncedSpecialRegisters: kvm_sregs { run.pointee.s.regs.sregs }

    /// Re-enters KVM_RUN with immediate_exit set: KVM completes the port or MMIO access of the last exit
    /// and returns EINTR at once, without running the guest further. RIP moves past the instruction,
    /// unless it is a `rep` string instruction with iterations left (then only the reported iteration
    /// completes, and RIP stays on it).
    func completePendingAccess() {
        run.pointee.immediate_exit = 1
        _ = ckvm_ioctl_value(fd, CKVM_RUN, 0)
        run.pointee.immediate_exit = 0
    }

    /// KVM_GET_MP_STATE: running, halted in the kernel, or (an application processor) waiting for
    /// INIT and SIPI. Only meaningful with the in-kernel irqchip.
    func multiprocessingState() throws(KVMError) -> UInt32 {
        try getState(kvm_mp_state(), with: CKVM_GET_MP_STATE, named: "KVM_GET_MP_STATE").mp_state
    }

    /// The guest-physical address of `linear` through the vCPU's current page tables, or nil when
    /// it is not mapped.
    func translate(_ linear: UInt64) -> UInt64? {
        var translation = kvm_translation()
        translation.linear_address = linear
        guard ckvm_ioctl_pointer(fd, CKVM_TRANSLATE, &translation) == 0, translation.valid != 0 else { return nil }
        return translation.physical_address
    }

    func events() throws(KVMError) -> kvm_vcpu_events {
        try getState(kvm_vcpu_events(), with: CKVM_GET_VCPU_EVENTS, named: "KVM_GET_VCPU_EVENTS")
    }

    func setEvents(_ events: kvm_vcpu_events) throws(KVMError) {
        try setState(events, with: CKVM_SET_VCPU_EVENTS, named: "KVM_SET_VCPU_EVENTS")
    }

    /// KVM's binary statistics file for this vCPU (KVM_GET_STATS_FD), or nil where KVM has none.
    /// The caller closes it.
    func statisticsFile() -> Int32? {
        let stats = ckvm_ioctl_value(fd, CKVM_GET_STATS_FD, 0)
        return stats >= 0 ? stats : nil
    }

    // MARK: running

    /// One KVM_RUN, decoded. `timedOut` is asked only after EINTR.
    func runOnce(timedOut: () -> Bool) -> VMExit {
        if ckvm_ioctl_value(fd, CKVM_RUN, 0) != 0 {
            let error = Errno.current
            if error == .tryAgain { return .again }
            return error == .interrupted ? .interrupted(timedOut: timedOut()) : .runFailed(error)
        }
        return decodeExit(timedOut: timedOut)
    }

    private func decodeExit(timedOut: () -> Bool) -> VMExit {
        let r = run.pointee
        switch Int32(bitPattern: r.exit_reason) {
        case KVM_EXIT_IO:
            let size = Int(r.io.size), count = Int(r.io.count), offset = Int(r.io.data_offset)
            // The kernel sets data_offset inside the mapping; check anyway before trusting it.
            guard offset >= MemoryLayout<kvm_run>.size, offset + size * count <= mapSize else {
                return .unknown(reason: r.exit_reason)
            }
            // Safe: the range is inside the kvm_run mapping (checked above).
            let data = UnsafeMutableRawBufferPointer(start: ckvm_run_io_data(run), count: size * count)
            let access = PortAccess(
                port: r.io.port, size: size, count: count,
                isWrite: r.io.direction == UInt8(KVM_EXIT_IO_OUT))
            return .io(access, data: data)
        case KVM_EXIT_MMIO:
            // Safe: mmio.data is an 8-byte array inside kvm_run.
            let data = UnsafeMutableRawBufferPointer(start: ckvm_run_mmio_data(run), count: 8)
            return .mmio(address: r.mmio.phys_addr, size: min(Int(r.mmio.len), 8), isWrite: r.mmio.is_write != 0, data: data)
        case KVM_EXIT_HLT:
            return .hlt
        case KVM_EXIT_SHUTDOWN:
            return .shutdown
        case KVM_EXIT_INTERNAL_ERROR:
            return .internalError(suberror: r.internal.suberror)
        case KVM_EXIT_FAIL_ENTRY:
            return .failEntry(reason: r.fail_entry.hardware_entry_failure_reason)
        case KVM_EXIT_EXCEPTION:
            return .exception(vector: r.ex.exception, errorCode: r.ex.error_code)
        case KVM_EXIT_DEBUG:
            return .debug(pc: r.debug.arch.pc)
        case KVM_EXIT_SYSTEM_EVENT:
            return .systemEvent(type: r.system_event.type)
        case KVM_EXIT_INTR:
            return .interrupted(timedOut: timedOut())
        default:
            return .unknown(reason: r.exit_reason)
        }
    }
}
