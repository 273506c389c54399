import CKVM

/// The `pc` machine's CPU model, `hypercourse64`: QEMU's `qemu64` in spirit (AMD vendor, family 15
/// model 107 stepping 1; the x86-64 baseline), with the features a kernel needs to run itself: PAE,
/// long mode, its own paging (PSE, PGE, PAT, NX), the local APIC and x2APIC, TSC and MSRs, SSE2.
/// Each vCPU's table differs only in its APIC ID. Before use the table is masked by what the host's
/// KVM supports (`CPUIDTable.masked`), and the bits removed are recorded with the result.
enum PCCPUModel {
    static let vendor = "AuthenticAMD"
    static let brand = "Hypercourse PC CPU (qemu64-like)"
    /// Family 15, model 107 (extended model 6, model 0xB), stepping 1, as qemu64.
    static let signature: UInt32 = 0x0006_0FB1
    static let maxBasicLeaf: UInt32 = 7
    static let maxExtendedLeaf: UInt32 = 0x8000_0008

    /// Leaf 1 EDX: fpu de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx
    /// fxsr sse sse2 (qemu64's).
    static let leaf1EDX = CPUIDTable.bits(0, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 19, 23, 24, 25, 26)
    /// Leaf 1 EDX bit 28, HTT: more than one logical processor. Topology is the VMM's to state, so KVM
    /// never lists it as supported and it is not masked.
    static let hyperThreading = CPUIDTable.bits(28)
    /// Leaf 1 ECX: cx16, x2apic, hypervisor. (qemu64's sse3 is left out: PVM hosts do not offer it,
    /// and a model that lost it on some hosts would make results depend on the host.)
    static let leaf1ECX = CPUIDTable.bits(13, 21, 31)
    /// Leaf 0x8000_0001 EDX: syscall nx lm, plus the leaf-1 bits an AMD CPU repeats there.
    static let extendedEDX = CPUIDTable.bits(11, 20, 29) | (leaf1EDX & 0x0183_F3FF)
    /// Leaf 0x8000_0001 ECX: lahf_lm.
    static let extendedECX = CPUIDTable.bits(0)

    /// The table for vCPU `index` of `cpus`.
    static func entries(index: Int, cpus: Int) -> [CPUIDTable.Entry] {
        let (vb, vc, vd) = CPUIDTable.registers(vendor)
        let (hb, hc, hd) = CPUIDTable.registers(CPUIDTable.vendor)
        // APIC ID, logical processors in the package, CLFLUSH line 8 × 8 bytes.
        let leaf1EBX = UInt32(index) << 24 | UInt32(cpus) << 16 | 0x0800
        var list: [CPUIDTable.Entry] = [
            .init(function: 0, eax: maxBasicLeaf, ebx: vb, ecx: vd, edx: vc),
            .init(
                function: 1, eax: signature, ebx: leaf1EBX, ecx: leaf1ECX,
                edx: leaf1EDX | (cpus > 1 ? hyperThreading : 0))
        ]
        for leaf in UInt32(2)...6 { list.append(.init(function: leaf)) }
        list.append(.init(function: 7, indexIsSignificant: true))
        list.append(.init(function: 0x4000_0000, eax: 0x4000_0000, ebx: hb, ecx: hc, edx: hd))
        list.append(.init(function: 0x8000_0000, eax: maxExtendedLeaf, ebx: vb, ecx: vd, edx: vc))
        list.append(.init(function: 0x8000_0001, eax: signature, ecx: extendedECX, edx: extendedEDX))
        list += CPUIDTable.brandEntries(brand)
        for leaf in UInt32(0x8000_0005)...0x8000_0007 { list.append(.init(function: leaf)) }
        // 40 physical and 48 linear address bits (qemu64's); ECX: cores in the package − 1.
        list.append(.init(function: 0x8000_0008, eax: 0x3028, ecx: UInt32(cpus - 1)))
        return list
    }
}

/// Bits of the CPU model the host's KVM does not support, removed before the vCPU saw them.
public struct RemovedCPUIDBits: Sendable, Hashable, Codable, CustomStringConvertible {
    public var function: UInt32
    public var index: UInt32
    /// `eax`, `ebx`, `ecx` or `edx`.
    public var register: String
    public var bits: UInt32

    public var description: String { "CPUID \(hex(function)).\(index) \(register) \(hex(bits))" }
}

extension CPUIDTable {
    enum Register: String, CaseIterable {
        case eax, ebx, ecx, edx
    }

    /// The registers that hold feature flags, which are masked; the others (vendor, signature,
    /// brand, topology, address sizes) are values, kept as the model states them.
    static let featureRegisters: [UInt32: [Register]] = [1: [.ecx, .edx], 7: [.ebx, .ecx, .edx], 0x8000_0001: [.ecx, .edx]]
    /// Feature bits the model states whatever KVM lists (leaf 1 EDX bit 28, HTT: topology).
    static let unmaskedEDX: [UInt32: UInt32] = [1: PCCPUModel.hyperThreading]

    /// `entries` with every feature bit that `supported` lacks cleared, and what was cleared.
    static func masked(_ entries: [Entry], by supported: [Entry]) -> (entries: [Entry], removed: [RemovedCPUIDBits]) {
        var removed: [RemovedCPUIDBits] = []
        let result = entries.map { entry -> Entry in
            guard let registers = featureRegisters[entry.function] else { return entry }
            let host = supported.first { $0.function == entry.function && $0.index == entry.index } ?? Entry(function: entry.function)
            var entry = entry
            for register in registers {
                let allowed = host[register] | (register == .edx ? unmaskedEDX[entry.function] ?? 0 : 0)
                let lost = entry[register] & ~allowed
                if lost != 0 {
                    removed.append(RemovedCPUIDBits(function: entry.function, index: entry.index, register: register.rawValue, bits: lost))
                }
                entry[register] &= allowed
            }
            return entry
        }
        return (result, removed)
    }

    /// `-cpu host`: the host's supported table, with each vCPU's APIC ID where a PC states it
    /// (leaf 1 EBX bits 31–24; the x2APIC ID in EDX of leaves 0xB and 0x1F).
    static func host(_ supported: [Entry], index: Int, cpus: Int) -> [Entry] {
        supported.map { entry in
            var entry = entry
            switch entry.function {
            case 1: entry.ebx = entry.ebx & 0x0000_FFFF | UInt32(index) << 24 | UInt32(cpus) << 16
            case 0xB, 0x1F: entry.edx = UInt32(index)
            default: break
            }
            return entry
        }
    }
}

extension CPUIDTable.Entry {
    subscript(register: CPUIDTable.Register) -> UInt32 {
        get {
            switch register {
            case .eax: eax
            case .ebx: ebx
            case .ecx: ecx
            case .edx: edx
            }
        }
        set {
            switch register {
            case .eax: eax = newValue
            case .ebx: ebx = newValue
            case .ecx: ecx = newValue
            case .edx: edx = newValue
            }
        }
    }
}
