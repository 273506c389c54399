import CKVM
import Dispatch
import Synchronization
import Testing

@testable import Hypervisor

#if canImport(Glibc)
    import Glibc
#endif

/// The watchdog's kicks, without KVM: a zeroed kvm_run stands in for a vCPU's mapped page.
struct WatchdogTests {
    /// The vCPU that ends a run stops its alarm from its own thread, outside KVM_RUN: it gets
    /// immediate_exit like every other vCPU of the run, but no signal, which would otherwise be
    /// sent and then drained again in every run.
    @Test func stoppingARunDoesNotSignalTheThreadThatStopsIt() {
        var block = sigset_t(), previous = sigset_t()
        sigemptyset(&block)
        sigaddset(&block, Watchdog.signal)
        pthread_sigmask(SIG_BLOCK, &block, &previous)
        defer {
            SignalBlock.drain()
            pthread_sigmask(SIG_SETMASK, &previous, nil)
        }
        SignalBlock.drain()
        let run = UnsafeMutablePointer<kvm_run>.allocate(capacity: 1)
        run.initialize(to: kvm_run())
        defer { run.deallocate() }

        let alarm = Watchdog.shared.arm(after: .seconds(60))
        let attachment = Watchdog.shared.attach(alarm, run: run)
        Watchdog.shared.stop(alarm)
        Watchdog.shared.detach(attachment)
        Watchdog.shared.disarm(alarm)

        var pending = sigset_t()
        sigpending(&pending)
        #expect(sigismember(&pending, Watchdog.signal) == 0, "the stopping thread signalled itself")
        #expect(run.pointee.immediate_exit == 1)
        let stopped = alarm.stopped.load(ordering: .sequentiallyConsistent)
        #expect(stopped)
    }

    /// Another attached thread is still kicked: signalled, with immediate_exit set.
    @Test func stoppingARunSignalsItsOtherVCPUThreads() throws {
        let run = UnsafeMutablePointer<kvm_run>.allocate(capacity: 1)
        run.initialize(to: kvm_run())
        defer { run.deallocate() }
        let alarm = Watchdog.shared.arm(after: .seconds(60))
        let attached = DispatchSemaphore(value: 0), stopped = DispatchSemaphore(value: 0)
        let received = Received()
        let other = try VCPUThread {
            var block = sigset_t(), previous = sigset_t()
            sigemptyset(&block)
            sigaddset(&block, Watchdog.signal)
            pthread_sigmask(SIG_BLOCK, &block, &previous)
            let attachment = Watchdog.shared.attach(alarm, run: run)
            attached.signal()
            stopped.wait()
            var pending = sigset_t()
            sigpending(&pending)
            received.flag.store(sigismember(&pending, Watchdog.signal) == 1, ordering: .sequentiallyConsistent)
            Watchdog.shared.detach(attachment)
            SignalBlock.drain()
            pthread_sigmask(SIG_SETMASK, &previous, nil)
        }
        attached.wait()
        Watchdog.shared.stop(alarm)
        stopped.signal()
        other.join()
        Watchdog.shared.disarm(alarm)
        let signalled = received.flag.load(ordering: .sequentiallyConsistent)
        #expect(signalled, "the other vCPU's thread was not signalled")
        #expect(run.pointee.immediate_exit == 1)
    }
}

/// Whether the other thread found the signal pending: written before it is joined, read after.
private final class Received: Sendable {
    let flag = Atomic<Bool>(false)
}
