/// What the run loop does after an exit.
enum DispatchAction: Sendable, Hashable {
    case resume
    case end(EndReason)
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
    /// When true, every access is appended to `accesses` for the trace and the step table.
    let recordsAccesses: Bool

    private(set) var output: [UInt8] = []
    private(set) var counts = ExitCounts()
    var accesses: [Access] = []
    private(set) var uart = UART()
    private(set) var consoleStatus = ParavirtualConsole.Status.noRequest

    init(memory: GuestRAM, outputLimit: Int, exitLimit: Int, recordsAccesses: Bool) {
        self.memory = memory
        self.outputLimit = outputLimit
        self.exitLimit = exitLimit
        self.recordsAccesses = recordsAccesses
        output.reserveCapacity(min(outputLimit, 256))
    }

    mutating func dispatch(_ exit: VMExit) -> DispatchAction {
        counts[exit.kind] += 1
        let action = handle(exit)
        if case .resume = action, counts.total >= exitLimit { return .end(.exitLimit) }
        return action
    }

    private mutating func handle(_ exit: VMExit) -> DispatchAction {
        switch exit {
        case .io(let access, let data):
            return handlePorts(access, data: data)
        case .mmio(let address, let size, let isWrite, let data):
            // Open bus: reads return all ones, writes are ignored.
            let width = min(max(size, 0), data.count)
            if !isWrite { for i in 0..<width { data[i] = 0xFF } }
            record(isWrite ? .mmioWrite : .mmioRead, address: address, size: width, value: Self.value(data, 0, width))
            return .resume
        case .hlt:
            return .end(.halt)
        case .debug:
            return .resume
        case .interrupted(let timedOut):
            return timedOut ? .end(.timeout) : .resume
        case .shutdown:
            return crash(.shutdown, 0, "KVM_EXIT_SHUTDOWN: triple fault, or an exception the guest could not take")
        case .internalError(let suberror):
            let what = [1: "emulation failure", 2: "exception while delivering an exception",
                        3: "failed event delivery", 4: "unexpected exit reason"][suberror] ?? "unknown suberror"
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

    private mutating func handlePorts(_ access: PortAccess, data: UnsafeMutableRawBufferPointer) -> DispatchAction {
        let size = access.size
        guard size > 0, access.count > 0, size * access.count <= data.count else {
            return crash(.other, 0, "malformed port I/O exit (size \(size), count \(access.count))")
        }
        for element in 0..<access.count {
            let offset = element * size
            if access.isWrite {
                let value = Self.value(data, offset, size)
                record(.ioOut, port: access.port, size: size, value: value)
                if case .end(let reason) = portWrite(access.port, size: size, value: value, data: data, offset: offset) {
                    return .end(reason)
                }
            } else {
                portRead(access.port, size: size, into: data, offset: offset)
                record(.ioIn, port: access.port, size: size, value: Self.value(data, offset, size))
            }
        }
        return .resume
    }

    private mutating func portWrite(_ port: UInt16, size: Int, value: UInt64,
                                    data: UnsafeMutableRawBufferPointer, offset: Int) -> DispatchAction {
        switch port {
        case GuestLayout.exitPort:
            return .end(.exited(status: UInt8(truncatingIfNeeded: value)))
        case GuestLayout.paravirtualConsolePort:
            guard size == 4 else {
                consoleStatus = .badAccessSize
                return .resume
            }
            switch ParavirtualConsole.request(at: UInt32(truncatingIfNeeded: value), memory: memory,
                                              outputCount: output.count, outputLimit: outputLimit) {
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

    private func portRead(_ port: UInt16, size: Int, into data: UnsafeMutableRawBufferPointer, offset: Int) {
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

    private mutating func record(_ kind: ExitKind, port: UInt16? = nil, address: UInt64? = nil, size: Int, value: UInt64?) {
        guard recordsAccesses else { return }
        accesses.append(Access(kind: kind, port: port, address: address, size: size, value: value))
    }

    /// The little-endian value of `size` bytes at `offset` (size ≤ 8).
    private static func value(_ data: UnsafeMutableRawBufferPointer, _ offset: Int, _ size: Int) -> UInt64 {
        (0..<min(size, 8)).reduce(0) { $0 | UInt64(data[offset + $1]) << (8 * UInt64($1)) }
    }
}
