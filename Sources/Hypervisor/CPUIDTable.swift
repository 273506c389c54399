import CKVM

/// The fixed CPUID table every guest sees, set with KVM_SET_CPUID2 and never passed through from the
/// host, so results do not depend on the host CPU. docs/guest-machine.md lists it; bench/hypervisor/
/// kvm_hello.c repeats it. Changing it changes what guests observe: bump `GuestMachine.version`.
///
/// Features are a conservative x86-64 baseline every 64-bit host has (so a guest never sees a feature
/// the host cannot run), plus the "hypervisor present" bit. KVM also gates state on these bits: EFER.LME
/// needs `lm`, EFER.NXE needs `nx`, EFER.SCE needs `syscall`.
public enum CPUIDTable {
    public struct Entry: Sendable, Hashable {
        public var function: UInt32
        public var index: UInt32 = 0
        public var eax: UInt32 = 0, ebx: UInt32 = 0, ecx: UInt32 = 0, edx: UInt32 = 0
        var indexIsSignificant = false
        /// KVM's flags for the entry as KVM_GET_SUPPORTED_CPUID gave them (0 for the tables here).
        var kvmFlags: UInt32 = 0
    }

    /// The vendor string (leaf 0) and hypervisor signature (leaf 0x4000_0000): 12 bytes.
    public static let vendor = "Hypercourse "
    /// The brand string (leaves 0x8000_0002 ... 0x8000_0004).
    public static let brand = "Hypercourse virtual CPU"

    /// Leaf 1 EDX: fpu de pse tsc msr pae cx8 pge cmov pat clflush mmx fxsr sse sse2.
    static let leaf1EDX: UInt32 = bits(0, 2, 3, 4, 5, 6, 8, 13, 15, 16, 19, 23, 24, 25, 26)
    /// Leaf 1 ECX: sse3, hypervisor.
    static let leaf1ECX: UInt32 = bits(0, 31)
    /// Leaf 0x8000_0001 EDX: syscall nx lm. ECX: lahf_lm.
    static let extendedEDX: UInt32 = bits(11, 20, 29)

    public static let entries: [Entry] = {
        let (vb, vc, vd) = registers(vendor)
        var list = [
            Entry(function: 0, eax: 7, ebx: vb, ecx: vd, edx: vc), // vendor order is EBX, EDX, ECX
            // Family 6, model 0, stepping 1; CLFLUSH line 8 × 8 bytes; one logical processor.
            Entry(function: 1, eax: 0x0000_0601, ebx: 0x0001_0800, ecx: leaf1ECX, edx: leaf1EDX),
            Entry(function: 7, indexIsSignificant: true), // no structured extended features
            Entry(function: 0x4000_0000, eax: 0x4000_0000, ebx: vb, ecx: vc, edx: vd),
            Entry(function: 0x8000_0000, eax: 0x8000_0008),
            Entry(function: 0x8000_0001, ecx: 1, edx: extendedEDX)
        ]
        list += brandEntries(brand)
        list.append(Entry(function: 0x8000_0008, eax: 0x3024)) // 36 physical, 48 linear address bits
        return list
    }()

    /// Leaves 0x8000_0002 ... 0x8000_0004: a brand string of up to 48 bytes, NUL-padded.
    static func brandEntries(_ brand: String) -> [Entry] {
        var brandBytes = Array(brand.utf8.prefix(47))
        brandBytes += [UInt8](repeating: 0, count: 48 - brandBytes.count)
        return (0..<3).map { leaf in
            let word = { (i: Int) in word32(brandBytes, at: leaf * 16 + i * 4) }
            return Entry(function: 0x8000_0002 + UInt32(leaf), eax: word(0), ebx: word(1), ecx: word(2), edx: word(3))
        }
    }

    /// The table as KVM_SET_CPUID2 takes it: a kvm_cpuid2 header followed by the entries.
    static func kvmBuffer() -> [UInt8] { kvmBuffer(entries) }

    static func kvmBuffer(_ entries: [Entry]) -> [UInt8] {
        let header = MemoryLayout<kvm_cpuid2>.size, stride = MemoryLayout<kvm_cpuid_entry2>.stride
        var buffer = [UInt8](repeating: 0, count: header + entries.count * stride)
        buffer.withUnsafeMutableBytes { raw in
            // Safe: the buffer is sized for the header plus every entry, and both types are plain C structs.
            raw.storeBytes(of: UInt32(entries.count), toByteOffset: 0, as: UInt32.self)
            for (i, e) in entries.enumerated() {
                var entry = kvm_cpuid_entry2()
                entry.function = e.function
                entry.index = e.index
                entry.flags = e.kvmFlags | (e.indexIsSignificant ? UInt32(KVM_CPUID_FLAG_SIGNIFCANT_INDEX) : 0)
                entry.eax = e.eax
                entry.ebx = e.ebx
                entry.ecx = e.ecx
                entry.edx = e.edx
                raw.storeBytes(of: entry, toByteOffset: header + i * stride, as: kvm_cpuid_entry2.self)
            }
        }
        return buffer
    }

    /// The entries of a kvm_cpuid2 buffer as KVM filled it (KVM_GET_SUPPORTED_CPUID).
    static func entries(fromKVM buffer: [UInt8]) -> [Entry] {
        let header = MemoryLayout<kvm_cpuid2>.size, stride = MemoryLayout<kvm_cpuid_entry2>.stride
        return buffer.withUnsafeBytes { raw -> [Entry] in
            // Safe: nent is checked against the buffer's size before any entry is read.
            let count = Int(raw.load(fromByteOffset: 0, as: UInt32.self))
            guard header + count * stride <= raw.count else { return [] }
            return (0..<count).map { i in
                let e = raw.loadUnaligned(fromByteOffset: header + i * stride, as: kvm_cpuid_entry2.self)
                return Entry(
                    function: e.function, index: e.index, eax: e.eax, ebx: e.ebx, ecx: e.ecx, edx: e.edx,
                    indexIsSignificant: e.flags & UInt32(KVM_CPUID_FLAG_SIGNIFCANT_INDEX) != 0,
                    kvmFlags: e.flags & ~UInt32(KVM_CPUID_FLAG_SIGNIFCANT_INDEX))
            }
        }
    }

    static func bits(_ positions: Int...) -> UInt32 {
        positions.reduce(0) { $0 | 1 << UInt32($1) }
    }

    private static func word32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(LittleEndian.value(bytes, at: offset, size: 4))
    }

    static func registers(_ text: String) -> (UInt32, UInt32, UInt32) {
        let bytes = Array(text.utf8)
        precondition(bytes.count == 12, "a CPUID string is 12 bytes")
        return (word32(bytes, at: 0), word32(bytes, at: 4), word32(bytes, at: 8))
    }
}
