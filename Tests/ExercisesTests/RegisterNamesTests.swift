import Exercises
import Hypervisor
import Testing

/// Step tables name registers as the guest's mode does; the record keeps 64-bit names and values.
struct RegisterNamesTests {
    @Test func eachModeUsesItsOwnWidth() {
        #expect(RegisterNames.display(name: "rdx", before: 0, after: 0x3fd, mode: .real) == ("dx", "0x0", "0x3fd"))
        #expect(RegisterNames.display(name: "rax", before: 0, after: 0x48, mode: .protected) == ("eax", "0x0", "0x48"))
        #expect(RegisterNames.display(name: "rax", before: 0, after: 0x48, mode: .long) == ("rax", "0x0", "0x48"))
        #expect(RegisterNames.display(name: "rsp", before: 0x200000, after: 0x1ffff8, mode: .user) == ("rsp", "0x200000", "0x1ffff8"))
    }

    @Test func aChangeAboveTheModesWidthShowsTheWiderName() {
        // Real mode with a 32-bit operand (`mov eax, 0x12345678`): the high half changed.
        #expect(RegisterNames.display(name: "rax", before: 0, after: 0x1234_5678, mode: .real) == ("eax", "0x0", "0x12345678"))
        // Bits above 32 changed: the full register, whatever the mode.
        #expect(RegisterNames.display(name: "rcx", before: 1, after: 0x1_0000_0001, mode: .real) == ("rcx", "0x1", "0x100000001"))
        #expect(RegisterNames.display(name: "rcx", before: 1, after: 0x1_0000_0001, mode: .protected) == ("rcx", "0x1", "0x100000001"))
    }

    @Test func untouchedHighBitsAreMaskedOff() {
        // EAX's top half was set earlier; this instruction only changed AX, so only AX is shown.
        #expect(RegisterNames.display(name: "rax", before: 0xdead_0000, after: 0xdead_0041, mode: .real) == ("ax", "0x0", "0x41"))
        #expect(
            RegisterNames.display(name: "rbx", before: 0xffff_ffff_0000_0001, after: 0xffff_ffff_0000_0002, mode: .protected) == (
                "ebx", "0x1", "0x2"
            ))
    }

    @Test func everyRegisterHasItsNarrowNames() {
        let expected: [(String, String, String)] = [
            ("rax", "eax", "ax"), ("rbx", "ebx", "bx"), ("rcx", "ecx", "cx"), ("rdx", "edx", "dx"),
            ("rsi", "esi", "si"), ("rdi", "edi", "di"), ("rsp", "esp", "sp"), ("rbp", "ebp", "bp"),
            ("r8", "r8d", "r8w"), ("r15", "r15d", "r15w"), ("rip", "eip", "ip"), ("rflags", "eflags", "flags")
        ]
        for (full, dword, word) in expected {
            #expect(RegisterNames.name(full, width: 64) == full)
            #expect(RegisterNames.name(full, width: 32) == dword)
            #expect(RegisterNames.name(full, width: 16) == word)
        }
        #expect(Registers.names.allSatisfy { RegisterNames.name($0, width: 16) != $0 }, "a register without a 16-bit name")
        #expect(RegisterNames.name("cr0", width: 16) == "cr0")
    }

    @Test func recordedChangesAreReadFromTheirHexStrings() {
        #expect(RegisterNames.display(recorded: ["rdx", "0x0", "0x3fd"], mode: .real) == ["dx", "0x0", "0x3fd"])
        #expect(RegisterNames.display(recorded: ["rflags", "0x2", "0x46"], mode: .protected) == ["eflags", "0x2", "0x46"])
        // Something this code cannot read is shown as recorded, never dropped.
        #expect(RegisterNames.display(recorded: ["rdx", "?", "0x3fd"], mode: .real) == ["rdx", "?", "0x3fd"])
        #expect(RegisterNames.display(recorded: ["rdx"], mode: .real) == ["rdx"])
    }
}
