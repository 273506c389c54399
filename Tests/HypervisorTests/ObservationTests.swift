import Foundation
import Testing

@testable import Hypervisor

/// Traces and single-stepping on real KVM, and the paravirtual console end to end.
@Suite(.enabled(if: TestKVM.deviceExists, "skipped: /dev/kvm is absent on this machine"))
struct ObservationTests {
    /// out at a known offset, a string out, an in, a hlt: one of each exit the trace must place.
    static func tracedGuest(_ mode: GuestMode) -> String {
        let si = mode == .real ? "si" : mode == .protected ? "esi" : "rsi"
        return """
            mov dx, 0x3f8           ; offset 0
            mov al, 'A'
            out dx, al              ; the first exit
            out dx, al
            mov \(si), text
            mov ecx, 2
            rep outsb
            in al, 0x80
            \(mode == .user ? "out 0xf4, al" : "hlt")
            text: db "yz"
            """
    }

    @Test(arguments: GuestMode.allCases)
    func traceRecordsEveryExitAtItsInstruction(mode: GuestMode) throws {
        let result = try TestKVM.run(Self.tracedGuest(mode), mode: mode) { $0.trace = true }
        let trace = try #require(result.trace)
        #expect(String(decoding: result.output, as: UTF8.self) == "AAyz")
        #expect(trace.entries.map(\.kind) == [.ioOut, .ioOut, .ioOut, .ioOut, .ioIn, mode == .user ? .ioOut : .hlt])
        #expect(trace.entries.map(\.index) == Array(0..<trace.entries.count))
        #expect(!trace.truncated && trace.limit == MachineConfig.defaultTraceLimit)
        let movDX = mode == .real ? 3 : 4, movAL = 2
        let firstOut = mode.loadAddress + UInt64(movDX + movAL)
        #expect(trace.entries[0].rip == firstOut && trace.entries[1].rip == firstOut + 1)
        #expect(trace.entries[0].port == 0x3F8 && trace.entries[0].value == 0x41 && trace.entries[0].size == 1)
        #expect(trace.entries[2].value == 0x79 && trace.entries[3].value == 0x7A)
        #expect(trace.entries[2].rip == trace.entries[3].rip) // both elements of the rep outsb
        #expect(trace.entries[4].port == 0x80 && trace.entries[4].value == 0xFF)
        #expect(trace.entries.allSatisfy { !$0.ripFollowsInstruction })
        // hlt / the exit-port out is the last instruction, two bytes (or one) before the text.
        let last = trace.entries[5]
        #expect(
            last.rip + (mode == .user ? 2 : 1) == mode.loadAddress
                + UInt64(try TestKVM.assemble(Self.tracedGuest(mode), mode: mode).count - 2))
        #expect(result.exitCounts.total == Set(trace.entries.map(\.exitNumber)).count)
    }

    @Test func traceIsCappedAndSaysSo() throws {
        let result = try TestKVM.run("again: in al, 0x80\njmp again", mode: .user) {
            $0.trace = true
            $0.traceLimit = 10
            $0.exitLimit = 50
        }
        let trace = try #require(result.trace)
        #expect(trace.entries.count == 10 && trace.truncated && trace.limit == 10)
        #expect(result.exitCounts[.ioIn] == 50)
    }

    @Test(arguments: [GuestMode.real, .protected, .long])
    func singleSteppingRecordsEachInstruction(mode: GuestMode) throws {
        let plain = try TestKVM.run(Self.tracedGuest(mode), mode: mode) { $0.trace = true }
        let stepped = try TestKVM.run(Self.tracedGuest(mode), mode: mode) {
            $0.steps = 100
            $0.trace = true
        }
        // Stepping observes; it does not change what the guest does or which exits it takes.
        #expect(stepped.output == plain.output && stepped.end == plain.end)
        #expect(stepped.exitCounts == plain.exitCounts)
        #expect(stepped.trace?.entries == plain.trace?.entries)

        let recording = try #require(stepped.steps)
        let steps = recording.steps
        // mov dx; mov al; out; out; mov si; mov ecx; rep outsb; in; hlt
        #expect(steps.count == 9)
        #expect(steps.allSatisfy { $0.completed })
        #expect(steps[0].rip == mode.loadAddress && recording.initialRegisters.rip == mode.loadAddress)
        for (before, after) in zip(steps, steps.dropFirst()) { #expect(before.registers.rip == after.rip) }
        #expect(steps[0].registers.rdx & 0xFFFF == 0x3F8)
        #expect(steps[1].registers.rax & 0xFF == 0x41)
        #expect(steps[2].exits.map(\.value) == [0x41] && steps[2].exits.first?.rip == steps[2].rip)
        #expect(steps[3].exits.count == 1)
        #expect(steps[6].exits.map(\.value) == [0x79, 0x7A] && steps[6].registers.rcx & 0xFFFF == 0)
        #expect(steps[7].exits.map(\.kind) == [.ioIn] && steps[7].registers.rax & 0xFF == 0xFF)
        #expect(steps[8].exits.map(\.kind) == [.hlt] && steps[8].registers.rip == steps[8].rip + 1)
        #expect(steps.prefix(2).allSatisfy { $0.exits.isEmpty })
    }

    @Test func steppingStopsAfterNAndTheGuestRunsOn() throws {
        let result = try TestKVM.run(TestKVM.hello(.long), mode: .long) { $0.steps = 5 }
        #expect(result.steps?.steps.count == 5 && result.steps?.requested == 5)
        #expect(String(decoding: result.output, as: UTF8.self) == "Hello from long mode!\n")
        #expect(result.end == .halt)
        #expect(result.exitCounts[.debug] == 0)
    }

    @Test func steppingUserModeIsRefusedOnPVMAndWorksElsewhere() throws {
        let kvm = try TestKVM.system ?? TestKVM.kvm()
        let image = try TestKVM.assemble(Self.tracedGuest(.user), mode: .user)
        if kvm.host == .pvm {
            #expect(throws: KVMError.self) { try kvm.run(image, config: MachineConfig(mode: .user, steps: 3)) }
        } else {
            let result = try kvm.run(image, config: MachineConfig(mode: .user, steps: 3))
            #expect(result.steps?.steps.count == 3)
        }
    }

    /// A long-mode guest that asks the paravirtual console to print the block at `address` (after
    /// storing `length` and "Hello" at 0x200000) and exits with the status it reads back.
    static func consoleGuest(address: String, length: String) -> String {
        """
        mov dword [0x200000], \(length)
        mov dword [0x200004], 'Hell'
        mov byte [0x200008], 'o'
        mov eax, \(address)
        mov dx, 0x500
        out dx, eax
        in eax, dx
        out 0xf4, al
        """
    }

    @Test(arguments: [
        ("0x200000", "5", 0, "Hello"),
        ("0x200000", "0", 0, ""),
        ("0x200000", "0xffffffff", 2, ""), // the length wraps the 32-bit address space
        ("0x200000", "0x00f00000", 1, ""), // the block runs past the end of RAM
        ("0xfffffd", "5", 1, ""), // the length field straddles the end of RAM (16 MiB - 3)
        ("0x2000000", "5", 1, ""), // beyond RAM
        ("0xfffffffc", "5", 1, "")
    ])
    func paravirtualConsole(address: String, length: String, status: Int, output: String) throws {
        let result = try TestKVM.run(Self.consoleGuest(address: address, length: length), mode: .long)
        #expect(result.end == .exited(status: UInt8(status)))
        #expect(String(decoding: result.output, as: UTF8.self) == output)
        #expect(result.exitCounts[.ioOut] == 2 && result.exitCounts[.ioIn] == 1)
    }

    @Test func paravirtualConsoleRespectsTheOutputLimit() throws {
        let result = try TestKVM.run(Self.consoleGuest(address: "0x200000", length: "5"), mode: .long) { $0.outputLimit = 4 }
        #expect(result.end == .exited(status: 3) && result.output.isEmpty)
    }
}

