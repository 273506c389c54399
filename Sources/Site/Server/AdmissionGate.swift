import Common

/// At most `running` holders at once and at most `queued` waiting for a turn, served in order of
/// arrival; one more is turned away instead of waiting without end.
final class AdmissionGate: Sendable {
    private struct State {
        var running = 0
        var waiting: [CheckedContinuation<Bool, Never>] = []
    }

    let running: Int
    let queued: Int
    private let state = Locked(State())

    init(running: Int, queued: Int) {
        self.running = max(1, running)
        self.queued = max(0, queued)
    }

    /// Waits for a turn; false at once when all turns are taken and the queue is full. Every true
    /// must be followed by exactly one `leave()`.
    func enter() async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            // One decision under the lock: two arrivals can never both take the last place.
            let answer = state.withLock { state -> Bool? in
                if state.running < running {
                    state.running += 1
                    return true
                }
                guard state.waiting.count < queued else { return false }
                state.waiting.append(continuation)
                return nil
            }
            if let answer { continuation.resume(returning: answer) }
        }
    }

    /// Ends a turn: the first waiter takes it over, or it becomes free.
    func leave() {
        let next = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard !state.waiting.isEmpty else {
                state.running -= 1
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume(returning: true)
    }

    /// Turns taken and waiters, for tests.
    var load: (running: Int, waiting: Int) { state.withLock { ($0.running, $0.waiting.count) } }
}
