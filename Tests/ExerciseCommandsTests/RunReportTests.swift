import Foundation
import Hypervisor
import Testing

@testable import ExerciseCommands
@testable import Exercises

/// The `hypercourse run` report, summary line and exit codes, on hand-built results.
@Suite struct RunReportTests {
    func result(_ end: EndReason, output: [UInt8] = Array("hi\n".utf8), trace: Bool = false) -> RunResult {
        var counts = ExitCounts()
        counts[.ioOut] = 13
        counts[.hlt] = 1
        var registers = Registers()
        registers.rax = 0x48
        registers.rip = 0x7C0F
        var traced: Trace?
        if trace {
            var t = Trace(limit: 10)
            t.entries = [TraceEntry(index: 0, exitNumber: 0, kind: .ioOut, port: 0x3F8, size: 1, value: 0x48, rip: 0x7C0B, csBase: 0)]
            traced = t
        }
        return RunResult(
            output: output, end: end, exitCounts: counts, registers: registers, trace: traced, steps: nil,
            host: .pvm, machineVersion: GuestMachine.version, elapsed: .microseconds(420))
    }

    func json(_ report: RunReport) throws -> [String: Any] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(report)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func jsonHasExactlyTheDocumentedKeys() throws {
        let plain = try json(RunReport(last: result(.halt), elapsedMicros: [420]))
        #expect(Set(plain.keys) == ["output", "end", "exitCounts", "registers", "timing", "machine", "cpus", "endedBy", "vcpus"])
        let traced = try json(RunReport(last: result(.halt, trace: true), elapsedMicros: [420]))
        #expect(Set(traced.keys) == ["output", "end", "exitCounts", "registers", "timing", "trace", "machine", "cpus", "endedBy", "vcpus"])
        let end = try #require(plain["end"] as? [String: Any])
        #expect(end["reason"] as? String == "halt" && end["status"] is NSNull)
        #expect(plain["exitCounts"] as? [String: Int] == ["io-out": 13, "hlt": 1])
        let registers = try #require(plain["registers"] as? [String: String])
        #expect(registers["rax"] == "0x0000000000000048" && registers.count == 18)
        let trace = try #require(traced["trace"] as? [[String: Any]])
        #expect(trace.first?["port"] as? String == "0x3f8" && trace.first?["value"] as? String == "0x48")
    }

    @Test func exitStatusIsReportedAndEndHasExactlyReasonAndStatus() throws {
        let exited = try json(RunReport(last: result(.exited(status: 3)), elapsedMicros: [1]))
        #expect((exited["end"] as? [String: Any])?["status"] as? Int == 3)
        let crash = CrashDetail(kind: .shutdown, code: 0, message: "KVM_EXIT_SHUTDOWN: triple fault")
        let crashed = try json(RunReport(last: result(.crash(crash)), elapsedMicros: [1]))
        let end = try #require(crashed["end"] as? [String: Any])
        #expect(Set(end.keys) == ["reason", "status"] && end["reason"] as? String == "crash" && end["status"] is NSNull)
    }

    @Test func timingIsOverEveryRun() throws {
        let report = RunReport(last: result(.halt), elapsedMicros: [500, 100, 300, 200, 400, 900, 600, 700, 800, 1000])
        #expect(report.timing == .init(runs: 10, medianMicros: 500, p90Micros: 900))
    }

    @Test func invalidUTF8BecomesOneReplacementPerMaximalSubpart() throws {
        #expect(GuestText.decode([0x48, 0xFF, 0x49]) == "H\u{FFFD}I")
        #expect(GuestText.decode([0xE2, 0x82]) == "\u{FFFD}") // a truncated 3-byte sequence is one subpart
        #expect(GuestText.decode([0xC0, 0xAF]) == "\u{FFFD}\u{FFFD}") // C0 can never start a sequence
        #expect(GuestText.decode([0xE2, 0x82, 0xAC, 0x00, 0x1B]) == "€\u{0}\u{1B}")
        let report = RunReport(last: result(.halt, output: [0x3C, 0xFF, 0x00, 0x22]), elapsedMicros: [1])
        let encoded = try JSONEncoder().encode(report)
        let decoded = try #require(try JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        #expect(decoded["output"] as? String == "<\u{FFFD}\u{0}\"")
    }

