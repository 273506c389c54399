import CKVM

#if canImport(Glibc)
    import Glibc
#endif

/// The KVM device (`/dev/kvm`): opened once, checked once, shared by every run.
///
/// `run` is synchronous and blocks its calling thread until the guest ends. It is safe to call from
/// many threads at once: each call creates, runs and destroys its own VM, and the only shared state is
/// this immutable object and the process-wide watchdog.
public final class KVMSystem: Sendable {
    /// The only stable KVM API version there has ever been.
    public static let apiVersion: Int32 = 12
    public static let defaultDevicePath = "/dev/kvm"

    public let devicePath: String
    /// The kind of KVM host, recorded in every result.
    public let host: HostKind
    let fd: Int32
    let vcpuMapSize: Int
    /// Intel hosts need KVM_SET_TSS_ADDR for real mode; on others it is harmless where supported.
    let needsTSSAddress: Bool
    let hasSyncRegisters: Bool
    let hasGuestDebug: Bool
    let hasInterruptControllers: Bool
    /// KVM_GET_SUPPORTED_CPUID: what the `pc` machine's CPU model is masked by, and `--cpu host`.
    let supportedCPUID: [CPUIDTable.Entry]
    static let cpuidBuffer = CPUIDTable.kvmBuffer()

    /// Opens and checks the device. Throws `deviceMissing`, `permissionDenied`, `wrongAPIVersion` or
    /// `unsupported` when KVM cannot be used, so callers can tell those apart.
    public init(devicePath: String = KVMSystem.defaultDevicePath, host: HostKind = .detect()) throws(KVMError) {
        let fd = open(devicePath, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw KVMError(openingDevice: devicePath, errno: .current) }
        func fail(_ error: KVMError) -> KVMError {
            close(fd)
            return error
        }
        let version = ckvm_ioctl_value(fd, CKVM_GET_API_VERSION, 0)
        guard version >= 0 else {
            throw fail(.unsupported(path: devicePath, reason: "not a KVM device (KVM_GET_API_VERSION: \(Errno.current))"))
        }
        guard version == Self.apiVersion else { throw fail(.wrongAPIVersion(path: devicePath, found: version)) }
        func has(_ capability: Int32) -> Bool { ckvm_ioctl_value(fd, CKVM_CHECK_EXTENSION, UInt(capability)) > 0 }
        for (capability, name) in [
            (KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY"),
            (KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT"),
            (KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID")
        ] where !has(capability) {
            throw fail(.unsupported(path: devicePath, reason: "KVM lacks \(name)"))
        }
        let mapSize = ckvm_ioctl_value(fd, CKVM_GET_VCPU_MMAP_SIZE, 0)
        guard mapSize >= MemoryLayout<kvm_run>.size else {
            throw fail(.unsupported(path: devicePath, reason: "KVM_GET_VCPU_MMAP_SIZE returned \(mapSize)"))
        }
        self.devicePath = devicePath
        self.host = host
        self.fd = fd
        self.vcpuMapSize = Int(mapSize)
        self.needsTSSAddress = has(KVM_CAP_SET_TSS_ADDR)
        self.hasSyncRegisters = ckvm_ioctl_value(fd, CKVM_CHECK_EXTENSION, UInt(KVM_CAP_SYNC_REGS)) & 3 == 3
        self.hasGuestDebug = has(KVM_CAP_SET_GUEST_DEBUG)
        self.hasInterruptControllers = has(KVM_CAP_IRQCHIP) && has(KVM_CAP_PIT2)
        self.supportedCPUID = Self.supportedCPUID(fd)
    }

    /// The host's supported CPUID entries (empty if KVM will not say, which masks every feature away
    /// and records that).
    private static func supportedCPUID(_ fd: Int32) -> [CPUIDTable.Entry] {
        let capacity = 256
        let header = MemoryLayout<kvm_cpuid2>.size, stride = MemoryLayout<kvm_cpuid_entry2>.stride
        var buffer = [UInt8](repeating: 0, count: header + capacity * stride)
        buffer.withUnsafeMutableBytes { $0.storeBytes(of: UInt32(capacity), toByteOffset: 0, as: UInt32.self) }
        // Safe: the buffer holds the header and `capacity` entries, as nent says.
        let result = buffer.withUnsafeMutableBytes { ckvm_ioctl_pointer(fd, CKVM_GET_SUPPORTED_CPUID, $0.baseAddress) }
        return result == 0 ? CPUIDTable.entries(fromKVM: buffer) : []
    }

    deinit { close(fd) }

    /// Runs `image` on a fresh VM until it ends, and returns what happened. Guest failures (crash,
    /// timeout, limits) are results; only host-side failures, invalid configurations and requests this
    /// host cannot serve (`notSupportedOnHost`) throw.
    public func run(_ image: [UInt8], config: MachineConfig = MachineConfig()) throws(KVMError) -> RunResult {
        try run(.flat(image), config: config)
    }

    /// Runs a flat image or boots a Multiboot kernel (`GuestImage`); as `run(_:config:)`.
    public func run(_ image: GuestImage, config: MachineConfig = MachineConfig()) throws(KVMError) -> RunResult {
        let boot = try GuestBoot(image, config: config)
        if config.stepping && !hasGuestDebug {
            throw .notSupportedOnHost("single-stepping needs KVM_CAP_SET_GUEST_DEBUG, which \(devicePath) lacks")
        }
        if config.machine == .pc && !hasInterruptControllers {
            throw .notSupportedOnHost("the pc machine needs KVM_CAP_IRQCHIP and KVM_CAP_PIT2, which \(devicePath) lacks")
        }
        if config.stepping && config.mode == .user && host == .pvm {
            // Measured: PVM runs ring-3 code natively and reflects the single-step #DB into the guest,
            // which has no IDT, so the guest shuts down after one instruction instead of KVM exiting.
            throw .notSupportedOnHost(
                "single-stepping a user-mode guest does not work on PVM hosts (the ring-3 "
                    + "debug trap goes to the guest, not to KVM); step a long-mode guest instead")
        }
        return try GuestRun(system: self, config: config).execute(boot)
    }
}
