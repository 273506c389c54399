import Foundation
import Testing

@testable import Hypervisor

/// Host-side failures in the middle of a run: nothing the run set up may outlive it.
@Suite(.enabled(if: TestKVM.deviceExists, "skipped: /dev/kvm is absent on this machine"))
struct ErrorPathTests {
    /// A KVM_GET_REGS (or SET_GUEST_DEBUG) failure inside the run loop throws out of the run. The
    /// watchdog's alarm must be gone by then: it holds the vCPU's kvm_run page, which is unmapped as
    /// the run unwinds, and this thread, which goes on to run other guests.
    @Test(arguments: [1, 3])
    func aFailureInsideTheRunLoopLeavesNoAlarmArmed(failingAt exit: Int) throws {
        let kvm = try TestKVM.system ?? TestKVM.kvm()
        let image = try TestKVM.assemble(TestKVM.hello(.long), mode: .long)
        var run = GuestRun(system: kvm, config: MachineConfig(mode: .long, timeout: .milliseconds(200)))
        run.injectFault = { count in count >= exit ? .systemCall("KVM_GET_REGS", Errno(rawValue: EIO)) : nil }
        #expect(throws: KVMError.systemCall("KVM_GET_REGS", Errno(rawValue: EIO))) { try run.execute(image) }
        #expect(!Watchdog.shared.hasAlarm(for: pthread_self()), "the failed run left its alarm armed")

        // The thread runs guests as before: no late signal ends the next one as a timeout.
        Thread.sleep(forTimeInterval: 0.3)
        let next = try kvm.run(image, config: MachineConfig(mode: .long))
        #expect(next.end == .halt && next.exitCounts[.interrupted] == 0)
    }

    @Test func aNormalRunLeavesNoAlarmArmed() throws {
        _ = try TestKVM.run(TestKVM.hello(.real), mode: .real)
        #expect(!Watchdog.shared.hasAlarm(for: pthread_self()))
    }

    /// The one case where the final RIP is not past the last instruction: a `rep outsb` whose first
    /// iteration hits the exit port. KVM completes that iteration and leaves RIP on the instruction.
    @Test(arguments: [GuestMode.real, .long])
    func repOutsToTheExitPortLeavesRIPOnTheInstruction(mode: GuestMode) throws {
        let si = mode == .real ? "si" : "rsi", cx = mode == .real ? "cx" : "rcx"
        let result = try TestKVM.run(
            """
            mov \(si), data
            mov \(cx), 3
            mov dx, 0xf4
            rep outsb
            hlt
            data: db 5, 6, 7
            """, mode: mode)
        #expect(result.end == .exited(status: 5))
        let prefix = mode == .real ? 3 + 3 + 3 : 10 + 5 + 4 // the three moves before `rep outsb`
        #expect(result.registers.rip == mode.loadAddress + UInt64(prefix))
        #expect(result.registers.rcx & 0xFFFF == 2)
    }
}

/// Stepping a ring-3 guest is a limit of PVM, not a sign that KVM is unusable: a build must fail at the
/// exercise that asks for it, not fall back to showing records.
@Suite(.enabled(if: TestKVM.deviceExists && HostKind.detect() == .pvm, "skipped: needs a PVM host"))
struct HostLimitTests {
    @Test func steppingAUserModeGuestOnPVMIsNotSupportedRatherThanUnavailable() throws {
        let kvm = try TestKVM.system ?? TestKVM.kvm()
        let image = try TestKVM.assemble(TestKVM.hello(.user), mode: .user)
        do {
            let result = try kvm.run(image, config: MachineConfig(mode: .user, steps: 3))
            Issue.record("stepping a user-mode guest on PVM ran: \(result.end)")
        } catch {
            guard case .notSupportedOnHost(let reason) = error else {
                Issue.record("expected notSupportedOnHost, got \(error)")
                return
            }
            #expect(!error.isUnavailable)
            #expect(reason.contains("user-mode") && reason.contains("PVM"))
            #expect(error.description.hasPrefix("not supported on this host: "))
        }
        // The same system still runs everything else.
        #expect(try kvm.run(image, config: MachineConfig(mode: .user)).end == .exited(status: 0))
    }
}
