import Foundation

/// A bounded pool of threads for blocking work: nasm and clang processes, and guests (the
/// hypervisor's `run` blocks its thread, so it must not run on Swift concurrency's small pool).
/// Jobs may submit more jobs; urgent ones (guest runs, whose builds are done) go first, so VMs
/// start as early as possible and the slowest guests do not wait behind builds.
final class WorkPool: @unchecked Sendable {
    // unchecked Sendable: the queues and counters are read and written only while `condition` is locked.
    private let condition = NSCondition()
    private var urgent: [@Sendable () -> Void] = []
    private var normal: [@Sendable () -> Void] = []
    private var normalHead = 0
    private var running = 0

    func submit(urgent isUrgent: Bool = false, _ job: @escaping @Sendable () -> Void) {
        condition.lock()
        if isUrgent { urgent.append(job) } else { normal.append(job) }
        condition.signal()
        condition.unlock()
    }

    /// Runs every job, and every job they submit, on `threads` threads; returns when all are done.
    func drain(threads: Int) {
        let count = max(1, threads)
        let finished = DispatchGroup()
        for _ in 0..<count {
            finished.enter()
            let thread = Thread { [self] in
                worker()
                finished.leave()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        finished.wait()
    }

    private func worker() {
        while true {
            condition.lock()
            while urgent.isEmpty && normalHead == normal.count && running > 0 { condition.wait() }
            let job: (@Sendable () -> Void)?
            if !urgent.isEmpty {
                job = urgent.removeFirst()
            } else if normalHead < normal.count {
                job = normal[normalHead]
                normalHead += 1
            } else {
                job = nil
            }
            if job != nil { running += 1 }
            condition.unlock()
            guard let job else {
                // Nothing queued and nothing running that could queue more: wake the others to leave too.
                condition.lock()
                condition.broadcast()
                condition.unlock()
                return
            }
            job()
            condition.lock()
            running -= 1
            condition.broadcast()
            condition.unlock()
        }
    }
}
