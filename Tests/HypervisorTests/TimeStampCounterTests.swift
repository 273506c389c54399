import CKVM
import Foundation
import Testing

@testable import Hypervisor

/// A guest's `rdtsc` does not tell the host's uptime: every vCPU's TSC is set to zero before the
/// guest runs. Hardware KVM honours it, so a guest reading the TSC first thing sees a small value;
/// PVM keeps the host's counter whatever the VMM sets (measured: MSR_IA32_TSC, IA32_TSC_ADJUST and
/// the KVM_VCPU_TSC_OFFSET attribute are all accepted and ignored), as docs/guest-machine.md says,
/// and the test holds each kind of host to what the documentation says of it.
@Suite(.enabled(if: TestKVM.deviceExists, "skipped: /dev/kvm is absent on this machine"))
struct TimeStampCounterTests {
    /// Reads the TSC first thing and writes it to COM1 as eight little-endian bytes: EDX:EAX's low
    /// half from ECX, then its high half, each byte by byte.
    static func readFirst(_ mode: GuestMode) -> String {
        let fourBytes = Array(repeating: "    mov al, cl\n    out dx, al", count: 4).joined(separator: "\n    shr ecx, 8\n")
        return """
                rdtsc
                mov ecx, eax
                mov ebx, edx
                mov dx, 0x3f8
            \(fourBytes)
                mov ecx, ebx
            \(fourBytes)
            \(mode == .user ? "    mov al, 0\n    out 0xf4, al" : "    hlt")
            """
    }

    /// A second's worth of cycles on the fastest TSC there is: "well under" it is what a guest
    /// that just started may see.
    static let secondOfCycles: UInt64 = 5_000_000_000

    static func hostCounter() -> UInt64 { UInt64(ckvm_host_tsc()) }

    static func guestCounter(_ result: RunResult) throws -> UInt64 {
        try #require(result.output.count == 8, "the guest wrote \(result.output.count) bytes")
        return result.output.reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    @Test(arguments: [(GuestMode.real, MachineProfile.lesson), (.long, .lesson), (.user, .lesson), (.real, .pc), (.long, .pc)])
    func aGuestReadingTheCounterFirstSeesZeroOrTheDocumentedHostValue(mode: GuestMode, machine: MachineProfile) throws {
        let kvm = try TestKVM.system ?? TestKVM.kvm()
        let before = Self.hostCounter()
        let result = try TestKVM.run(Self.readFirst(mode), mode: mode) {
            $0.machine = machine; $0.timeout = .seconds(10)
        }
        let after = Self.hostCounter()
        let end: EndReason = mode == .user ? .exited(status: 0) : .halt
        #expect(result.end == end, "\(result.end)")
        let seen = try Self.guestCounter(result)
        if kvm.host == .pvm {
            // PVM: the host's counter, read between the two host reads around the run.
            #expect(seen >= before && seen <= after, "guest \(seen), host \(before)...\(after)")
        } else {
            #expect(seen < Self.secondOfCycles, "guest TSC \(seen) at its first instruction (host \(before))")
        }
    }

    /// What the VMM asked for is what KVM computes for the vCPU on hardware; PVM answers the host's
    /// counter (its offset stays zero).
    @Test func theCounterKVMReportsAfterSettingItToZero() throws {
        let kvm = try TestKVM.system ?? TestKVM.kvm()
        let vm = try VirtualMachine(system: kvm, memoryBytes: 1 << 20, dirtyLog: false, prepare: { _ in })
        let vcpu = try VCPU(vm: vm, id: 0, mapSize: kvm.vcpuMapSize)
        try vcpu.setTimeStampCounter(0)
        let before = Self.hostCounter()
        let counter = try vcpu.timeStampCounter()
        if kvm.host == .pvm {
            #expect(counter >= before, "KVM reports \(counter), the host's counter was \(before)")
        } else {
            #expect(counter < Self.secondOfCycles, "KVM reports \(counter) right after setting 0")
        }
    }
}
