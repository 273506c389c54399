import Multiboot

/// Every guest-physical address and port the machine uses, in one place. docs/guest-machine.md
/// describes the same map; keep the two (and bench/hypervisor/kvm_hello.c) in step.
///
///     0x0000_0500  GDT (9 descriptors; protected, long and user modes)
///     0x0000_1000  PML4            ┐
///     0x0000_2000  PDPT            │ page tables (long and user modes):
///     0x0000_3000  4 page dirs.    ┘ 2 MiB pages, identity map of 0 .. 4 GiB
///     0x0000_7000  ring-0 stack, top at 0x7C00 (TSS RSP0/ESP0)
///     0x0000_7C00  real-mode image
///     0x0000_8000  TSS + I/O permission bitmap (all ports allowed) + terminator, to 0xA068
///     0x0010_0000  protected/long/user image
///     top of RAM   initial stack (protected/long/user)
///
/// In real mode nothing but the image is written: the low memory a PC BIOS would fill stays zero.
public enum GuestLayout {
    public static let gdtAddress: UInt64 = 0x500
    public static let pml4Address: UInt64 = 0x1000
    public static let pdptAddress: UInt64 = 0x2000
    public static let pageDirectoryAddress: UInt64 = 0x3000
    /// Page directories, one per GiB identity-mapped.
    public static let pageDirectoryCount = 4
    public static let ring0StackTop: UInt64 = 0x7C00
    public static let realModeLoadAddress: UInt64 = 0x7C00
    public static let tssAddress: UInt64 = 0x8000
    /// 104-byte TSS, then the 8 KiB I/O permission bitmap; the byte at this offset is the 0xFF terminator.
    public static let tssLimit: UInt32 = 104 + 8192
    public static let highLoadAddress: UInt64 = 0x10_0000
    /// KVM_SET_TSS_ADDR: three pages KVM itself needs on Intel hosts (real mode on VT-x), outside RAM.
    public static let kvmTSSAddress: UInt64 = 0xFFFB_D000

    // MARK: segment selectors (GDT indices × 8, RPL in the low bits)
    public static let code32Selector: UInt16 = 0x08
    public static let data32Selector: UInt16 = 0x10
    public static let code64Selector: UInt16 = 0x18
    public static let data64Selector: UInt16 = 0x20
    public static let userCode64Selector: UInt16 = 0x28 | 3
    public static let userDataSelector: UInt16 = 0x30 | 3
    public static let tssSelector: UInt16 = 0x38

    /// GDT entries: null, code32, data, code64, data, user code64, user data, and the 16-byte TSS
    /// descriptor (its high half reads as a null descriptor in protected mode).
    static let gdtEntries: [UInt64] = [
        0,
        0x00CF_9B00_0000_FFFF, // 0x08 code, 32-bit, ring 0
        0x00CF_9300_0000_FFFF, // 0x10 data, ring 0
        0x00AF_9B00_0000_FFFF, // 0x18 code, 64-bit, ring 0
        0x00CF_9300_0000_FFFF, // 0x20 data, ring 0
        0x00AF_FB00_0000_FFFF, // 0x28 code, 64-bit, ring 3
        0x00CF_F300_0000_FFFF, // 0x30 data, ring 3
        tssDescriptorLow, // 0x38 TSS (busy), low half
        tssAddress >> 32 //      TSS, high half
    ]
    static var gdtLimit: UInt16 { UInt16(gdtEntries.count * 8 - 1) }

    private static var tssDescriptorLow: UInt64 {
        let base = tssAddress, limit = UInt64(tssLimit)
        return (limit & 0xFFFF) | (base & 0xFF_FFFF) << 16 | 0x8B << 40 | (limit >> 16 & 0xF) << 48
            | (base >> 24 & 0xFF) << 56
    }

    // MARK: ports

