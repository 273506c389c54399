#if canImport(Glibc)
    import Glibc
#endif

/// Which kind of KVM produced a result. Recorded with every result, because some guest behaviour
/// differs between them (see docs/guest-machine.md, "Host differences").
public enum HostKind: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// PVM (`kvm_pvm`): nested, no hardware virtualization; ring-0 code runs through KVM's emulator.
    case pvm
    /// Hardware KVM on Intel VT-x (`kvm_intel`).
    case vmx
    /// Hardware KVM on AMD-V (`kvm_amd`).
    case svm
    case unknown

    /// A phrase for people, e.g. `PVM (kvm_pvm)` or `hardware (Intel VT-x)`.
    public var description: String {
        switch self {
        case .pvm: "PVM (kvm_pvm)"
        case .vmx: "hardware (Intel VT-x)"
        case .svm: "hardware (AMD-V)"
        case .unknown: "unknown KVM host"
        }
    }

    /// Looks at the loaded kernel modules. PVM is checked first: a PVM host may load kvm_intel too.
    public static func detect(sysModule: String = "/sys/module") -> HostKind {
        for (module, kind) in [("kvm_pvm", HostKind.pvm), ("kvm_intel", .vmx), ("kvm_amd", .svm)]
        where access(sysModule + "/" + module, F_OK) == 0 {
            return kind
        }
        return .unknown
    }
}
