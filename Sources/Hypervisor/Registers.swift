import CKVM

/// The general registers, RIP and RFLAGS of the vCPU.
public struct Registers: Sendable, Hashable, Codable {
    public var rax: UInt64 = 0, rbx: UInt64 = 0, rcx: UInt64 = 0, rdx: UInt64 = 0
    public var rsi: UInt64 = 0, rdi: UInt64 = 0, rsp: UInt64 = 0, rbp: UInt64 = 0
    public var r8: UInt64 = 0, r9: UInt64 = 0, r10: UInt64 = 0, r11: UInt64 = 0
    public var r12: UInt64 = 0, r13: UInt64 = 0, r14: UInt64 = 0, r15: UInt64 = 0
    public var rip: UInt64 = 0, rflags: UInt64 = 0

    public init() {}

    /// Register names in their display order (the order of `named`).
    public static let names = [
        "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rsp", "rbp",
        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "rflags"
    ]

    /// Every register with its name, in `names` order.
    public var named: [(name: String, value: UInt64)] {
        let values = [rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp, r8, r9, r10, r11, r12, r13, r14, r15, rip, rflags]
        return zip(Self.names, values).map { ($0, $1) }
    }

    /// Registers whose value differs from `earlier`, in `names` order.
    public func changes(since earlier: Registers) -> [(name: String, before: UInt64, after: UInt64)] {
        zip(earlier.named, named).compactMap { old, new in
            old.value == new.value ? nil : (new.name, old.value, new.value)
        }
    }

    init(_ r: kvm_regs) {
        rax = r.rax; rbx = r.rbx; rcx = r.rcx; rdx = r.rdx
        rsi = r.rsi; rdi = r.rdi; rsp = r.rsp; rbp = r.rbp
        r8 = r.r8; r9 = r.r9; r10 = r.r10; r11 = r.r11
        r12 = r.r12; r13 = r.r13; r14 = r.r14; r15 = r.r15
        rip = r.rip; rflags = r.rflags
    }
}