    /// COM1, the 16550 UART whose transmit register is the guest's output.
    public static let com1Port: UInt16 = 0x3F8
    /// A write of v ends the run with status v & 0xFF.
    public static let exitPort: UInt16 = 0xF4
    /// The paravirtual console (see `ParavirtualConsole`).
    public static let paravirtualConsolePort: UInt16 = 0x500
    /// With the dirty log on, a write of a checkpoint number here records the pages written since
    /// the previous checkpoint (`Checkpoint`).
    public static let checkpointPort: UInt16 = 0x508

    /// Writes the tables a mode needs into RAM (zero-filled, at least 1 MiB). Real mode needs none.
    static func writeTables(for mode: GuestMode, into ram: GuestRAM) {
        guard mode != .real else { return }
        for (index, entry) in gdtEntries.enumerated() {
            ram.store(entry, at: gdtAddress + UInt64(index * 8))
        }
        // TSS: the ring-0 stack for a privilege change, and the I/O bitmap offset (104). The bitmap
        // itself is the zero-filled RAM after the TSS: every port allowed. PVM honours the bitmap, not
        // IOPL, for ring-3 port I/O; hardware honours either.
        if mode == .protected {
            ram.store(UInt32(ring0StackTop), at: tssAddress + 4)
            ram.store(UInt16(data32Selector), at: tssAddress + 8)
        } else {
            ram.store(ring0StackTop, at: tssAddress + 4)
        }
        ram.store(UInt16(104), at: tssAddress + 102)
        ram.store(UInt8(0xFF), at: tssAddress + UInt64(tssLimit))
        guard mode.usesPaging else { return }
        let present: UInt64 = 1, writable: UInt64 = 2, user: UInt64 = 4, large: UInt64 = 0x80
        ram.store(pdptAddress | present | writable | user, at: pml4Address)
        for directory in 0..<pageDirectoryCount {
            let directoryAddress = pageDirectoryAddress + UInt64(directory) * 0x1000
            ram.store(directoryAddress | present | writable | user, at: pdptAddress + UInt64(directory) * 8)
        }
        // 2,048 entries: checked once as a block, then written in a tight loop.
        let entries = pageDirectoryCount * 512
        guard let block = ram.bytes(at: pageDirectoryAddress, count: UInt64(entries * 8)) else {
            preconditionFailure("page directories outside guest RAM")
        }
        // Safe: the block lies inside RAM (checked just above); x86 is little-endian like the guest.
        let pd = UnsafeMutableRawPointer(mutating: block.baseAddress!).assumingMemoryBound(to: UInt64.self)
        for entry in 0..<entries {
            pd[entry] = UInt64(entry) << 21 | present | writable | user | large
        }
    }
}

extension GuestLayout {
    /// Where a Multiboot kernel's entry GDT goes: inside the loader's area, which no segment may use.
    public static let multibootGDTAddress: UInt64 = MultibootLayout.gdtAddress
    /// QEMU's Multiboot loader's GDT: null, 0x08 flat 32-bit code, 0x10 flat data, 0x18 16-bit code,
    /// 0x20 16-bit data. Kernels load their own; these are only what CS and the data segments came from.
    static let multibootGDTEntries: [UInt64] = [
        0, 0x00CF_9A00_0000_FFFF, 0x00CF_9200_0000_FFFF, 0x0000_9E00_0000_FFFF, 0x0000_9200_0000_FFFF
    ]

    static func writeMultibootGDT(into ram: GuestRAM) {
        for (index, entry) in multibootGDTEntries.enumerated() {
            ram.store(entry, at: multibootGDTAddress + UInt64(index * 8))
        }
    }
}

/// The version of the guest contract (docs/guest-machine.md). Bump it whenever anything a guest can
/// observe changes: layout, entry state, CPUID, devices, limits' semantics. It goes into exercise cache
/// keys and provenance lines.
public enum GuestMachine {
    public static let version = "2"
    /// The `pc` machine's contract (devices, CPU model, Multiboot entry), versioned apart from the
    /// lesson machine's so that changing one never invalidates the other's records.
    public static let pcVersion = "pc-2"
}
