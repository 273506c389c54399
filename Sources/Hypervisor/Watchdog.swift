import CKVM
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Stops guests that never leave the CPU. One thread for the process keeps the deadlines of all runs in
/// flight; when one passes, it sets `kvm_run.immediate_exit` of each of the run's vCPUs and then
/// signals their threads. The signal's handler does nothing and is installed without SA_RESTART, so a
/// KVM_RUN in progress returns EINTR at once, and `immediate_exit` makes a KVM_RUN that was about to
/// start return EINTR too. No guest instruction stream (a `jmp $` at ring 0, a real-mode triple-fault
/// runaway, a `vmcall` livelock) can outlast it.
///
/// The same kick ends a run's other vCPUs when one of them ends it (`stop`), and, as a probe without
/// `immediate_exit`, lets a `pc` machine's vCPUs look at their state while KVM keeps them halted in
/// the kernel (`Probes`).
///
/// Runs block the signal on their threads except inside KVM_RUN (KVM_SET_SIGNAL_MASK), so it can
/// never interrupt anything else those threads do.
final class Watchdog: @unchecked Sendable {
    // unchecked Sendable: every mutable field is guarded by `mutex`.
    static let shared = Watchdog()

    /// The signal used to kick a vCPU thread out of KVM_RUN.
    static let signal: Int32 = ckvm_sigrtmin() + 2

    /// How often to probe a run's vCPUs: first after `first`, then at doubling intervals up to `longest`.
    struct Probes: Sendable {
        var first: Duration
        var longest: Duration
    }

    /// One vCPU thread of a run: who to signal, and whose kvm_run to set immediate_exit in.
    fileprivate struct Target {
        let thread: pthread_t
        let run: UnsafeMutablePointer<kvm_run>
    }

    /// One run's deadline. `fired` is read by the run's threads after EINTR.
    final class Alarm: Sendable {
        let deadline: UInt64 // CLOCK_MONOTONIC nanoseconds
        let fired = Atomic<Bool>(false)
        /// Set by `stop`: another vCPU ended the run.
        let stopped = Atomic<Bool>(false)
        fileprivate nonisolated(unsafe) var targets: [ObjectIdentifier: Target] = [:] // guarded by the watchdog's mutex
        fileprivate nonisolated(unsafe) var nextProbe = UInt64.max
        fileprivate nonisolated(unsafe) var probeInterval: UInt64 = 0
        fileprivate let firstProbe: UInt64
        fileprivate let longestProbe: UInt64

        fileprivate init(deadline: UInt64, probes: Probes?) {
            self.deadline = deadline
            firstProbe = probes.map { Watchdog.nanoseconds($0.first) } ?? 0
            longestProbe = probes.map { Watchdog.nanoseconds($0.longest) } ?? 0
            if probes != nil {
                probeInterval = firstProbe
                nextProbe = Watchdog.now() &+ probeInterval
            }
        }
    }

