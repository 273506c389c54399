/// The machine a guest runs on (docs/guest-machine.md).
public enum MachineProfile: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// The lesson machine: one vCPU, COM1, the exit port and the paravirtual console; no interrupt
    /// controller and no timer. Every lesson exercise runs on it; it never changes under them.
    case lesson
    /// A small PC: KVM's in-kernel 8259 PICs, IOAPIC, local APICs and 8254 PIT, 1 to 8 vCPUs started
    /// as a PC starts them, QEMU's firmware configuration interface, and a fixed CPU model. The
    /// default for Multiboot kernels.
    case pc

    public var description: String { rawValue }

    /// The version of this machine's guest contract (`RunResult.machineVersion`): bump the one that
    /// changed. The lesson machine's is `GuestMachine.version`, which every lesson record carries.
    public var version: String {
        switch self {
        case .lesson: GuestMachine.version
        case .pc: GuestMachine.pcVersion
        }
    }
}

/// The CPUID a `pc` machine's vCPUs see.
public enum CPUModel: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// A fixed, documented model in the spirit of QEMU's `qemu64` (`PCCPUModel`), masked by what the
    /// host's KVM supports, with every removed bit recorded in the result.
    case hypercourse64
    /// Whatever KVM_GET_SUPPORTED_CPUID reports, as QEMU's `-cpu host`: for comparisons with QEMU.
    /// Results then depend on the host's CPU.
    case host

    public var description: String { rawValue }
}

extension MachineConfig {
    public static let cpusRange = 1...8

    /// Throws `invalidConfiguration` when the machine options contradict each other.
    func validateMachine() throws(KVMError) {
        guard Self.cpusRange.contains(cpus) else {
            throw .invalidConfiguration("cpus must be \(Self.cpusRange.lowerBound) to \(Self.cpusRange.upperBound), not \(cpus)")
        }
        if machine == .lesson {
            guard cpus == 1 else {
                throw .invalidConfiguration("the lesson machine has one vCPU; \(cpus) need the pc machine (machine=pc)")
            }
            guard cpu == .hypercourse64 else {
                throw .invalidConfiguration("the lesson machine has its own fixed CPUID; a CPU model needs the pc machine")
            }
        }
        if steps > 0 && cpus > 1 {
            throw .invalidConfiguration("single-stepping needs one vCPU; this machine has \(cpus)")
        }
    }
}
