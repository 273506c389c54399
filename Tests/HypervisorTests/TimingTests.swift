import Foundation
import Testing

@testable import Hypervisor

/// Tests whose outcome depends on time. They run one after another (the trait applies to the suites
/// nested in this one), so that none measures while 4,000 random guests load the machine; and each
/// timing bound allows for what a trivial run takes at that moment, measured in the same test.
@Suite(.serialized, .enabled(if: TestKVM.deviceExists, "skipped: /dev/kvm is absent on this machine"))
enum TimingSensitiveTests {}

extension TimingSensitiveTests {
    @Suite struct TimeoutTests {
        /// A guest that never leaves the CPU ends as `timeout`, no sooner than the timeout and within a
        /// second after it, plus what a trivial run takes right now (measured here, as the machine is busy).
        @Test(.timeLimit(.minutes(1)), arguments: GuestMode.allCases)
        func spinningGuestTimesOut(mode: GuestMode) throws {
            let kvm = try TestKVM.system ?? TestKVM.kvm()
            let spin = try TestKVM.assemble("jmp $", mode: mode), halt = try TestKVM.assemble("hlt", mode: mode == .user ? .long : mode)
            let timeout = Duration.milliseconds(300)
            let baseline = try Self.time { _ = try kvm.run(halt, config: MachineConfig(mode: mode == .user ? .long : mode)) }
            var result: RunResult?
            let took = try Self.time { result = try kvm.run(spin, config: MachineConfig(mode: mode, timeout: timeout)) }
            #expect(result?.end == .timeout)
            #expect(took >= timeout, "ended after \(took)")
            #expect(took < timeout + .seconds(1) + baseline, "took \(took); a trivial run took \(baseline)")
            #expect(result.map { $0.exitCounts[.interrupted] >= 1 } == true)
        }

        @Test(.timeLimit(.minutes(1)))
        func realModeTripleFaultEndsWithinTheTimeout() throws {
            // An empty real-mode IDT: `int` faults, the fault faults, and the CPU shuts down, or (on PVM)
            // runs away in the emulator; either way the run ends, as crash or as timeout.
            let kvm = try TestKVM.system ?? TestKVM.kvm()
            let image = try TestKVM.assemble("lidt [idt]\nint 0x21\nhlt\nidt: dw 0\ndd 0", mode: .real)
            let halt = try TestKVM.assemble("hlt", mode: .real)
            let timeout = Duration.milliseconds(500)
            let baseline = try Self.time { _ = try kvm.run(halt, config: MachineConfig(mode: .real)) }
            var result: RunResult?
            let took = try Self.time { result = try kvm.run(image, config: MachineConfig(mode: .real, timeout: timeout)) }
            #expect(result?.end == .timeout || result?.end.name == "crash")
            #expect(took < timeout + .seconds(1) + baseline, "took \(took); a trivial run took \(baseline)")
        }

        static func time(_ body: () throws -> Void) rethrows -> Duration {
            let start = ContinuousClock.now
            try body()
            return ContinuousClock.now - start
        }

        @Test(.timeLimit(.minutes(1)))
        func aTimeoutLeavesNoSignalBehindForTheNextRun() throws {
            // Block every signal on this thread, as GCD does on its workers: a late watchdog signal left
            // pending here would make every later KVM_RUN on this thread return EINTR.
            var all = sigset_t(), previous = sigset_t()
            sigfillset(&all)
            pthread_sigmask(SIG_BLOCK, &all, &previous)
            defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
            for _ in 0..<5 {
                let spin = try TestKVM.run("jmp $", mode: .long) { $0.timeout = .milliseconds(30) }
                #expect(spin.end == .timeout)
                let hello = try TestKVM.run(TestKVM.hello(.long), mode: .long)
                #expect(hello.end == .halt && hello.exitCounts[.interrupted] == 0)
            }
        }
    }
}