    /// What a vCPU thread holds while it is attached to an alarm.
    final class Attachment: Sendable {
        fileprivate let alarm: Alarm
        fileprivate init(_ alarm: Alarm) { self.alarm = alarm }
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
        let created = pthread_create(
            &thread, nil,
            { context in
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

    static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        let whole = UInt64(clamping: seconds).multipliedReportingOverflow(by: 1_000_000_000)
        return whole.overflow ? UInt64.max / 2 : min(whole.partialValue + UInt64(attoseconds / 1_000_000_000), UInt64.max / 2)
    }

    /// Arms a deadline for a run (and probes, for machines whose vCPUs halt inside KVM). Its vCPU
    /// threads attach themselves; disarm it once they have all detached.
    func arm(after timeout: Duration, probes: Probes? = nil) -> Alarm {
        let alarm = Alarm(deadline: Self.now() &+ Self.nanoseconds(timeout), probes: probes)
        pthread_mutex_lock(mutex)
        alarms[ObjectIdentifier(alarm)] = alarm
        // Wake the thread only if it would otherwise sleep past this deadline: runs with equal timeouts
        // arm later deadlines than the one it is waiting for, and then cost no wakeup at all.
        let wake = min(alarm.deadline, alarm.nextProbe) < nextWakeup
        pthread_mutex_unlock(mutex)
        if wake { pthread_cond_signal(condition) }
        return alarm
    }

    /// Registers the calling thread, running `run`, as one of the alarm's vCPUs. Detach it before
    /// `run` is unmapped. If the run already timed out or was stopped, the vCPU exits at once.
    func attach(_ alarm: Alarm, run: UnsafeMutablePointer<kvm_run>) -> Attachment {
        let attachment = Attachment(alarm)
        pthread_mutex_lock(mutex)
        alarm.targets[ObjectIdentifier(attachment)] = Target(thread: pthread_self(), run: run)
        if alarm.fired.load(ordering: .sequentiallyConsistent) || alarm.stopped.load(ordering: .sequentiallyConsistent) {
            ckvm_request_immediate_exit(run)
        }
        pthread_mutex_unlock(mutex)
        return attachment
    }

    /// After this returns the watchdog never touches the attachment's thread or kvm_run again.
    func detach(_ attachment: Attachment) {
        pthread_mutex_lock(mutex)
        attachment.alarm.targets[ObjectIdentifier(attachment)] = nil
        pthread_mutex_unlock(mutex)
    }

    /// Kicks every attached vCPU of the run out of KVM_RUN for good: one of them ended the run.
    func stop(_ alarm: Alarm) {
        pthread_mutex_lock(mutex)
        alarm.stopped.store(true, ordering: .sequentiallyConsistent)
        // The caller is not in KVM_RUN (it is the vCPU, or the setup, that ends the run), so it is
        // not signalled: that would be a tgkill and a pending signal to drain, in every run.
        kick(alarm, exiting: true, sparing: pthread_self())
        pthread_mutex_unlock(mutex)
    }

    /// Brings the alarm's next probe forward to its first interval from now: a probe found every vCPU
    /// idle, and the probe that confirms it need not wait for the ever longer regular interval.
    func probeSoon(_ alarm: Alarm) {
        pthread_mutex_lock(mutex)
        let soon = Self.now() &+ alarm.firstProbe
        let wake = alarm.firstProbe > 0 && soon < alarm.nextProbe && alarms[ObjectIdentifier(alarm)] != nil
        if wake { alarm.nextProbe = soon }
        let earlier = wake && soon < nextWakeup
        pthread_mutex_unlock(mutex)
        if earlier { pthread_cond_signal(condition) }
    }

    func disarm(_ alarm: Alarm) {
        pthread_mutex_lock(mutex)
        alarms[ObjectIdentifier(alarm)] = nil
        pthread_mutex_unlock(mutex)
    }

    /// Whether an alarm has `thread` attached (tests: no run may leave one behind).
    func hasAlarm(for thread: pthread_t) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return alarms.values.contains { $0.targets.values.contains { pthread_equal($0.thread, thread) != 0 } }
    }

    /// Signals every attached thread but `sparing`; with `exiting`, sets their immediate_exit first
    /// (the spared one's too, so it cannot enter KVM_RUN again). Under `mutex`.
    private func kick(_ alarm: Alarm, exiting: Bool, sparing: pthread_t? = nil) {
        for target in alarm.targets.values {
            // Safe: the target is attached, so its run is still mapped and its thread still in the run
            // loop (detach takes this lock before either goes away).
            if exiting { ckvm_request_immediate_exit(target.run) }
            if let sparing, pthread_equal(target.thread, sparing) != 0 { continue }
            pthread_kill(target.thread, Self.signal)
        }
    }

    private func watch() -> Never {
        pthread_mutex_lock(mutex)
        while true {
            let now = Self.now()
            var earliest = UInt64.max
            for alarm in alarms.values {
                if alarm.deadline <= now {
                    alarm.fired.store(true, ordering: .sequentiallyConsistent)
                    kick(alarm, exiting: true)
                    alarms[ObjectIdentifier(alarm)] = nil
                    continue
                }
                if alarm.nextProbe <= now {
                    kick(alarm, exiting: false)
                    alarm.probeInterval = min(alarm.probeInterval * 2, alarm.longestProbe)
                    alarm.nextProbe = now &+ alarm.probeInterval
                }
                earliest = min(earliest, alarm.deadline, alarm.nextProbe)
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

    /// Takes every pending watchdog signal off this thread without waiting (it is blocked here). After
    /// a kick that is not the end of the run (a probe), this must run before the next KVM_RUN: the
    /// signal, unblocked only inside KVM_RUN, would otherwise still be pending and end it at once.
    static func drain() {
        var set = watchdogSet()
        var now = timespec(tv_sec: 0, tv_nsec: 0)
        while sigtimedwait(&set, nil, &now) == Watchdog.signal {}
    }
}
