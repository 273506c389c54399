import Foundation
import Testing

@testable import Hypervisor

/// A crash keeps where it happened: RIP, CS base and the bytes of the instruction there, read at the
/// exit that ended the run.
@Suite(.enabled(if: TestKVM.deviceExists, "skipped: /dev/kvm is absent on this machine"))
struct CrashLocationTests {
    @Test(arguments: [GuestMode.protected, .long, .user])
    func theCrashingInstructionIsLocated(_ mode: GuestMode) throws {
        // Two instructions first, so RIP is not simply the load address.
        let source = "    mov dx, 0x3f8\n    mov al, 'x'\n    ud2\n"
        let result = try TestKVM.run(source, mode: mode)
        let crash = try #require(result.end.crash, "\(result.end)")
        let image = try TestKVM.assemble(source, mode: mode)
        let ud2 = try #require(image.indices.dropLast().first { image[$0] == 0x0F && image[$0 + 1] == 0x0B })
        #expect(crash.rip == GuestLayout.highLoadAddress + UInt64(ud2) && crash.csBase == 0, "\(crash)")
        #expect(crash.instructionBytes?.prefix(2) == [0x0F, 0x0B] && crash.instructionBytes?.count == 15, "\(crash)")
        #expect(crash.description.hasPrefix(crash.message + " at rip \(hex(crash.rip ?? 0)), bytes 0f 0b 00"), "\(crash.description)")
    }

    /// Code outside RAM has no bytes to show; RIP is still there.
    @Test func noBytesOutsideRAM() throws {
        let result = try TestKVM.run("    mov rax, 0x300000\n    jmp rax\n", mode: .long) { $0.memoryMiB = 2 }
        let crash = try #require(result.end.crash, "\(result.end)")
        #expect(crash.rip == 0x30_0000 && crash.instructionBytes == nil, "\(crash)")
    }
}
