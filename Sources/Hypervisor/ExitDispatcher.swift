/// What the run loop does after an exit.
enum DispatchAction: Sendable, Hashable {
    case resume
    case end(EndReason)
    /// The guest wrote a checkpoint number to the dirty-log port: fetch and clear the dirty log, then resume.
    case checkpoint(UInt32)
}

/// The machine's devices and bookkeeping, and the one function that turns an exit into an action.
///
/// Pure in the Firecracker sense: no ioctls, no clocks, no threads. Given an exit (with its data
/// buffer) it updates device state, output and counts and says whether the run goes on, so every rule
/// of the guest contract is testable with synthetic exits.
struct ExitDispatcher {
    let memory: GuestRAM
    let outputLimit: Int
    let exitLimit: Int
    /// When true, every access is appended to the caller's `accesses` for the trace and the step table.
    let recordsAccesses: Bool
    /// QEMU's fw_cfg at 0x510/0x511 (the `pc` machine), else nil: open bus there.
    private(set) var firmware: FirmwareConfig?
    /// Whether port 0x508 takes dirty-log checkpoints (`MachineConfig.dirtyLog`), else open bus.
    let checkpoints: Bool

    private(set) var output: [UInt8] = []
    private(set) var counts = ExitCounts()
    private(set) var uart = UART()
    private(set) var consoleStatus = ParavirtualConsole.Status.noRequest

    init(
        memory: GuestRAM, outputLimit: Int, exitLimit: Int, recordsAccesses: Bool,
        firmware: FirmwareConfig? = nil, checkpoints: Bool = false
    ) {
        self.memory = memory
        self.outputLimit = outputLimit
        self.exitLimit = exitLimit
        self.recordsAccesses = recordsAccesses
        self.firmware = firmware
        self.checkpoints = checkpoints
        output.reserveCapacity(min(outputLimit, 256))
    }

    /// Counts `exit`, lets the devices handle it, and says what the run does next. Accesses go to
    /// `accesses` when `recordsAccesses` (each vCPU has its own list, for its own trace entries).
    mutating func dispatch(_ exit: VMExit, accesses: inout [Access]) -> DispatchAction {
        counts[exit.kind] += 1
        let action = handle(exit, accesses: &accesses)
        if case .resume = action, counts.total >= exitLimit { return .end(.exitLimit) }
        return action
    }

    /// `dispatch` for callers that keep no accesses (tests, the lesson machine without a trace).
    mutating func dispatch(_ exit: VMExit) -> DispatchAction {
        var ignored: [Access] = []
        return dispatch(exit, accesses: &ignored)
    }

    private mutating func handle(_ exit: VMExit, accesses: inout [Access]) -> DispatchAction {
        switch exit {
        case .io(let access, let data):
            return handlePorts(access, data: data, accesses: &accesses)
        case .mmio(let address, let size, let isWrite, let data):
            // Open bus: reads return all ones, writes are ignored.
            let width = min(max(size, 0), data.count)
            if !isWrite { for i in 0..<width { data[i] = 0xFF } }
            record(
                isWrite ? .mmioWrite : .mmioRead, address: address, size: width, value: LittleEndian.value(data, at: 0, size: width),
                into: &accesses)
            return .resume
        case .hlt:
            return .end(.halt)
        case .debug, .again:
            return .resume
        case .interrupted(let timedOut):
            return timedOut ? .end(.timeout) : .resume
        case .shutdown:
            return crash(.shutdown, 0, "KVM_EXIT_SHUTDOWN: triple fault, or an exception the guest could not take")
        case .internalError(let suberror):
            let what =
                [
                    1: "emulation failure", 2: "exception while delivering an exception",
                    3: "failed event delivery", 4: "unexpected exit reason"
                ][suberror] ?? "unknown suberror"
            return crash(.internalError, UInt64(suberror), "KVM_EXIT_INTERNAL_ERROR: \(what) (suberror \(suberror))")
        case .failEntry(let reason):
            return crash(.failEntry, reason, "KVM_EXIT_FAIL_ENTRY: the CPU refused the guest state (reason \(hex(reason)))")
        case .exception(let vector, let errorCode):
            return crash(.exception, UInt64(vector), "KVM_EXIT_EXCEPTION: vector \(vector), error code \(hex(errorCode))")
        case .systemEvent(let type):
            return crash(.systemEvent, UInt64(type), "KVM_EXIT_SYSTEM_EVENT: type \(type)")
        case .runFailed(let errno):
            return crash(.runFailed, UInt64(errno.rawValue), "KVM_RUN failed: \(errno) (errno \(errno.rawValue))")
        case .unknown(let reason):
            return crash(.other, UInt64(reason), "unhandled KVM exit reason \(reason)")
        }
    }

