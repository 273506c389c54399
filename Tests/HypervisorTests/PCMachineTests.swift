import Foundation
import Multiboot
import Testing

@testable import Hypervisor

/// The pc machine on real /dev/kvm: its interrupt controllers and timer, several vCPUs, fw_cfg, the
/// CPU model, and how its runs end. How soon they end is bounded, so these are timing-sensitive: they
/// do not run while the random guests load the machine.
extension TimingSensitiveTests {
    @Suite struct PCMachineTests {
        static func pc(_ mode: GuestMode, cpus: Int = 1, timeout: Duration = .seconds(10)) -> (inout MachineConfig) -> Void {
            {
                $0.machine = .pc; $0.cpus = cpus; $0.timeout = timeout; $0.mode = mode
            }
        }

        static func text(_ result: RunResult) -> String { String(decoding: result.output, as: UTF8.self) }

        @Test func aRealModeImageRunsAndItsHaltEndsTheRun() throws {
            let result = try TestKVM.run(TestKVM.hello(.real), mode: .real, configure: Self.pc(.real))
            #expect(Self.text(result) == "Hello from real mode!\n")
            // KVM keeps `hlt` in the kernel with an in-kernel irqchip: no hlt exit, the probes see it.
            #expect(result.end == .halt && result.exitCounts[.hlt] == 0)
            #expect(result.machine == .pc && result.machineVersion == GuestMachine.pcVersion)
            #expect(result.endedBy == nil && result.vcpus.count == 1)
            #expect(result.elapsed < .seconds(2))
        }

        @Test func haltWithInterruptsOnAndNothingToWakeItIsATimeout() throws {
            let result = try TestKVM.run("sti\nhlt\nhlt", mode: .real, configure: Self.pc(.real, timeout: .milliseconds(300)))
            #expect(result.end == .timeout && result.endedBy == nil)
            #expect(result.elapsed >= .milliseconds(300) && result.elapsed < .seconds(3))
        }

        @Test func firmwareConfigurationGivesSignatureCPUsAndRAM() throws {
            let result = try TestKVM.run(
                """
                mov dx, 0x510
                mov ax, 0           ; signature
                out dx, ax
                inc dx
                mov ecx, 4
                sig: in al, dx
                ror eax, 8
                loop sig
                mov esi, eax
                dec dx
                mov ax, 3           ; RAM size, 8 bytes
                out dx, ax
                inc dx
                in eax, dx          ; four bytes of the item at once
                mov edi, eax
                in eax, dx
                mov ebp, eax
                dec dx
                mov ax, 5           ; CPU count
                out dx, ax
                inc dx
                in ax, dx
                movzx ebx, ax
                dec dx
                mov ax, 0x1234      ; no such item: zeros
                out dx, ax
                inc dx
                in al, dx
                movzx ecx, al
                mov al, 0
                out 0xf4, al
                """, mode: .protected
            ) {
                $0.machine = .pc; $0.cpus = 3; $0.memoryMiB = 48
            }
            #expect(result.end == .exited(status: 0))
            let r = result.registers
            #expect(r.rsi == 0x554D_4551) // "QEMU"
            #expect(r.rdi | r.rbp << 32 == 48 << 20)
            #expect(r.rbx == 3 && r.rcx == 0)
        }

        @Test func theLessonMachineHasNoFirmwareConfiguration() throws {
            let result = try TestKVM.run("mov dx, 0x510\nmov ax, 5\nout dx, ax\ninc dx\nin ax, dx\nhlt", mode: .real)
            #expect(result.registers.rax & 0xFFFF == 0xFFFF) // open bus: 65,535 processors
        }