    @Test func summaryLineReadsWell() {
        #expect(RunSummary.line(for: result(.halt), elapsedMicros: [420]) == "halt · 14 exits (io-out 13, hlt 1) · 0.42 ms")
        #expect(
            RunSummary.line(for: result(.exited(status: 3)), elapsedMicros: [1500, 2500, 2000])
                == "exit 3 · 14 exits (io-out 13, hlt 1) · median 2.00 ms over 3 runs")
    }

    /// The exit that ended a crash is named beside the end, not counted: the card (a host-independent
    /// record) leaves it out, so `run`'s line and the card agree. `--json` still counts it.
    @Test func aCrashNamesItsEndingExitApartFromTheCounts() throws {
        let crash = CrashDetail(kind: .shutdown, code: 0, message: "KVM_EXIT_SHUTDOWN: x")
        var crashed = result(.crash(crash))
        crashed.exitCounts[.hlt] = 0
        crashed.exitCounts[.shutdown] = 1
        #expect(
            RunSummary.line(for: crashed, elapsedMicros: [10]) == "crash (shutdown) · 13 exits (io-out 13) · 0.01 ms · KVM_EXIT_SHUTDOWN: x"
        )
        let counts = try json(RunReport(last: crashed, elapsedMicros: [10]))["exitCounts"] as? [String: Int]
        #expect(counts == ["io-out": 13, "shutdown": 1])
        // Not a crash: a shutdown exit is not special (it cannot happen, but the rule is about the end).
        var halted = result(.timeout)
        halted.exitCounts[.interrupted] = 1
        #expect(RunSummary.line(for: halted, elapsedMicros: [10]).hasPrefix("timeout · 15 exits (io-out 13, hlt 1, interrupted 1) · "))
    }

    /// Every numeric option is checked before anything runs or converts, with exit code 12.
    @Test func standaloneRunRefusesOutOfRangeNumbersBeforeRunning() {
        var run = StandaloneRun(file: "/nonexistent/guest.bin")
        run.kvmDevice = "/nonexistent/kvm"
        run.timeoutSeconds = 1e10
        #expect(run.invalidOption() == "--timeout must be a number of seconds at least 0.001 (1 ms) and at most 600 seconds")
        let outcome = run.perform()
        #expect(outcome.exitCode == RunSummary.codeBadInput && outcome.stderr.hasPrefix("error: --timeout must be"))
        run.timeoutSeconds = 0.3
        #expect(run.invalidOption() == nil)
        #expect(run.perform().stderr == "/nonexistent/guest.bin: error: cannot read the file\n")
    }

    @Test func timeoutConversionIsChecked() {
        #expect(MachineConfig.timeout(seconds: 1e10) == nil && MachineConfig.timeout(seconds: 1e-12) == nil)
        #expect(MachineConfig.timeout(seconds: .nan) == nil && MachineConfig.timeout(seconds: -.infinity) == nil)
        #expect(MachineConfig.timeout(seconds: 0.001) == .milliseconds(1) && MachineConfig.timeout(seconds: 600) == .seconds(600))
    }

    @Test func everyEndAndEveryKVMProblemHasItsOwnExitCode() {
        let ends: [EndReason] = [
            .exited(status: 1), .crash(CrashDetail(kind: .shutdown, code: 0, message: "")),
            .timeout, .outputLimit, .exitLimit
        ]
        let endCodes = ends.map(RunSummary.exitCode(for:))
        #expect(RunSummary.exitCode(for: .halt) == 0 && RunSummary.exitCode(for: .exited(status: 0)) == 0)
        #expect(Set(endCodes).count == ends.count && !endCodes.contains(0))
        let kvm: [KVMError] = [
            .deviceMissing(path: "/x"), .permissionDenied(path: "/x"), .wrongAPIVersion(path: "/x", found: 3),
            .unsupported(path: "/x", reason: ""), .notSupportedOnHost("steps in user mode")
        ]
        let kvmCodes = kvm.map(RunSummary.exitCode(for:))
        #expect(Set(kvmCodes).count == kvm.count && Set(kvmCodes).isDisjoint(with: endCodes))
        #expect(RunSummary.exitCode(for: NasmError.missing) != RunSummary.exitCode(for: NasmError.failed([])))
    }
}
