/// Finds the address of the instruction that caused an exit, so traces read the same on every host.
///
/// KVM reports RIP at an exit either at the instruction or just after it, and which one depends on
/// the path KVM took, which depends on the host: a non-string `out` leaves RIP *after* the instruction
/// when KVM's emulator ran it (every ring-0 instruction on PVM; string I/O everywhere) but *at* it on
/// the VT-x/AMD-V fast path; `in` and string I/O leave it at the instruction; `hlt` after it (measured on
/// PVM, read from KVM's x86.c for hardware). For port I/O and `hlt` this decodes the guest's bytes around
/// RIP to find the instruction itself. MMIO accesses are emulated on every host alike (read: at the
/// instruction; write: after it) and are reported as KVM gives them (`TraceEntry.ripFollowsInstruction`).
struct ExitLocation {
    let memory: GuestRAM
    let host: HostKind
    /// Linear = guest-physical: true without paging, or on the host-built identity map.
    let identityMapped: Bool
    /// Default operand size of the code segment (2 in 16-bit code, else 4), and whether it is 64-bit.
    let defaultOperandSize: Int
    let longMode: Bool

    /// The RIP to report for an exit, and whether it follows the instruction instead of pointing at it.
    func locate(_ access: Access, rip: UInt64, csBase: UInt64, rdx: UInt64) -> (rip: UInt64, follows: Bool) {
        guard identityMapped else { return (rip, access.kind == .mmioWrite || access.kind == .hlt) }
        switch access.kind {
        case .ioIn, .ioOut:
            guard let port = access.port else { return (rip, false) }
            let isOut = access.kind == .ioOut
            let at = portInstruction(at: csBase &+ rip, isOut: isOut, size: access.size, port: port, rdx: rdx)
            var before: UInt64?
            for length in 1...15 where rip >= UInt64(length) {
                let start = csBase &+ rip &- UInt64(length)
                if let found = portInstruction(at: start, isOut: isOut, size: access.size, port: port, rdx: rdx),
                    found.length == length, !found.isString
                {
                    before = UInt64(length)
                    break
                }
            }
            switch (at, before) {
            case (.some(let instruction), .some(let length)):
                // Both read as a matching instruction (e.g. two `out dx, al` in a row): use the host's rule.
                let emulated = host == .pvm && isOut && !instruction.isString
                return emulated ? (rip - length, false) : (rip, false)
            case (.some, .none): return (rip, false)
            case (.none, .some(let length)): return (rip - length, false)
            case (.none, .none): return (rip, false)
            }
        case .hlt:
            if rip > 0, memory.load(UInt8.self, at: csBase &+ rip &- 1) == 0xF4 { return (rip - 1, false) }
            return (rip, true)
        case .mmioWrite:
            return (rip, true)
        default:
            return (rip, false)
        }
    }

    struct PortInstruction {
        var length: Int
        var isString: Bool
    }

    /// Decodes a port-I/O instruction at linear `address` matching the exit, or nil.
    func portInstruction(at address: UInt64, isOut: Bool, size: Int, port: UInt16, rdx: UInt64) -> PortInstruction? {
        var offset: UInt64 = 0
        var operandSizeOverride = false
        while offset < 14, let byte = memory.load(UInt8.self, at: address &+ offset) {
            switch byte {
            case 0x66: operandSizeOverride = true
            case 0xF0, 0xF2, 0xF3, 0x2E, 0x36, 0x3E, 0x26, 0x64, 0x65, 0x67: break
            case 0x40...0x4F where longMode: break // REX (W does not change I/O operand size)
            default:
                return decodeOpcode(
                    byte, at: address &+ offset, prefixLength: Int(offset), isOut: isOut, size: size,
                    port: port, rdx: rdx, override: operandSizeOverride)
            }
            offset += 1
        }
        return nil
    }

    private func decodeOpcode(
        _ opcode: UInt8, at address: UInt64, prefixLength: Int, isOut: Bool, size: Int,
        port: UInt16, rdx: UInt64, override: Bool
    ) -> PortInstruction? {
        let wide = override ? (defaultOperandSize == 2 ? 4 : 2) : defaultOperandSize
        let opcodeOut: Bool, opcodeSize: Int, immediate: Bool, string: Bool
        switch opcode {
        case 0xE4...0xE7: (opcodeOut, opcodeSize, immediate, string) = (opcode >= 0xE6, opcode & 1 == 0 ? 1 : wide, true, false)
        case 0xEC...0xEF: (opcodeOut, opcodeSize, immediate, string) = (opcode >= 0xEE, opcode & 1 == 0 ? 1 : wide, false, false)
        case 0x6C...0x6F: (opcodeOut, opcodeSize, immediate, string) = (opcode >= 0x6E, opcode & 1 == 0 ? 1 : wide, false, true)
        default: return nil
        }
        guard opcodeOut == isOut, opcodeSize == size else { return nil }
        if immediate {
            guard let imm = memory.load(UInt8.self, at: address &+ 1), UInt16(imm) == port else { return nil }
            return PortInstruction(length: prefixLength + 2, isString: false)
        }
        guard UInt16(truncatingIfNeeded: rdx) == port else { return nil }
        return PortInstruction(length: prefixLength + 1, isString: string)
    }
}
