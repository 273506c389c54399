import Common
import Foundation

/// Timings of an exercise's extra runs (`measure=N`): shown on the page as measured on the build
/// machine, never verified, never in the key or the record. They live in the git-ignored cache
/// (`measurements/<key>-<N>.json`), so a warm build shows them without running anything.
public struct Measurement: Sendable, Hashable, Codable {
    public var runs: Int
    /// Wall-clock time of one run, from the start of the VM (or the vmm's launch) to its end.
    public var medianSeconds: Double
    public var minSeconds: Double
    public var maxSeconds: Double
    /// Median of run time divided by VM exits; nil when the runs have no exits of their own (a vmm).
    public var medianPerExitSeconds: Double?
    /// The kind of host (`pvm`, `vmx`, `svm`) and when.
    public var host: String
    public var measuredAt: String

    /// The summary of `samples` (each a run's time and its VM exits, nil for a vmm), or nil for none.
    static func of(_ samples: [(elapsed: Duration, exits: Int?)], host: String, at time: String) -> Measurement? {
        guard !samples.isEmpty else { return nil }
        let seconds = samples.map { Double($0.elapsed.components.seconds) + Double($0.elapsed.components.attoseconds) / 1e18 }
        let perExit = samples.compactMap { sample -> Double? in
            guard let exits = sample.exits, exits > 0 else { return nil }
            return (Double(sample.elapsed.components.seconds) + Double(sample.elapsed.components.attoseconds) / 1e18) / Double(exits)
        }
        return Measurement(
            runs: samples.count, medianSeconds: median(seconds), minSeconds: seconds.min()!, maxSeconds: seconds.max()!,
            medianPerExitSeconds: perExit.count == samples.count ? median(perExit) : nil, host: host, measuredAt: time)
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}

/// Where measurements are kept: `measurements/` in the cache folder, one file per key and count.
final class MeasurementCache: Sendable {
    let directory: URL?

    init(directory: URL?) { self.directory = directory?.appendingPathComponent("measurements") }

    func load(key: String, runs: Int) -> Measurement? {
        guard let directory, let data = FileManager.default.contents(atPath: directory.appendingPathComponent("\(key)-\(runs).json").path)
        else { return nil }
        return try? JSONDecoder().decode(Measurement.self, from: data)
    }

    func store(_ measurement: Measurement, key: String) {
        guard let directory, let data = try? JSONEncoder().encode(measurement) else { return }
        try? AtomicFile.write(data, to: directory.appendingPathComponent("\(key)-\(measurement.runs).json"))
    }
}
