import Foundation

/// `HYPERCOURSE_PROFILE=1`: where a pass's time went, as one line on stderr: the wall time of each
/// phase in order with the process's CPU time in it (user and system, all threads: on a busy
/// machine the wall time says little) and the peak resident memory at its end, then, where parallel work added them, time summed over all threads by category
/// and the slowest items. Costs nothing when the variable is unset.
public final class PhaseTimer: @unchecked Sendable {
    // unchecked Sendable: every mutable field is read and written only under `lock`.
    public let enabled: Bool
    private let label: String
    private let clock = ContinuousClock()
    private let lock = NSLock()
    private var last: ContinuousClock.Instant
    private var phases: [(name: String, time: Duration, cpu: Double, peakMB: Int)] = []
    private var lastCPU: Double
    private var totals: [String: (count: Int, time: Duration)] = [:]
    /// Each item's slowest single measurement.
    private var slowest: [String: Duration] = [:]

    /// `label` starts the line (`profile`, `profile exercises`).
    public init(label: String, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.label = label
        enabled = environment["HYPERCOURSE_PROFILE"] != nil
        last = clock.now
        lastCPU = enabled ? Self.cpuSeconds() : 0
    }

    /// Ends the current phase under `name`.
    public func mark(_ name: String) {
        guard enabled else { return }
        let cpu = Self.cpuSeconds(), peak = Self.peakResidentMB()
        lock.withLock {
            let now = clock.now
            phases.append((name, now - last, cpu - lastCPU, peak))
            last = now
            lastCPU = cpu
        }
    }

    /// Adds `duration` to `category`'s total; `item` (an exercise) keeps its slowest duration.
    public func add(_ category: String, _ duration: Duration, item: String? = nil) {
        guard enabled else { return }
        lock.withLock {
            let old = totals[category] ?? (0, .zero)
            totals[category] = (old.count + 1, old.time + duration)
            if let item { slowest[item] = max(slowest[item] ?? .zero, duration) }
        }
    }

    /// The line, or nil when profiling is off or nothing was marked.
    public func summary(summing categories: [String] = [], slowestTitle: String = "slowest") -> String? {
        let (phases, totals, slowest) = lock.withLock { (self.phases, self.totals, self.slowest) }
        guard enabled, !phases.isEmpty else { return nil }
        var line =
            "\(label): "
            + phases.map {
                "\($0.name) \(Self.ms($0.time)) (cpu \(Self.ms(.milliseconds(Int($0.cpu * 1000)))), peak \($0.peakMB) MB)"
            }.joined(separator: ", ")
        let summed = categories.compactMap { name in totals[name].map { "\(name) \($0.count)× \(Self.ms($0.time))" } }
        if !summed.isEmpty { line += "; summed over threads: " + summed.joined(separator: ", ") }
        let top = slowest.sorted { $0.value > $1.value }.prefix(3).map { "\($0.key) \(Self.ms($0.value))" }
        if !top.isEmpty { line += "; \(slowestTitle): " + top.joined(separator: ", ") }
        return line
    }

    /// Writes the line to stderr (see `summary`).
    public func report(summing categories: [String] = [], slowestTitle: String = "slowest") {
        guard let line = summary(summing: categories, slowestTitle: slowestTitle) else { return }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// User and system CPU seconds of the whole process so far.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        let seconds = { (t: timeval) in Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// The process's peak resident set so far (`ru_maxrss`, in KB on Linux), in MB.
    static func peakResidentMB() -> Int {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return usage.ru_maxrss / 1024
    }

    static func ms(_ duration: Duration) -> String {
        String(format: "%.1f ms", Double(duration.components.attoseconds) / 1e15 + Double(duration.components.seconds) * 1000)
    }
}
