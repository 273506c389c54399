import Foundation
import Testing

@testable import Hypervisor

/// Interrupts on the pc machine, mode by mode: the guest programs the 8259 and the PIT, takes ten
/// ticks through its own IVT or IDT while sleeping in `hlt` with interrupts on, and prints the count.
/// The same result on PVM (where the hypervisor completes the 32-bit `iret`s and software interrupts
/// its host cannot) and on hardware KVM; only `assists` differ, and they are not part of the result
/// a page verifies.
@Suite(.enabled(if: TestKVM.deviceExists, "skipped: /dev/kvm is absent on this machine"))
struct PCInterruptTests {
    static func expectTenTicks(_ result: RunResult, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(String(decoding: result.output, as: UTF8.self) == "ticks: 10\n", sourceLocation: sourceLocation)
        #expect(result.end == .exited(status: 10), sourceLocation: sourceLocation)
        // The PIC, the PIT and `hlt` are all in the kernel: COM1 and the exit port are the only exits.
        #expect(result.exitCounts.description == "io-out 11", sourceLocation: sourceLocation)
    }

    static func pc(_ mode: GuestMode) -> MachineConfig {
        MachineConfig(mode: mode, timeout: .seconds(20), machine: .pc)
    }

    @Test func realModeThroughTheIVT() throws {
        let result = try (TestKVM.system ?? TestKVM.kvm()).run(TestKernels.flat("timer16.asm"), config: Self.pc(.real))
        Self.expectTenTicks(result)
        #expect(result.assists.isEmpty)
    }

    @Test func protectedModeThroughA32BitIDT() throws {
        let result = try (TestKVM.system ?? TestKVM.kvm()).run(
            TestKernels.flat("timer.asm", defines: ["FLAT32"]),
            config: Self.pc(.protected))
        Self.expectTenTicks(result)
        // Every tick's handler ends in a 32-bit iret, which PVM's emulator cannot run.
        if result.host == .pvm { #expect(result.assists["iret"] == 10) } else { #expect(result.assists.isEmpty) }
    }

    @Test func longModeThroughA64BitIDT() throws {
        let result = try (TestKVM.system ?? TestKVM.kvm()).run(
            TestKernels.flat("timer.asm", defines: ["FLAT64"]),
            config: Self.pc(.long))
        Self.expectTenTicks(result)
        #expect(result.assists.isEmpty) // delivery and iretq are the host's, on PVM too
    }

    @Test func aMultibootKernelTakesTheTimer() throws {
        let result = try TestKernels.boot(TestKernels.build(["timer.asm"], defines: ["MULTIBOOT"])) { $0.timeout = .seconds(20) }
        Self.expectTenTicks(result)
    }

    @Test func softwareInterruptsAndExceptionsIn32BitProtectedMode() throws {
        let result = try TestKVM.run(
            """
                mov esp, 0x200000
                mov edi, idt + 0x30 * 8
                mov eax, software
                call gate
                mov edi, idt + 6 * 8
                mov eax, invalid
                call gate
                mov edi, idt + 0x31 * 8
                mov eax, software
                call gate
                mov byte [idt + 0x31 * 8 + 5], 0x8E     ; DPL 0: still callable from ring 0
                lidt [descriptor]
                mov ebx, 0
                int 0x30
                int 0x31
                ud2
                int3                                    ; no gate: #GP, then no gate either: shutdown
            gate:
                mov [edi], ax
                mov word [edi + 2], 0x08
                mov word [edi + 4], 0xEE00              ; present, DPL 3, 32-bit interrupt gate
                shr eax, 16
                mov [edi + 6], ax
                ret
            software:
                inc ebx
                iretd
            invalid:
                add dword [esp], 2
                add ebx, 0x100
                iretd
            align 8
            descriptor: dw 256 * 8 - 1
                dd idt
            idt: times 256 * 8 db 0
            """, mode: .protected
        ) { $0.machine = .pc }
        #expect(result.registers.rbx == 0x102)
        #expect(result.end.crash?.kind == .shutdown)
    }
}
