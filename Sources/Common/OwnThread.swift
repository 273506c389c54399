import Foundation

/// Runs blocking `work` (KVM_RUN, a tool, a batch of synchronous guests) on a thread of its own and
/// awaits its result. Swift concurrency's cooperative pool has about one thread per core, two on our
/// machines: blocking one of them stalls every task behind it. Not a Dispatch queue either: on Linux
/// its global queues also run about one thread per core, so blocked work would wait in line there.
public func onItsOwnThread<T: Sendable>(stackSize: Int? = nil, _ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        let thread = Thread { continuation.resume(returning: work()) }
        if let stackSize { thread.stackSize = stackSize }
        thread.start()
    }
}
