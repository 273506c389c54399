import Foundation

/// A task executor with one thread of its own. Work that blocks (a site build's synchronous stages,
/// a tool's run) holds this thread instead of one of Swift concurrency's cooperative threads, of
/// which there are about one per core, two on small machines: a build there would otherwise leave a
/// development server, or every other test, one thread to run on, or none.
public final class ThreadExecutor: TaskExecutor, @unchecked Sendable {
    // The job queue is guarded by `condition`; the thread takes jobs in order until `stop()`.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var head = 0
    private var stopping = false
    private var runner: pthread_t?

    public init(name: String, stackSize: Int = 8 << 20) {
        let thread = Thread { [self] in
            condition.lock()
            runner = pthread_self()
            condition.unlock()
            runJobs()
        }
        thread.name = name
        thread.stackSize = stackSize
        thread.start()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Whether the caller runs on this executor's thread (its name is no proof: on Linux, Foundation
    /// does not reliably give a started thread the name it was given).
    public var isCurrentThread: Bool {
        condition.lock()
        defer { condition.unlock() }
        return runner.map { pthread_equal($0, pthread_self()) != 0 } ?? false
    }

    /// Lets the thread finish the jobs already queued and end.
    public func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    private func runJobs() {
        while let job = nextJob() {
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }

    private func nextJob() -> UnownedJob? {
        condition.lock()
        defer { condition.unlock() }
        while head == jobs.count && !stopping { condition.wait() }
        guard head < jobs.count else { return nil }
        let job = jobs[head]
        head += 1
        if head == jobs.count {
            // Drained: start the array over instead of letting it grow for the executor's life.
            jobs.removeAll(keepingCapacity: true)
            head = 0
        }
        return job
    }
}

/// Runs `operation` with a thread of its own as its preferred executor, so that its synchronous
/// parts, and those of the child tasks it starts, do not occupy the cooperative pool. Unstructured
/// tasks it starts (`Task {}`) do not inherit the preference and run on the pool as usual.
public func onAThreadOfItsOwn<T: Sendable>(
    named name: String, _ operation: @Sendable () async throws -> T
) async throws -> T {
    let executor = ThreadExecutor(name: name)
    defer { executor.stop() }
    return try await withTaskExecutorPreference(executor) { try await operation() }
}
