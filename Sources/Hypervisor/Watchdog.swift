#if canImport(Glibc)
import Glibc
#endif
import CKVM
import Synchronization

/// Stops guests that never leave the CPU. One thread for the process keeps the deadlines of all runs in
/// flight; when one passes, it sets that run's `kvm_run.immediate_exit` and then signals the run's
/// thread. The signal's handler does nothing and is installed without SA_RESTART, so a KVM_RUN in
/// progress returns EINTR at once, and `immediate_exit` makes a KVM_RUN that was about to start return
/// EINTR too. No guest instruction stream (a `jmp $` at ring 0, a real-mode triple-fault runaway, a
/// `vmcall` livelock) can outlast it.
///
/// Runs block the signal on their thread except inside KVM_RUN (KVM_SET_SIGNAL_MASK), so it can never
/// interrupt anything else the calling thread does.
final class Watchdog: @unchecked Sendable {
    // unchecked Sendable: every mutable field is guarded by `mutex`.
    static let shared = Watchdog()

    /// The signal used to kick a vCPU thread out of KVM_RUN.
    static let signal: Int32 = ckvm_sigrtmin() + 2

    /// One armed deadline. `fired` is read by the run's own thread after EINTR.
    final class Alarm: Sendable {
        let deadline: UInt64 // CLOCK_MONOTONIC nanoseconds
        let fired = Atomic<Bool>(false)
        fileprivate let thread: pthread_t
        fileprivate nonisolated(unsafe) let run: UnsafeMutablePointer<kvm_run>

        fileprivate init(deadline: UInt64, thread: pthread_t, run: UnsafeMutablePointer<kvm_run>) {
            self.deadline = deadline
            self.thread = thread
            self.run = run
        }
    }

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var alarms: [ObjectIdentifier: Alarm] = [:]
    /// When the watchdog thread will next wake up by itself (UInt64.max: only when signalled).
    private var nextWakeup = UInt64.max

    private init() {
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)

        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in } // only there to make KVM_RUN return EINTR
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0 // deliberately no SA_RESTART
        sigaction(Self.signal, &action, nil)

        var thread = pthread_t()
        // The watchdog is never deallocated (it is the process-wide `shared`), so an unretained pointer is safe.
        let created = pthread_create(&thread, nil, { context in
            Unmanaged<Watchdog>.fromOpaque(context!).takeUnretainedValue().watch()
        }, Unmanaged.passUnretained(self).toOpaque())
        precondition(created == 0, "cannot start the hypervisor watchdog thread")
        pthread_detach(thread)
    }

    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    /// Arms a deadline for the calling thread's run. Disarm it before `run` is unmapped.
    func arm(after timeout: Duration, run: UnsafeMutablePointer<kvm_run>) -> Alarm {
        let (seconds, attoseconds) = timeout.components
        let nanoseconds = UInt64(clamping: seconds).multipliedReportingOverflow(by: 1_000_000_000)
        let span = nanoseconds.overflow ? UInt64.max / 2 : nanoseconds.partialValue + UInt64(attoseconds / 1_000_000_000)
        let alarm = Alarm(deadline: Self.now() &+ min(span, UInt64.max / 2), thread: pthread_self(), run: run)
        pthread_mutex_lock(mutex)
        alarms[ObjectIdentifier(alarm)] = alarm
        // Wake the thread only if it would otherwise sleep past this deadline: runs with equal timeouts
        // arm later deadlines than the one it is waiting for, and then cost no wakeup at all.
        let wake = alarm.deadline < nextWakeup
        pthread_mutex_unlock(mutex)
        if wake { pthread_cond_signal(condition) }
        return alarm
    }

    /// Disarms; after this returns the watchdog never touches the alarm's thread or kvm_run again.
    func disarm(_ alarm: Alarm) {
        pthread_mutex_lock(mutex)
        alarms[ObjectIdentifier(alarm)] = nil
        pthread_mutex_unlock(mutex)
    }

    /// Whether an alarm is armed for `thread` (tests: no run may leave one behind).
    func hasAlarm(for thread: pthread_t) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return alarms.values.contains { pthread_equal($0.thread, thread) != 0 }
    }

    private func watch() -> Never {
        pthread_mutex_lock(mutex)
        while true {
            let now = Self.now()
            var earliest = UInt64.max
            for alarm in alarms.values {
                if alarm.deadline <= now {
                    alarm.fired.store(true, ordering: .sequentiallyConsistent)
                    // Safe: the alarm is armed, so its run is still mapped and its thread still in the
                    // run loop (disarm takes this lock before either goes away).
                    ckvm_request_immediate_exit(alarm.run)
                    pthread_kill(alarm.thread, Self.signal)
                    alarms[ObjectIdentifier(alarm)] = nil
                } else {
                    earliest = min(earliest, alarm.deadline)
                }
            }
            nextWakeup = earliest
            if earliest == UInt64.max {
                pthread_cond_wait(condition, mutex)
            } else {
                var until = timespec(tv_sec: Int(earliest / 1_000_000_000), tv_nsec: Int(earliest % 1_000_000_000))
                pthread_cond_timedwait(condition, mutex, &until)
            }
        }
    }
}

/// Blocks the watchdog signal on the calling thread for the life of a run, and restores the thread's
/// mask afterwards. A watchdog signal still pending then (it arrived after the run had left KVM_RUN)
/// is consumed here: left pending on a thread whose own mask blocks it (every GCD worker thread), it
/// would make each later KVM_RUN on that thread return EINTR at once.
struct SignalBlock: ~Copyable {
    let previous: sigset_t

    init() {
        _ = Watchdog.shared // installs the handler before anything can send the signal
        var block = Self.watchdogSet(), previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &block, &previous)
        self.previous = previous
        Self.drain()
    }

    deinit {
        Self.drain()
        var previous = self.previous
        pthread_sigmask(SIG_SETMASK, &previous, nil)
    }

    private static func watchdogSet() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, Watchdog.signal)
        return set
    }

    /// Takes every pending watchdog signal off this thread without waiting (it is blocked here).
    private static func drain() {
        var set = watchdogSet()
        var now = timespec(tv_sec: 0, tv_nsec: 0)
        while sigtimedwait(&set, nil, &now) == Watchdog.signal {}
    }
}