/// Opening KVM: each way it can be unusable is its own error.
@Suite struct KVMAvailabilityTests {
    @Test func missingDeviceIsDeviceMissing() {
        #expect(throws: KVMError.deviceMissing(path: "/nonexistent/kvm")) { try KVMSystem(devicePath: "/nonexistent/kvm") }
    }

    @Test func aFileThatIsNotKVMIsUnsupported() {
        do {
            _ = try KVMSystem(devicePath: "/dev/null")
            Issue.record("/dev/null was accepted as KVM")
        } catch {
            guard case .unsupported(let path, _) = error else { Issue.record("got \(error)"); return }
            #expect(path == "/dev/null" && error.isUnavailable)
        }
    }

    @Test func openErrorsMapToDistinctCases() {
        #expect(KVMError(openingDevice: "/d", errno: .permissionDenied) == .permissionDenied(path: "/d"))
        #expect(KVMError(openingDevice: "/d", errno: .notPermitted) == .permissionDenied(path: "/d"))
        #expect(KVMError(openingDevice: "/d", errno: .noSuchFile) == .deviceMissing(path: "/d"))
        #expect(KVMError(openingDevice: "/d", errno: Errno(rawValue: EMFILE)) == .systemCall("open /d", Errno(rawValue: EMFILE)))
        #expect(KVMError.wrongAPIVersion(path: "/d", found: 11).description.contains("version 11"))
        #expect(KVMError.permissionDenied(path: "/d").isUnavailable && !KVMError.invalidConfiguration("x").isUnavailable)
    }

    @Test(.enabled(if: TestKVM.deviceExists, "skipped: /dev/kvm is absent on this machine"))
    func theRealDeviceOpensAndNamesItsHost() throws {
        let kvm = try KVMSystem()
        #expect(kvm.host == HostKind.detect() && kvm.vcpuMapSize >= 4096)
    }
}
