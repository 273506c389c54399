import Common
import Foundation
import Testing

/// Blocking work under a `ThreadExecutor` runs on its thread, not on the cooperative pool (two
/// threads on a two-core machine), before and after a suspension and in child tasks.
@Suite struct ThreadExecutorTests {
    @Test func synchronousPartsRunOnTheOwnThreadAcrossSuspensionsAndChildTasks() async throws {
        let executor = ThreadExecutor(name: "hc-test-own-thread")
        defer { executor.stop() }
        let places = try await withTaskExecutorPreference(executor) { () async throws -> [Bool] in
            let before = executor.isCurrentThread
            try await Task.sleep(for: .milliseconds(20))
            let after = executor.isCurrentThread
            async let child = executor.isCurrentThread
            let grouped = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<3 { group.addTask { executor.isCurrentThread } }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            return [before, after, await child] + grouped
        }
        #expect(places == Array(repeating: true, count: 6))
        // And not merely anywhere: a task without the preference runs elsewhere.
        #expect(await Task.detached { executor.isCurrentThread }.value == false)
    }

    @Test(.timeLimit(.minutes(1))) func blockingWorkLeavesThePoolFree() async throws {
        // As many blockers as the pool has threads: on the pool they would hold all of it, and
        // this test would wait for its time limit instead of passing.
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let release = Locked(false)
        let started = Locked(0)
        let blockers = (0..<cores).map { index in
            Task {
                try await onAThreadOfItsOwn(named: "hc-blocker-\(index)") {
                    started.withLock { $0 += 1 }
                    while !release.withLock({ $0 }) { usleep(1000) }
                }
            }
        }
        while started.withLock({ $0 }) < cores { try await Task.sleep(for: .milliseconds(5)) }
        // Every blocker spins on its own thread; a plain task still runs, then lets them go.
        let ran = await Task { true }.value
        release.withLock { $0 = true }
        for blocker in blockers { try await blocker.value }
        #expect(ran)
    }
}
