import Testing

@testable import Hypervisor

/// Locating the instruction behind a port-I/O or hlt exit, whichever side of it KVM left RIP.
@Suite struct ExitLocationTests {
    let memory = TestRAM(size: 0x10000)

    func locator(_ host: HostKind, operandSize: Int = 2, long: Bool = false) -> ExitLocation {
        ExitLocation(memory: memory.ram, host: host, identityMapped: true, defaultOperandSize: operandSize, longMode: long)
    }

    func code(_ bytes: [UInt8], at address: Int = 0x7C00) {
        for (i, byte) in bytes.enumerated() { memory.buffer[address + i] = byte }
    }

    let out = Access(kind: .ioOut, port: 0x3F8, address: nil, size: 1, value: 0x41)

    @Test func outReportedAfterTheInstructionIsMovedBack() {
        code([0xBA, 0xF8, 0x03, 0xEE, 0xEB, 0xFE]) // mov dx, 0x3f8; out dx, al; jmp $
        #expect(locator(.pvm).locate(out, rip: 0x7C04, csBase: 0, rdx: 0x3F8) == (0x7C03, false))
        #expect(locator(.vmx).locate(out, rip: 0x7C03, csBase: 0, rdx: 0x3F8) == (0x7C03, false))
    }

    @Test func twoOutsInARowFollowTheHostsRule() {
        code([0xEE, 0xEE, 0xF4]) // out dx, al; out dx, al; hlt
        // After the first out, RIP (0x7C01) is also a matching out: PVM emulates, so it is "after".
        #expect(locator(.pvm).locate(out, rip: 0x7C01, csBase: 0, rdx: 0x3F8).rip == 0x7C00)
        // On the hardware fast path RIP stays at the instruction.
        #expect(locator(.vmx).locate(out, rip: 0x7C01, csBase: 0, rdx: 0x3F8).rip == 0x7C01)
    }

    @Test func immediateFormsMustMatchThePort() {
        code([0xE6, 0xF4, 0x90]) // out 0xf4, al; nop
        let exit = Access(kind: .ioOut, port: 0xF4, address: nil, size: 1, value: 0)
        #expect(locator(.pvm).locate(exit, rip: 0x7C02, csBase: 0, rdx: 0).rip == 0x7C00)
        let other = Access(kind: .ioOut, port: 0x80, address: nil, size: 1, value: 0)
        #expect(locator(.pvm).locate(other, rip: 0x7C02, csBase: 0, rdx: 0).rip == 0x7C02) // not found: raw
    }

    @Test func operandSizePrefixIsPartOfTheInstruction() {
        code([0x66, 0xEF], at: 0x1000) // out dx, eax in 16-bit code
        let exit = Access(kind: .ioOut, port: 0x500, address: nil, size: 4, value: 0)
        #expect(locator(.pvm, operandSize: 2).locate(exit, rip: 0x1002, csBase: 0, rdx: 0x500).rip == 0x1000)
        // In 32-bit code the same bytes are a 16-bit out, so they make a 2-byte exit.
        let narrow = Access(kind: .ioOut, port: 0x500, address: nil, size: 2, value: 0)
        #expect(locator(.pvm, operandSize: 4).locate(narrow, rip: 0x1002, csBase: 0, rdx: 0x500).rip == 0x1000)
    }

    @Test func realModeUsesTheCodeSegmentBase() {
        let exit = Access(kind: .ioIn, port: 0x3FD, address: nil, size: 1, value: 0x60)
        let big = TestRAM(size: 0x20000)
        big.buffer[0x1_0005] = 0xEC
        let l = ExitLocation(memory: big.ram, host: .pvm, identityMapped: true, defaultOperandSize: 2, longMode: false)
        #expect(l.locate(exit, rip: 0x5, csBase: 0x1_0000, rdx: 0x3FD).rip == 0x5)
    }

    @Test func hltIsReportedAtItsOwnAddress() {
        code([0x90, 0xF4, 0x00])
        let exit = Access(kind: .hlt, port: nil, address: nil, size: 0, value: nil)
        #expect(locator(.pvm).locate(exit, rip: 0x7C02, csBase: 0, rdx: 0) == (0x7C01, false))
    }

    @Test func mmioWritesAreFlaggedAsFollowingTheInstruction() {
        let exit = Access(kind: .mmioWrite, port: nil, address: 0x2000_0000, size: 1, value: 7)
        #expect(locator(.vmx).locate(exit, rip: 0x7C10, csBase: 0, rdx: 0) == (0x7C10, true))
    }
}
