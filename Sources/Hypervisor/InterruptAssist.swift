import CKVM

/// Completes the event-delivery instructions that KVM's instruction emulator cannot run, so that a
/// guest's own interrupt handling works on hosts where ring-0 code runs in that emulator (PVM).
///
/// Measured on PVM: the host itself delivers hardware interrupts, injected ones and exceptions through
/// a 32-bit or a 64-bit IDT, and runs a 64-bit `iretq`; but a 32-bit `iret` and any software interrupt
/// (`int n`, `int3`, `into`, `int1`) end in KVM_EXIT_INTERNAL_ERROR (emulation failure). For those two
/// this completes the instruction as the CPU would: `iret` pops EIP, CS and EFLAGS (and ESP and SS when
/// returning to an outer ring), loading CS and SS from the guest's GDT; a software interrupt moves RIP
/// past the instruction, checks the gate's privilege as the CPU does (#GP with the vector's error code
/// when a ring above the gate's DPL asks), and has KVM deliver the vector as an event, which the host
/// can do. Anything else (a task return, virtual-8086 mode, an LDT selector) is left as it was, and the
/// run ends as the crash it is. On hardware KVM these exits never happen.
struct InterruptAssist {
    let vcpu: VCPU
    let memory: GuestRAM

    enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case iret
        case softwareInterrupt = "int"
    }

    private static let rflagsNT: UInt64 = 1 << 14
    private static let rflagsVM: UInt64 = 1 << 17
    /// The flags an `iret` at ring 0 loads: everything architectural but VM (never set here) and bit 1.
    private static let iretFlags: UInt64 = 0x3D_7FD5
    private static let rflagsIF: UInt64 = 1 << 9
    private static let rflagsIOPL: UInt64 = 3 << 12

    /// Completes the instruction the vCPU stopped at, if it is one of those; nil when it is not.
    func complete() throws(KVMError) -> Kind? {
        let regs = try vcpu.registers(), sregs = try vcpu.specialRegisters()
        guard sregs.cr0 & EntryState.cr0ProtectionEnable != 0, regs.rflags & Self.rflagsVM == 0 else { return nil }
        let longMode = sregs.efer & EntryState.eferLMA != 0 && sregs.cs.l != 0
        guard let bytes = readLinear(sregs.cs.base &+ regs.rip, count: 4, sregs: sregs) else { return nil }
        var index = 0, operandOverride = false
        while index < 3, bytes[index] == 0x66 || (longMode && bytes[index] & 0xF0 == 0x40) {
            if bytes[index] == 0x66 { operandOverride = true }
            index += 1
        }
        let next = regs.rip &+ UInt64(index + 1)
        switch bytes[index] {
        case 0xCF where !longMode:
            let wide = (sregs.cs.db != 0) != operandOverride
            return try returnFromInterrupt(regs: regs, sregs: sregs, size: wide ? 4 : 2) ? .iret : nil
        case 0xCD: return try softwareInterrupt(bytes[index + 1], resumeAt: next + 1, regs: regs, sregs: sregs, longMode: longMode)
        case 0xCC: return try softwareInterrupt(3, resumeAt: next, regs: regs, sregs: sregs, longMode: longMode)
        case 0xF1: return try softwareInterrupt(1, resumeAt: next, regs: regs, sregs: sregs, longMode: longMode)
        case 0xCE where !longMode:
            guard regs.rflags & 0x800 != 0 else { // OF clear: `into` does nothing
                var moved = regs
                moved.rip = next
                try vcpu.setRegisters(moved)
                return .softwareInterrupt
            }
            return try softwareInterrupt(4, resumeAt: next, regs: regs, sregs: sregs, longMode: longMode)
        default:
            return nil
        }
    }

    // MARK: software interrupts

    private func softwareInterrupt(
        _ vector: UInt8, resumeAt next: UInt64, regs: kvm_regs, sregs: kvm_sregs,
        longMode: Bool
    ) throws(KVMError) -> Kind {
        var events = try vcpu.events()
        let size: UInt64 = longMode ? 16 : 8
        let cpl = sregs.cs.dpl
        // The CPU checks the gate's DPL against CPL for software interrupts only; KVM's event delivery
        // (as for a hardware interrupt) does not, so it is checked here. Limit and presence are left to
        // the delivery, which faults on them as the CPU would.
        if UInt64(vector) * size + size - 1 <= UInt64(sregs.idt.limit),
            let raw = readLinear(sregs.idt.base &+ UInt64(vector) * size, count: 8, sregs: sregs)
        {
            let gate = Gate(raw: LittleEndian.value(raw, at: 0, size: 8))
            if gate.present && gate.dpl < cpl {
                events.exception.injected = 1
                events.exception.nr = 13
                events.exception.has_error_code = 1
                events.exception.error_code = UInt32(vector) * 8 + 2 // IDT bit set
                try vcpu.setEvents(events)
                return .softwareInterrupt
            }
        }
        var moved = regs
        moved.rip = next
        try vcpu.setRegisters(moved)
        events.interrupt.injected = 1
        events.interrupt.nr = vector
        events.interrupt.soft = 0
        try vcpu.setEvents(events)
        return .softwareInterrupt
    }

    // MARK: iret

    private func returnFromInterrupt(regs: kvm_regs, sregs: kvm_sregs, size: UInt64) throws(KVMError) -> Bool {
        guard regs.rflags & Self.rflagsNT == 0 else { return false } // a task return
        let mask: UInt64 = sregs.ss.db != 0 ? 0xFFFF_FFFF : 0xFFFF
        let stack = regs.rsp & mask
        guard let frame = readLinear(sregs.ss.base &+ stack, count: Int(size * 3), sregs: sregs) else { return false }
        let item = { (i: Int) in LittleEndian.value(frame, at: i * Int(size), size: Int(size)) }
        let eip = item(0), selector = UInt16(truncatingIfNeeded: item(1)), popped = item(2)
        guard size == 2 || popped & Self.rflagsVM == 0 else { return false } // to virtual-8086 mode
        let cpl = UInt16(sregs.cs.selector & 3), rpl = selector & 3
        guard rpl >= cpl, let code = descriptor(selector, sregs: sregs), code.isCode, code.present else { return false }
        var newRegs = regs, newSregs = sregs
        newRegs.rip = eip
        newRegs.rflags = Self.flags(old: regs.rflags, popped: popped, cpl: UInt64(cpl), size: size)
        newRegs.rsp = regs.rsp & ~mask | (stack &+ size * 3) & mask
        newSregs.cs = code.segment(selector: selector)
        if rpl > cpl {
            // Back to an outer ring: ESP and SS come off the stack too, and data segments the new ring
            // may not use are nulled.
            guard let outer = readLinear(sregs.ss.base &+ ((stack &+ size * 3) & mask), count: Int(size * 2), sregs: sregs) else {
                return false
            }
            let esp = LittleEndian.value(outer, at: 0, size: Int(size))
            let ssSelector = UInt16(truncatingIfNeeded: LittleEndian.value(outer, at: Int(size), size: Int(size)))
            guard ssSelector & 3 == rpl, let stackSegment = descriptor(ssSelector, sregs: sregs),
                stackSegment.isWritableData, stackSegment.present, UInt16(stackSegment.dpl) == rpl
            else { return false }
            newSregs.ss = stackSegment.segment(selector: ssSelector)
            newRegs.rsp = esp
            for keyPath in [\kvm_sregs.ds, \.es, \.fs, \.gs] where Self.inaccessible(newSregs[keyPath: keyPath], from: rpl) {
                newSregs[keyPath: keyPath] = kvm_segment()
                newSregs[keyPath: keyPath].unusable = 1
            }
        }
        try vcpu.setSpecialRegisters(newSregs)
        try vcpu.setRegisters(newRegs)
        var events = try vcpu.events()
        if events.nmi.masked != 0 { // an iret ends the blocking of NMIs
            events.nmi.masked = 0
            try vcpu.setEvents(events)
        }
        return true
    }

    /// EFLAGS after `iret`: IOPL changes only at ring 0, IF only where CPL ≤ IOPL, and a 16-bit iret
    /// loads only the low 16 bits.
    static func flags(old: UInt64, popped: UInt64, cpl: UInt64, size: UInt64) -> UInt64 {
        var mask = iretFlags
        if cpl > 0 { mask &= ~(rflagsIOPL | 0x18_0000) } // VIF and VIP, too, change only at ring 0
        if cpl > (old & rflagsIOPL) >> 12 { mask &= ~rflagsIF }
        if size == 2 { mask &= 0xFFFF }
        return old & ~mask | popped & mask | 2
    }

    /// A data or non-conforming code segment whose DPL is below the new CPL.
    private static func inaccessible(_ segment: kvm_segment, from cpl: UInt16) -> Bool {
        guard segment.present != 0, segment.s != 0 else { return false }
        let conformingCode = segment.type & 0xC == 0xC
        return !conformingCode && UInt16(segment.dpl) < cpl
    }

    /// The GDT descriptor a selector names; nil for the null selector, an LDT selector or one past the limit.
    private func descriptor(_ selector: UInt16, sregs: kvm_sregs) -> SegmentDescriptor? {
        let offset = UInt64(selector & ~7)
        guard selector & 4 == 0, offset > 0, offset + 7 <= UInt64(sregs.gdt.limit),
            let raw = readLinear(sregs.gdt.base &+ offset, count: 8, sregs: sregs)
        else { return nil }
        return SegmentDescriptor(raw: LittleEndian.value(raw, at: 0, size: 8))
    }

    // MARK: guest memory

    /// `count` bytes at a linear address, through the guest's page tables when paging is on; nil when
    /// any of it is unmapped or outside RAM.
    private func readLinear(_ address: UInt64, count: Int, sregs: kvm_sregs) -> [UInt8]? {
        let paging = sregs.cr0 & EntryState.cr0Paging != 0
        var bytes: [UInt8] = []
        var at = address
        while bytes.count < count {
            let chunk = min(UInt64(count - bytes.count), (at | 0xFFF) &+ 1 &- at)
            guard let physical = paging ? vcpu.translate(at) : at,
                let block = memory.bytes(at: physical, count: chunk)
            else { return nil }
            bytes += block
            at &+= chunk
        }
        return bytes
    }
}
