import CKVM
import Multiboot

/// The register state each mode starts in (docs/guest-machine.md, "Entry state"). Pure: it edits the
/// vCPU's reset-state sregs that KVM_GET_SREGS returned, so the tests can check it without KVM.
enum EntryState {
    static let cr0ProtectionEnable: UInt64 = 1 << 0
    static let cr0MonitorCoprocessor: UInt64 = 1 << 1
    static let cr0ExtensionType: UInt64 = 1 << 4
    static let cr0NumericError: UInt64 = 1 << 5
    static let cr0WriteProtect: UInt64 = 1 << 16
    static let cr0Paging: UInt64 = 1 << 31
    static let cr4PAE: UInt64 = 1 << 5
    static let cr4OSFXSR: UInt64 = 1 << 9
    static let cr4OSXMMEXCPT: UInt64 = 1 << 10
    static let eferLME: UInt64 = 1 << 8
    static let eferLMA: UInt64 = 1 << 10
    static let rflagsReserved: UInt64 = 1 << 1
    static let rflagsIOPL3: UInt64 = 3 << 12

    /// Whether guest-linear addresses equal guest-physical ones: paging off, or the host-built
    /// identity map (the only page tables this machine sets up) in use.
    static func isIdentityMapped(_ sregs: kvm_sregs) -> Bool {
        sregs.cr0 & cr0Paging == 0 || sregs.cr3 == GuestLayout.pml4Address
    }

    /// Every data and code segment's selector and base at 0, field by field: a list of key paths
    /// would be built and applied at run time, in every run.
    private static func zeroSegments(_ sregs: inout kvm_sregs) {
        func atZero(_ segment: inout kvm_segment) {
            segment.selector = 0
            segment.base = 0
        }
        atZero(&sregs.cs)
        atZero(&sregs.ds)
        atZero(&sregs.es)
        atZero(&sregs.fs)
        atZero(&sregs.gs)
        atZero(&sregs.ss)
    }

    /// Applies the mode's entry state to `sregs` (as read from a fresh vCPU) and returns the general
    /// registers to set.
    static func apply(_ mode: GuestMode, memoryBytes: UInt64, to sregs: inout kvm_sregs) -> kvm_regs {
        var regs = kvm_regs()
        regs.rflags = rflagsReserved
        switch mode {
        case .real:
            // Reset state is CS=F000 base FFFF0000; the boot-sector convention is everything at 0.
            zeroSegments(&sregs)
            regs.rip = GuestLayout.realModeLoadAddress
            regs.rsp = GuestLayout.realModeLoadAddress
            return regs
        case .protected:
            setSegments(
                &sregs, code: segment(GuestLayout.code32Selector, type: 0xB, dpl: 0, long: false),
                data: segment(GuestLayout.data32Selector, type: 0x3, dpl: 0, long: false))
            sregs.cr0 = cr0ProtectionEnable | cr0MonitorCoprocessor | cr0ExtensionType | cr0NumericError
            sregs.cr4 = cr4OSFXSR | cr4OSXMMEXCPT
            sregs.efer = 0
        case .long, .user:
            let user = mode == .user
            let code =
                user
                ? segment(GuestLayout.userCode64Selector, type: 0xB, dpl: 3, long: true)
                : segment(GuestLayout.code64Selector, type: 0xB, dpl: 0, long: true)
            let data =
                user
                ? segment(GuestLayout.userDataSelector, type: 0x3, dpl: 3, long: false)
                : segment(GuestLayout.data64Selector, type: 0x3, dpl: 0, long: false)
            setSegments(&sregs, code: code, data: data)
            sregs.cr0 =
                cr0ProtectionEnable | cr0MonitorCoprocessor | cr0ExtensionType | cr0NumericError
                | cr0WriteProtect | cr0Paging
            sregs.cr3 = GuestLayout.pml4Address
            sregs.cr4 = cr4PAE | cr4OSFXSR | cr4OSXMMEXCPT
            sregs.efer = eferLME | eferLMA
            if user { regs.rflags |= rflagsIOPL3 }
        }
        sregs.gdt.base = GuestLayout.gdtAddress
        sregs.gdt.limit = GuestLayout.gdtLimit
        // No IDT: any exception escalates to a triple fault, which ends the run as `crash`.
        sregs.idt.base = 0
        sregs.idt.limit = 0
        var tr = kvm_segment()
        tr.base = GuestLayout.tssAddress
        tr.limit = GuestLayout.tssLimit
        tr.selector = GuestLayout.tssSelector
        tr.type = 11 // busy TSS (32-bit in protected mode, 64-bit in long mode)
        tr.present = 1
        sregs.tr = tr
        regs.rip = GuestLayout.highLoadAddress
        regs.rsp = memoryBytes
        return regs
    }

    static func segment(_ selector: UInt16, type: UInt8, dpl: UInt8, long: Bool) -> kvm_segment {
        var s = kvm_segment()
        s.base = 0
        s.limit = 0xFFFF_FFFF
        s.selector = selector
        s.type = type
        s.present = 1
        s.dpl = dpl
        s.db = long ? 0 : 1
        s.s = 1
        s.l = long ? 1 : 0
        s.g = 1
        return s
    }

    static func setSegments(_ sregs: inout kvm_sregs, code: kvm_segment, data: kvm_segment) {
        sregs.cs = code
        sregs.ds = data
        sregs.es = data
        sregs.fs = data
        sregs.gs = data
        sregs.ss = data
    }
}

extension EntryState {
    static let cr0Multiboot: UInt64 = cr0ProtectionEnable | cr0ExtensionType
    /// ESP at a Multiboot entry (the specification leaves it undefined; kernels set their own).
    static let multibootStack: UInt64 = 0x7C00

    /// The Multiboot entry state, as QEMU's loader leaves it: 32-bit protected mode, paging off, CS
    /// 0x08 and the data segments 0x10, all flat; EAX the boot magic, EBX the information structure,
    /// interrupts off. The GDT is the loader's (`GuestLayout.writeMultibootGDT`); there is no IDT.
    static func multiboot(entry: UInt32, info: UInt32, to sregs: inout kvm_sregs) -> kvm_regs {
        setSegments(
            &sregs, code: segment(GuestLayout.code32Selector, type: 0xB, dpl: 0, long: false),
            data: segment(GuestLayout.data32Selector, type: 0x3, dpl: 0, long: false))
        sregs.cr0 = cr0Multiboot
        sregs.cr4 = 0
        sregs.efer = 0
        sregs.gdt.base = GuestLayout.multibootGDTAddress
        sregs.gdt.limit = UInt16(GuestLayout.multibootGDTEntries.count * 8 - 1)
        sregs.idt.base = 0
        sregs.idt.limit = 0
        var regs = kvm_regs()
        regs.rflags = rflagsReserved
        regs.rip = UInt64(entry)
        regs.rax = UInt64(MultibootHeader.bootMagic)
        regs.rbx = UInt64(info)
        regs.rsp = multibootStack
        return regs
    }
}
