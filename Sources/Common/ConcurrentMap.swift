import Dispatch

/// `body` for every index in `0..<count` on all cores, the results in index order. The one place
/// that shares a result buffer across Dispatch's worker threads.
public func concurrentMap<T>(_ count: Int, _ body: @Sendable (Int) -> T) -> [T] {
    guard count > 0 else { return [] }
    let results = UnsafeMutableBufferPointer<T?>.allocate(capacity: count)
    results.initialize(repeating: nil)
    defer {
        results.deinitialize()
        results.deallocate()
    }
    // Each iteration writes only its own slot, so the buffer needs no lock.
    nonisolated(unsafe) let slots = results
    DispatchQueue.concurrentPerform(iterations: count) { index in slots[index] = body(index) }
    return results.map { $0! }
}