        @Test(arguments: [1, 2, 4, 8])
        func applicationProcessorsStartWithINITSIPISIPIAndPrintInTurn(cpus: Int) throws {
            let result = try TestKernels.boot(TestKernels.build(["smp.asm"])) { $0.cpus = cpus }
            let aps = (1..<cpus).map { "ap \($0)\n" }.joined()
            #expect(Self.text(result) == aps + "cpus \(cpus)\n")
            #expect(result.end == .exited(status: UInt8(cpus)) && result.endedBy == 0)
            #expect(result.vcpus.map(\.index) == Array(0..<cpus))
            #expect(result.vcpus.map(\.started) == Array(repeating: true, count: cpus))
            // Each AP halted in its trampoline, below 64 KiB in real mode.
            for ap in result.vcpus.dropFirst() { #expect(ap.registers.rip < 0x100, "\(ap.registers.rip)") }
            #expect(result.vcpus.dropFirst().allSatisfy { $0.exitCounts[.ioOut] == 5 })
        }

        @Test func applicationProcessorsThatAreNeverStartedStayWaiting() throws {
            let result = try TestKernels.boot(TestKernels.build(["entry-state.asm"])) { $0.cpus = 4 }
            #expect(result.end == .exited(status: 2))
            #expect(result.vcpus.map(\.started) == [true, false, false, false])
        }

        @Test func theCPUModelIsFixedAndDocumented() throws {
            let result = try TestKVM.run(
                """
                xor eax, eax
                cpuid
                mov esi, ebx        ; vendor, first four bytes
                mov edi, ecx        ; last four
                mov eax, 0x80000001
                cpuid
                mov ebp, edx
                mov eax, 1
                cpuid
                hlt
                """, mode: .protected
            ) {
                $0.machine = .pc; $0.cpus = 2
            }
            let r = result.registers
            #expect(r.rsi == 0x6874_7541 && r.rdi == 0x444D_4163) // "Auth", "cAMD"
            #expect(r.rbp & (1 << 29) != 0) // long mode
            #expect(r.rax & 0xFFFF_FFFF == 0x0006_0FB1) // family 15, model 107, stepping 1
            #expect(r.rbx >> 16 & 0xFF == 2) // two logical processors
            let supported = try (TestKVM.system ?? TestKVM.kvm()).supportedCPUID
            let expected = CPUIDTable.masked(PCCPUModel.entries(index: 0, cpus: 2), by: supported).removed
            #expect(result.removedCPUIDBits == expected)
        }

        @Test func cpuHostPassesTheSupportedVendorThrough() throws {
            let kvm = try TestKVM.system ?? TestKVM.kvm()
            let result = try TestKVM.run("xor eax, eax\ncpuid\nmov al, 0\nout 0xf4, al", mode: .protected) {
                $0.machine = .pc; $0.cpu = .host
            }
            let leaf0 = try #require(kvm.supportedCPUID.first { $0.function == 0 })
            #expect(result.registers.rbx & 0xFFFF_FFFF == UInt64(leaf0.ebx))
            #expect(result.removedCPUIDBits.isEmpty)
        }

        @Test func aKernelBuildsItsOwnTablesAndEntersLongMode() throws {
            let result = try TestKernels.boot(TestKernels.build(["long-mode.asm"]))
            #expect(Self.text(result) == "long mode\n#UD handled\nint 0x80 returned\n")
            #expect(result.end == .exited(status: 0))
            // `int 0x80` runs natively on hardware; PVM's emulator cannot, and the hypervisor completes it.
            #expect(result.assists == (result.host == .pvm ? ["int": 1] : [:]))
        }

        @Test func limitsAndEndsStopEveryVCPU() throws {
            // The BSP exits while the APs (never started) wait: the run ends at once.
            let spinning = try TestKVM.run(
                """
                mov dword [0xfee00300], 0x000c4500
                mov dword [0xfee00300], 0x000c4600  ; SIPI to page 0: the APs spin on zeroed memory
                mov dword [0xfee00300], 0x000c4600
                mov ecx, 100000
                delay: loop delay
                mov al, 7
                out 0xf4, al
                """, mode: .protected
            ) {
                $0.machine = .pc; $0.cpus = 4; $0.timeout = .seconds(5)
            }
            #expect(spinning.end == .exited(status: 7) && spinning.endedBy == 0)
            #expect(spinning.elapsed < .seconds(4))

            let forever = try TestKVM.run("jmp $", mode: .protected) {
                $0.machine = .pc; $0.cpus = 3; $0.timeout = .milliseconds(300)
            }
            #expect(forever.end == .timeout && forever.endedBy == nil)
            #expect(forever.elapsed < .seconds(3))
            #expect(!Watchdog.shared.hasAlarm(for: pthread_self()))
        }

        @Test func anApplicationProcessorCanEndTheRunAndIsNamed() throws {
            let result = try TestKernels.boot(TestKernels.build(["smp.asm"], defines: ["AP_EXITS"])) { $0.cpus = 3 }
            #expect(result.end == .exited(status: 0x42) && result.endedBy == 1)
        }
    }
}
