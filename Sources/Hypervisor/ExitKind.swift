/// Kinds of VM exit, as counted and traced. Raw values are stable kebab-case strings: pages, JSON and
/// verified records show them, so never rename one.
public enum ExitKind: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case ioOut = "io-out"
    case ioIn = "io-in"
    case mmioRead = "mmio-read"
    case mmioWrite = "mmio-write"
    case hlt
    case shutdown
    case internalError = "internal-error"
    case failEntry = "fail-entry"
    /// A single-step (or other debug) exit.
    case debug
    /// KVM_RUN returned EINTR: the watchdog (or another signal) kicked the vCPU out.
    case interrupted
    case systemEvent = "system-event"
    case exception
    /// An exit reason this hypervisor does not handle; the number is kept in the crash detail.
    case other

    public var description: String { rawValue }
}

/// How many exits of each kind a run took. Stored densely: it is updated on every exit.
public struct ExitCounts: Sendable, Hashable, Codable, CustomStringConvertible {
    private var counts = [Int](repeating: 0, count: ExitKind.allCases.count)

    public init() {}

    /// `allCases` once: the synthesized property builds a new array on every call.
    private static let kinds = ExitKind.allCases

    /// A kind's slot is its place in `allCases`, so a new kind needs no edit here. A search of 13
    /// cases costs tens of nanoseconds, nothing beside the microseconds of the exit it counts.
    private static func index(_ kind: ExitKind) -> Int {
        // Every kind is in `allCases`, so the search always finds it.
        kinds.firstIndex(of: kind)!
    }

    public subscript(kind: ExitKind) -> Int {
        get { counts[Self.index(kind)] }
        set { counts[Self.index(kind)] = newValue }
    }

    /// Every exit of every kind.
    public var total: Int { counts.reduce(0, +) }

    /// Kinds with a non-zero count, in the stable order of `ExitKind.allCases`.
    public var nonZero: [(kind: ExitKind, count: Int)] {
        ExitKind.allCases.compactMap { self[$0] > 0 ? ($0, self[$0]) : nil }
    }

    /// E.g. `io-out 13, hlt 1`.
    public var description: String {
        nonZero.map { "\($0.kind) \($0.count)" }.joined(separator: ", ")
    }

    public init(from decoder: Decoder) throws {
        let dictionary = try [String: Int](from: decoder)
        for (name, count) in dictionary {
            guard let kind = ExitKind(rawValue: name) else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: decoder.codingPath, debugDescription: "unknown exit kind \(name)"))
            }
            self[kind] = count
        }
    }

    /// Encodes as `{"io-out": 13, "hlt": 1}`, zero counts left out.
    public func encode(to encoder: Encoder) throws {
        var dictionary: [String: Int] = [:]
        for (kind, count) in nonZero { dictionary[kind.rawValue] = count }
        try dictionary.encode(to: encoder)
    }
}
