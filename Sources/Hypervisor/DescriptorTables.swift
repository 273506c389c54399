import CKVM

/// Segment descriptors and IDT gates as the guest wrote them in its tables: pure decoding, for the
/// instructions the hypervisor completes on hosts whose emulator cannot (`InterruptAssist`).
struct SegmentDescriptor: Sendable, Hashable {
    let raw: UInt64

    var base: UInt64 { (raw >> 16 & 0xFF_FFFF) | (raw >> 56 & 0xFF) << 24 }
    var granularity: Bool { raw >> 55 & 1 == 1 }
    /// The limit in bytes − 1, scaled by the granularity bit.
    var limit: UInt32 {
        let raw20 = UInt32(raw & 0xFFFF) | UInt32(raw >> 48 & 0xF) << 16
        return granularity ? raw20 << 12 | 0xFFF : raw20
    }
    var type: UInt8 { UInt8(raw >> 40 & 0xF) }
    /// S: a code or data segment (not a system descriptor).
    var isCodeOrData: Bool { raw >> 44 & 1 == 1 }
    var dpl: UInt8 { UInt8(raw >> 45 & 3) }
    var present: Bool { raw >> 47 & 1 == 1 }
    var isCode: Bool { isCodeOrData && type & 0x8 != 0 }
    var isWritableData: Bool { isCodeOrData && type & 0xA == 0x2 }

    /// The segment register KVM takes, with the accessed bit set as the CPU sets it on a load.
    func segment(selector: UInt16) -> kvm_segment {
        var s = kvm_segment()
        s.base = base
        s.limit = limit
        s.selector = selector
        s.type = type | 1
        s.present = present ? 1 : 0
        s.dpl = dpl
        s.db = UInt8(raw >> 54 & 1)
        s.s = isCodeOrData ? 1 : 0
        s.l = UInt8(raw >> 53 & 1)
        s.g = granularity ? 1 : 0
        s.avl = UInt8(raw >> 52 & 1)
        return s
    }
}

/// An interrupt or trap gate of a protected-mode (8-byte) or long-mode (16-byte) IDT: its first eight
/// bytes, which hold what the privilege check needs (a long-mode gate's upper half is offset only).
struct Gate: Sendable, Hashable {
    let raw: UInt64

    var present: Bool { raw >> 47 & 1 == 1 }
    var dpl: UInt8 { UInt8(raw >> 45 & 3) }
}
