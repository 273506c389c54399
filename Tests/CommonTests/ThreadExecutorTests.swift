import Common
import Foundation
import Testing

/// Blocking work under `onAThreadOfItsOwn` runs on its own thread, not on the cooperative pool
/// (two threads on a two-core machine), before and after a suspension and in child tasks.
@Suite struct ThreadExecutorTests {
    /// A synchronous function: `Thread.current` is not for async contexts.
    static func threadName() -> String { Thread.current.name ?? "" }

    @Test func synchronousPartsRunOnTheOwnThreadAcrossSuspensionsAndChildTasks() async throws {
        let names = try await onAThreadOfItsOwn(named: "hc-test-own-thread") { () async throws -> [String] in
            let before = Self.threadName()
            try await Task.sleep(for: .milliseconds(20))
            let after = Self.threadName()
            async let child = Self.threadName()
            let grouped = await withTaskGroup(of: String.self) { group in
                for _ in 0..<3 { group.addTask { Self.threadName() } }
                return await group.reduce(into: [String]()) { $0.append($1) }
            }
            return [before, after, await child] + grouped
        }
        #expect(names == Array(repeating: "hc-test-own-thread", count: 6))
    }

    @Test func blockingWorkLeavesThePoolFree() async throws {
        // As many blockers as the pool has threads: on the pool they would hold all of it.
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
        // Every blocker is spinning on its own thread; a plain task still runs, then lets them go.
        let ran = await Task { Self.threadName() }.value
        release.withLock { $0 = true }
        for blocker in blockers { try await blocker.value }
        #expect(!ran.hasPrefix("hc-blocker-"))
    }
}
