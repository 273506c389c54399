import Multiboot

#if canImport(Glibc)
    import Glibc
#endif

/// An errno value, typed (as swift-system's `Errno`, without the dependency).
public struct Errno: Error, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The calling thread's current errno.
    static var current: Errno { Errno(rawValue: errno) }

    public static let interrupted = Errno(rawValue: EINTR)
    public static let tryAgain = Errno(rawValue: EAGAIN)
    public static let noSuchFile = Errno(rawValue: ENOENT)
    public static let permissionDenied = Errno(rawValue: EACCES)
    public static let notPermitted = Errno(rawValue: EPERM)
    public static let noDevice = Errno(rawValue: ENODEV)
    public static let noDeviceOrAddress = Errno(rawValue: ENXIO)
    public static let notADirectory = Errno(rawValue: ENOTDIR)

    public var description: String { String(cString: strerror(rawValue)) }
}

/// Why the hypervisor could not run a guest. A guest that crashes is not an error: it is a `RunResult`
/// whose end is `.crash`. These are failures of the host side.
public enum KVMError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The KVM device file does not exist (no KVM module loaded, or a wrong `--kvm-device`).
    case deviceMissing(path: String)
    /// The device exists but this user may not open it (not root, not in group `kvm`).
    case permissionDenied(path: String)
    /// The device answered with an API version other than the stable 12.
    case wrongAPIVersion(path: String, found: Int32)
    /// The path opened but is not a KVM device, or KVM lacks a capability the hypervisor relies on.
    case unsupported(path: String, reason: String)
    /// A system call failed while setting up or tearing down a VM.
    case systemCall(String, Errno)
    /// The machine configuration or image is out of range.
    case invalidConfiguration(String)
    /// A Multiboot kernel (or one of its modules) cannot be loaded: the file is truncated or
    /// malformed, or asks for memory outside RAM.
    case badKernel(BootError)
    /// KVM works, but not for what this run asks of it on this kind of host (single-stepping a
    /// user-mode guest on PVM, steps without KVM_CAP_SET_GUEST_DEBUG). Other runs can go ahead.
    case notSupportedOnHost(String)

    /// Maps a failed `open` of the device to the distinct cases above. Anything else (EMFILE, ENOMEM,
    /// ELOOP, ...) is a `systemCall` failure: the machine may well have KVM, so it is not `isUnavailable`.
    init(openingDevice path: String, errno: Errno) {
        switch errno {
        case .noSuchFile, .noDevice, .noDeviceOrAddress, .notADirectory: self = .deviceMissing(path: path)
        case .permissionDenied, .notPermitted: self = .permissionDenied(path: path)
        default: self = .systemCall("open \(path)", errno)
        }
    }

    /// True when KVM cannot be used at all on this machine (as opposed to a bad configuration, a
    /// failing system call, or a feature one run needs).
    public var isUnavailable: Bool {
        switch self {
        case .deviceMissing, .permissionDenied, .wrongAPIVersion, .unsupported: true
        case .systemCall, .invalidConfiguration, .badKernel, .notSupportedOnHost: false
        }
    }

    public var description: String {
        switch self {
        case .deviceMissing(let path):
            "\(path) does not exist: this machine has no KVM (load kvm_intel, kvm_amd or kvm_pvm)"
        case .permissionDenied(let path):
            "no permission to open \(path): run as root or join the 'kvm' group"
        case .wrongAPIVersion(let path, let found):
            "\(path) speaks KVM API version \(found), but only version \(KVMSystem.apiVersion) is supported"
        case .unsupported(let path, let reason):
            "\(path) cannot be used: \(reason)"
        case .systemCall(let call, let errno):
            "\(call) failed: \(errno) (errno \(errno.rawValue))"
        case .invalidConfiguration(let message):
            message
        case .badKernel(let error):
            error.message
        case .notSupportedOnHost(let reason):
            "not supported on this host: \(reason)"
        }
    }
}
