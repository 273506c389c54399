import Foundation
import Testing

@testable import Hypervisor

/// Conformance kernels in the spirit of kvm-unit-tests (whose GPL source is not reachable from here):
/// 64-bit Multiboot kernels written for these tests (`Kernels/unit-entry.asm`, `unit.c` and one C file
/// each) that print a verdict per check, "PASS: ..." or "FAIL: ...", a "SUMMARY: ..." line, and exit
/// with the number of failures. Booted as ELF32 files, exactly as `./make.sh bench-qemu` hands them
/// to QEMU; every verdict is asserted, so a check that stops passing names itself.
@Suite(.enabled(if: TestKVM.deviceExists, "skipped: /dev/kvm is absent on this machine"))
struct ConformanceTests {
    static func kernel(_ source: String, defines: [String] = []) throws -> TestKernels.Built {
        try TestKernels.build(["unit-entry.asm", "unit.c", source], wide: true, elf32: true, defines: defines)
    }

    static func expectVerdicts(_ result: RunResult, _ expected: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        let lines = String(decoding: result.output, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines == expected + [""], sourceLocation: sourceLocation)
        let failures = expected.filter { $0.hasPrefix("FAIL: ") }.count
        #expect(result.end == .exited(status: UInt8(failures)), sourceLocation: sourceLocation)
    }

    static func exceptionVerdicts(softwareInterrupts: Bool) -> [String] {
        func checks(_ name: String, vector: Int, rip: Int, errorCode: String, cr2: String? = nil) -> [String] {
            ["PASS: \(name): vector \(vector)", "PASS: \(name): rip trigger+\(rip)", "PASS: \(name): error code \(errorCode)"]
                + (cr2.map { ["PASS: \(name): cr2 \($0)"] } ?? [])
        }
        let breakpoint =
            softwareInterrupts
            ? checks("#BP (int3)", vector: 3, rip: 1, errorCode: "0x0")
            : ["SKIP: #BP (int3): software interrupts are not delivered by KVM's emulator on PVM hosts"]
        let int80 =
            softwareInterrupts
            ? "PASS: int $0x80 runs its handler and returns (rax 41 -> 42)"
            : "SKIP: int $0x80: software interrupts are not delivered by KVM's emulator on PVM hosts"
        return checks("#DE (div by zero)", vector: 0, rip: 6, errorCode: "0x0")
            + checks("#UD (ud2)", vector: 6, rip: 0, errorCode: "0x0")
            + breakpoint
            + checks("#GP (non-canonical address)", vector: 13, rip: 10, errorCode: "0x0")
            + checks("#GP (selector past the GDT limit)", vector: 13, rip: 5, errorCode: "0x18")
            + checks("#PF (read, not present)", vector: 14, rip: 5, errorCode: "0x0", cr2: "0x40000000")
            + checks("#PF (write, not present)", vector: 14, rip: 5, errorCode: "0x2", cr2: "0x40000ff8")
            + checks("#PF (write, read-only page)", vector: 14, rip: 5, errorCode: "0x3", cr2: "0x3fe00010")
            + [
                "PASS: iretq from the #UD handler resumes after ud2", int80,
                softwareInterrupts ? "SUMMARY: 29 tests" : "SUMMARY: 27 tests, 2 skipped"
            ]
    }

    @Test func exceptionsThroughA64BitIDT() throws {
        let result = try TestKernels.boot(Self.kernel("exceptions.c"))
        Self.expectVerdicts(result, Self.exceptionVerdicts(softwareInterrupts: true))
        // int3 and int $0x80 are the software interrupts PVM's emulator cannot deliver; the rest are the host's.
        if result.host == .pvm { #expect(result.assists == ["int": 2]) } else { #expect(result.assists.isEmpty) }
    }

    @Test func exceptionsWithoutSoftwareInterruptsAsQEMUIsGivenThem() throws {
        let result = try TestKernels.boot(Self.kernel("exceptions.c", defines: ["NO_SOFTWARE_INTERRUPTS"]))
        Self.expectVerdicts(result, Self.exceptionVerdicts(softwareInterrupts: false))
        #expect(result.assists.isEmpty)
    }

    @Test func setjmpAndLongjmp() throws {
        let result = try TestKernels.boot(Self.kernel("setjmp.c"))
        Self.expectVerdicts(
            result,
            [
                "PASS: setjmp returns each longjmp's value, 0 to 9",
                "PASS: longjmp with 0 makes setjmp return 1", "SUMMARY: 2 tests"
            ])
    }

    /// The local APIC timer, one-shot and periodic, through xAPIC MMIO and x2APIC MSRs. The kernel bounds
    /// every wait, so a timer the host did not deliver would be a FAIL line here, not a hang.
    @Test func theLocalAPICTimer() throws {
        let result = try TestKernels.boot(Self.kernel("apic-timer.c")) { $0.timeout = .seconds(30) }
        Self.expectVerdicts(
            result,
            [
                "PASS: apic: base MSR says 0xfee00000, enabled, bootstrap processor",
                "PASS: apic: ID 0",
                "PASS: apic: version register names an integrated APIC",
                "PASS: apic: software-enabled",
                "PASS: apic timer: divide configuration reads back",
                "PASS: apic timer one-shot: delivered",
                "PASS: apic timer one-shot: current count 0 after expiry",
                "PASS: apic timer one-shot: fires once (1 ticks in 4 periods)",
                "PASS: apic timer periodic: 5 ticks delivered",
                "PASS: apic timer periodic: reloads its count after each tick",
                "PASS: apic timer periodic: a zero initial count stops it",
                "PASS: apic timer masked: counts down, interrupts nothing",
                "PASS: apic timer: hlt with interrupts on is woken by it",
                "PASS: x2apic: enabled through the base MSR",
                "PASS: x2apic: ID 0 (all 32 bits)",
                "PASS: x2apic timer one-shot: delivered",
                "SUMMARY: 16 tests"
            ])
        #expect(result.assists.isEmpty) // delivery and iretq in long mode are the host's, on PVM too
    }

    /// The library's own lines: a failing check is a FAIL line, counted in the summary and the status.
    @Test func aFailedCheckIsReportedAndIsTheExitStatus() throws {
        let result = try TestKernels.boot(Self.kernel("reporting.c"))
        Self.expectVerdicts(
            result,
            [
                "PASS: a true check (1)", "FAIL: a false check (0x2a)",
                "SKIP: a check this host cannot make",
                "SUMMARY: 3 tests, 1 unexpected failures, 1 skipped"
            ])
        #expect(result.end == .exited(status: 1))
    }

    /// The same kernel as ELF64, as it was linked: the loader takes both, and the verdicts are the same.
    @Test func theELF64FormGivesTheSameVerdicts() throws {
        let built = try TestKernels.build(["unit-entry.asm", "unit.c", "setjmp.c"], wide: true)
        #expect(built.elf[4] == 2) // ELFCLASS64
        let result = try TestKernels.boot(built)
        Self.expectVerdicts(
            result,
            [
                "PASS: setjmp returns each longjmp's value, 0 to 9",
                "PASS: longjmp with 0 makes setjmp return 1", "SUMMARY: 2 tests"
            ])
    }
}
