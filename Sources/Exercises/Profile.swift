import Foundation

/// `HYPERCOURSE_PROFILE=1`: where a pass's time went, on stderr: wall time per phase, then time
/// summed over all threads for nasm, clang (compile, link, flatten), guest runs and verification.
final class Profile: @unchecked Sendable {
    // unchecked Sendable: every mutable field is guarded by `lock`.
    private let enabled = ProcessInfo.processInfo.environment["HYPERCOURSE_PROFILE"] != nil
    private let clock = ContinuousClock()
    private let lock = NSLock()
    private var last: ContinuousClock.Instant
    private var marks: [String] = []
    private var totals: [String: (count: Int, time: Duration)] = [:]
    /// Each exercise's slowest single run.
    private var guests: [String: Duration] = [:]

    init() { last = clock.now }

    func mark(_ name: String) {
        guard enabled else { return }
        lock.withLock {
            let now = clock.now
            marks.append("\(name) \(Self.ms(now - last))")
            last = now
        }
    }

    func add(_ category: String, _ duration: Duration, exercise: String? = nil) {
        guard enabled else { return }
        lock.withLock {
            let old = totals[category] ?? (0, .zero)
            totals[category] = (old.count + 1, old.time + duration)
            if let exercise { guests[exercise] = max(guests[exercise] ?? .zero, duration) }
        }
    }

    func report() {
        guard enabled else { return }
        let (marks, totals, guests) = lock.withLock { (self.marks, self.totals, self.guests) }
        let summed = ["nasm", "clang", "vm", "verify"].compactMap { name in
            totals[name].map { "\(name) \($0.count)× \(Self.ms($0.time))" }
        }
        let slowest = guests.sorted { $0.value > $1.value }.prefix(3).map { "\($0.key) \(Self.ms($0.value))" }
        FileHandle.standardError.write(Data(("profile exercises: " + marks.joined(separator: ", ")
            + (summed.isEmpty ? "" : "; summed over threads: " + summed.joined(separator: ", "))
            + (slowest.isEmpty ? "" : "; slowest guests (one run): " + slowest.joined(separator: ", ")) + "\n").utf8))
    }

    static func ms(_ duration: Duration) -> String {
        String(format: "%.1f ms", Double(duration.components.attoseconds) / 1e15 + Double(duration.components.seconds) * 1000)
    }
}