    private func crash(_ kind: CrashKind, _ code: UInt64, _ message: String) -> DispatchAction {
        .end(.crash(CrashDetail(kind: kind, code: code, message: message)))
    }

    // MARK: port I/O

    private mutating func handlePorts(
        _ access: PortAccess, data: UnsafeMutableRawBufferPointer,
        accesses: inout [Access]
    ) -> DispatchAction {
        let size = access.size
        guard size > 0, access.count > 0, size * access.count <= data.count else {
            return crash(.other, 0, "malformed port I/O exit (size \(size), count \(access.count))")
        }
        for element in 0..<access.count {
            let offset = element * size
            if access.isWrite {
                let value = LittleEndian.value(data, at: offset, size: size)
                record(.ioOut, port: access.port, size: size, value: value, into: &accesses)
                let action = portWrite(access.port, size: size, value: value, data: data, offset: offset)
                if case .resume = action { continue }
                return action
            } else {
                portRead(access.port, size: size, into: data, offset: offset)
                record(.ioIn, port: access.port, size: size, value: LittleEndian.value(data, at: offset, size: size), into: &accesses)
            }
        }
        return .resume
    }

    private mutating func portWrite(
        _ port: UInt16, size: Int, value: UInt64,
        data: UnsafeMutableRawBufferPointer, offset: Int
    ) -> DispatchAction {
        switch port {
        case GuestLayout.exitPort:
            return .end(.exited(status: UInt8(truncatingIfNeeded: value)))
        case GuestLayout.checkpointPort where checkpoints:
            return .checkpoint(UInt32(truncatingIfNeeded: value))
        case FirmwareConfig.selectorPort where firmware != nil:
            firmware?.select(UInt16(truncatingIfNeeded: value))
            return .resume
        case GuestLayout.paravirtualConsolePort:
            guard size == 4 else {
                consoleStatus = .badAccessSize
                return .resume
            }
            switch ParavirtualConsole.request(
                at: UInt32(truncatingIfNeeded: value), memory: memory,
                outputCount: output.count, outputLimit: outputLimit)
            {
            case .success(let block):
                output.append(contentsOf: block)
                consoleStatus = .ok
            case .failure(let status):
                consoleStatus = status
            }
            return .resume
        default:
            // Byte-wise, as a 16-bit access to an 8-bit device reaches two consecutive ports.
            for byte in 0..<size {
                let target = port &+ UInt16(byte)
                guard let register = Self.uartOffset(target) else { continue } // other ports: ignored
                if let transmitted = uart.write(register, data[offset + byte]) {
                    guard output.count < outputLimit else { return .end(.outputLimit) }
                    output.append(transmitted)
                }
            }
            return .resume
        }
    }

    private mutating func portRead(_ port: UInt16, size: Int, into data: UnsafeMutableRawBufferPointer, offset: Int) {
        if port == FirmwareConfig.dataPort, firmware != nil {
            // Every byte of a wider access is the item's next byte, as QEMU's byte-wide data port gives them.
            for byte in 0..<size { data[offset + byte] = firmware?.read() ?? 0xFF }
            return
        }
        if port == GuestLayout.paravirtualConsolePort {
            var status = consoleStatus.rawValue
            for byte in 0..<size {
                data[offset + byte] = byte < 4 ? UInt8(truncatingIfNeeded: status) : 0
                status >>= 8
            }
            return
        }
        for byte in 0..<size {
            let target = port &+ UInt16(byte)
            data[offset + byte] = Self.uartOffset(target).map { uart.read($0) } ?? 0xFF // open bus
        }
    }

    private static func uartOffset(_ port: UInt16) -> UInt16? {
        let base = GuestLayout.com1Port
        return port >= base && port < base + 8 ? port - base : nil
    }

    // MARK: recording

    private func record(
        _ kind: ExitKind, port: UInt16? = nil, address: UInt64? = nil, size: Int, value: UInt64?,
        into accesses: inout [Access]
    ) {
        guard recordsAccesses else { return }
        accesses.append(Access(kind: kind, port: port, address: address, size: size, value: value))
    }
}
