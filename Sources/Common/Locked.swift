import Foundation

/// A lock-protected value for the few things parallel work shares (progress, warnings, caches).
public final class Locked<Value>: @unchecked Sendable {
    // unchecked Sendable: `value` is only read or written inside `withLock`, under `lock`.
    private var value: Value
    private let lock = NSLock()

    public init(_ value: Value) { self.value = value }

    public func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
