/// One return from KVM_RUN, decoded from the kvm_run union (in `VCPU.decodeExit`, the one place that
/// reads it). Access data stays in kvm_run's own buffer: the dispatcher reads written values from it
/// and writes values the guest reads into it, with no copy on the hot path.
enum VMExit {
    /// Port I/O. `data` holds `count` elements of `size` bytes (count > 1 for `rep ins/outs`).
    case io(PortAccess, data: UnsafeMutableRawBufferPointer)
    /// An access to a guest-physical address with no RAM behind it. `data` is kvm_run's 8-byte buffer.
    case mmio(address: UInt64, size: Int, isWrite: Bool, data: UnsafeMutableRawBufferPointer)
    case hlt
    case shutdown
    case internalError(suberror: UInt32)
    case failEntry(reason: UInt64)
    case exception(vector: UInt32, errorCode: UInt32)
    case debug(pc: UInt64)
    case systemEvent(type: UInt32)
    /// KVM_RUN returned EINTR; `timedOut` when the watchdog sent it.
    case interrupted(timedOut: Bool)
    /// KVM_RUN failed with another errno.
    case runFailed(Errno)
    /// KVM_RUN returned EAGAIN without running the guest: an application processor that was waiting
    /// for INIT and SIPI has received them. Not an exit of the guest: the run loop re-enters at once.
    case again
    case unknown(reason: UInt32)

    var kind: ExitKind {
        switch self {
        case .io(let access, _): access.isWrite ? .ioOut : .ioIn
        case .mmio(_, _, let isWrite, _): isWrite ? .mmioWrite : .mmioRead
        case .hlt: .hlt
        case .shutdown: .shutdown
        case .internalError: .internalError
        case .failEntry: .failEntry
        case .exception: .exception
        case .debug: .debug
        case .systemEvent: .systemEvent
        case .interrupted, .again: .interrupted
        case .runFailed, .unknown: .other
        }
    }
}

struct PortAccess: Sendable, Hashable {
    var port: UInt16
    /// Bytes per element: 1, 2 or 4.
    var size: Int
    /// Elements: 1, or more for a string instruction.
    var count: Int
    var isWrite: Bool
}

/// One device access, as the trace records it (the run loop adds the exit number and RIP).
struct Access: Sendable, Hashable {
    var kind: ExitKind
    var port: UInt16?
    var address: UInt64?
    var size: Int
    var value: UInt64?
}
