import Common
import Foundation
import Hypervisor

/// One exercise's verified result with the key that produced it and where it was recorded.
public struct RecordEntry: Sendable, Hashable {
    public var id: String
    /// SHA-256 of everything that determines the result (see `ExerciseKey`).
    public var key: String
    /// Content-relative files the build read besides the source, so a key can be recomputed without
    /// building.
    public var includes: [String]
    /// UTC, ISO 8601, to the second.
    public var recordedAt: String
    /// `HostKind` raw value: `pvm`, `vmx`, `svm`, `unknown`.
    public var host: String
    public var machine: String
    /// Host detail shown on the page but never compared (a crash's raw KVM exit).
    public var hostDetail: String?
    public var result: RecordedResult
    /// vCPUs of a `pc` machine exercise (nil on the lesson machine, which has one).
    public var cpus: Int? = nil
    /// Each vCPU's KVM counters (`ResultRecorder.shownStatistics`), as first recorded: they vary
    /// between hosts and runs, so they are shown and never compared, like `hostDetail`.
    public var kvmStats: [[String: UInt64]]? = nil

    public init(
        id: String, key: String, includes: [String], recordedAt: String, host: String, machine: String,
        hostDetail: String?, result: RecordedResult
    ) {
        self.id = id
        self.key = key
        self.includes = includes
        self.recordedAt = recordedAt
        self.host = host
        self.machine = machine
        self.hostDetail = hostDetail
        self.result = result
    }

    /// `PVM (kvm_pvm)`, `hardware (Intel VT-x)`, ...
    public var hostDescription: String { HostKind(rawValue: host)?.description ?? host }

    /// The entry for a result `spec` gave on `host` just now: the machine's version and, on a pc
    /// machine, its vCPUs come from the spec.
    init(
        fresh spec: ExerciseSpec, key: String, includes: [String], host: HostKind, hostDetail: String?, result: RecordedResult,
        kvmStats: [[String: UInt64]]?, recordedAt: String = ExerciseEngine.timestamp()
    ) {
        self.init(
            id: spec.id, key: key, includes: includes, recordedAt: recordedAt, host: host.rawValue, machine: spec.machine.version,
            hostDetail: hostDetail, result: result)
        cpus = spec.machine == .lesson ? nil : spec.cpus
        self.kvmStats = kvmStats
    }
}

/// The record of one lesson's exercises: `LESSON.exercises.json` beside `LESSON.md`. JSON laid out
/// for diffs: one output line, trace row or step per line, exercises in lesson order, keys sorted.
/// Written only by `hypercourse promote` and `build` (new exercises, refreshed keys), atomically.
public struct RecordFile: Sendable {
    public var url: URL
    public var entries: [RecordEntry]

    public static let format = 1

    public init(url: URL, entries: [RecordEntry]) {
        self.url = url
        self.entries = entries
    }

    /// `01-intro.md` → `01-intro.exercises.json`, in the same folder.
    public static func url(forLesson lesson: URL) -> URL {
        let name = lesson.deletingPathExtension().lastPathComponent
        return lesson.deletingLastPathComponent().appendingPathComponent("\(name).exercises.json")
    }

    public func entry(_ id: String) -> RecordEntry? { entries.first { $0.id == id } }

    /// Reads a record; nil when there is none. A damaged file is an error naming it, at the line of
    /// a merge-conflict marker when that is what damaged it.
    /// With `content`, a record that links outside the content folder is refused, not read.
    public static func load(_ url: URL, inside content: ContentFolder? = nil) throws(ExerciseProblem) -> RecordFile? {
        if let content, FileManager.default.fileExists(atPath: url.path), !content.contains(url) {
            throw ExerciseProblem(
                file: url, line: nil,
                message: "the record is a symlink to a file outside the content folder; the build reads only files inside it")
        }
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        do {
            let mirror = try JSONDecoder().decode(FileMirror.self, from: data)
            guard mirror.format == format else {
                throw ExerciseProblem(file: url, line: nil, message: "record format \(mirror.format) is not \(format)")
            }
            return RecordFile(url: url, entries: try mirror.exercises.map { try $0.entry() })
        } catch let problem as ExerciseProblem {
            throw problem
        } catch {
            let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            if let conflict = lines.firstIndex(where: { $0.hasPrefix("<<<<<<<") || $0.hasPrefix(">>>>>>>") || $0 == "=======" }) {
                throw ExerciseProblem(file: url, line: conflict + 1, message: "the record has an unresolved merge conflict")
            }
            throw ExerciseProblem(file: url, line: nil, message: "the record is not valid (\(Self.describe(error)))")
        }
    }

    /// The file's text.
    public func encoded(lessonName: String) -> String {
        var out = "{\n"
        out +=
            "  \"generated\": \(json("Generated by `hypercourse promote` (and `hypercourse build` for new exercises): the verified results of the exercises in \(lessonName). Do not edit by hand.")),\n"
        out += "  \"format\": \(Self.format),\n"
        out += "  \"exercises\": ["
        for (index, entry) in entries.enumerated() {
            out += index == 0 ? "\n" : ",\n"
            out += Self.encode(entry)
        }
        out += entries.isEmpty ? "]\n}\n" : "\n  ]\n}\n"
        return out
    }

    public func write(lessonName: String) throws {
        try AtomicFile.write(pending(lessonName: lessonName).data, to: url)
    }

    /// The file as it would be written, for a build to write together with its site.
    public func pending(lessonName: String) -> PendingFile {
        PendingFile(url: url, data: Data(encoded(lessonName: lessonName).utf8))
    }

    private static func encode(_ entry: RecordEntry) -> String {
        let result = entry.result
        var fields: [String] = [
            "\"id\": \(json(entry.id))",
            "\"key\": \(json(entry.key))",
            "\"includes\": \(json(entry.includes))",
            "\"recorded\": \(json(entry.recordedAt))",
            "\"host\": \(json(entry.host))",
            "\"machine\": \(json(entry.machine))",
            "\"end\": \(json(result.end.description))"
        ]
        if let detail = entry.hostDetail { fields.append("\"hostDetail\": \(json(detail))") }
        if let cpus = entry.cpus { fields.append("\"cpus\": \(cpus)") }
        fields.append("\"exits\": {" + result.exits.map { "\(json($0.kind)): \($0.count)" }.joined(separator: ", ") + "}")
        fields.append("\"outputBytes\": \(result.output.count)")
        if let text = String(bytes: result.output, encoding: .utf8) {
            let lines = OutputLines.split(Array(text.utf8)).map { String(decoding: $0, as: UTF8.self) }
            fields.append("\"output\": " + list(lines.map(json)))
        } else {
            fields.append("\"outputBase64\": \(json(Data(result.output).base64EncodedString()))")
        }
        if let trace = result.trace {
            fields.append("\"trace\": " + list(trace.map(json)))
            fields.append("\"traceTruncated\": \(result.traceTruncated)")
        }
        if let steps = result.steps { fields.append("\"steps\": " + list(steps.map(json))) }
        if let checkpoints = result.checkpoints { fields.append("\"checkpoints\": " + list(checkpoints.map(json))) }
        if let stats = entry.kvmStats { fields.append("\"kvmStats\": " + list(stats.map(json))) }
        return "    {\n" + fields.map { "      " + $0 }.joined(separator: ",\n") + "\n    }"
    }

    /// A JSON array with one element per line.
    private static func list(_ items: [String]) -> String {
        items.isEmpty ? "[]" : "[\n" + items.map { "        " + $0 }.joined(separator: ",\n") + "\n      ]"
    }

    private static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "missing '\(key.stringValue)' at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
            DecodingError.dataCorrupted(let context):
            return "\(context.debugDescription) at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        default:
            return "\(error)"
        }
    }

    // MARK: reading

    private struct FileMirror: Decodable {
        var format: Int
        var exercises: [EntryMirror]
    }

    private struct EntryMirror: Decodable {
        var id: String
        var key: String
        var includes: [String]
        var recorded: String
        var host: String
        var machine: String
        var end: String
        var hostDetail: String?
        var exits: [String: Int]
        var output: [String]?
        var outputBase64: String?
        var trace: [RecordedExit]?
        var traceTruncated: Bool?
        var steps: [RecordedStep]?
        var cpus: Int?
        var checkpoints: [RecordedCheckpoint]?
        var kvmStats: [[String: UInt64]]?

        func entry() throws -> RecordEntry {
            guard let end = RecordedEnd(text: end) else {
                throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "unknown end '\(self.end)' for '\(id)'"))
            }
            let order = ExitKind.allCases.map(\.rawValue)
            let exits = self.exits.sorted {
                (order.firstIndex(of: $0.key) ?? order.count, $0.key) < (order.firstIndex(of: $1.key) ?? order.count, $1.key)
            }
            .map { RecordedResult.ExitCount(kind: $0.key, count: $0.value) }
            let bytes: [UInt8]
            if let output {
                bytes = Array(output.joined().utf8)
            } else if let outputBase64, let data = Data(base64Encoded: outputBase64) {
                bytes = [UInt8](data)
            } else {
                throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "no output for '\(id)'"))
            }
            var result = RecordedResult(
                end: end, exits: exits, output: bytes, trace: trace, traceTruncated: traceTruncated ?? false, steps: steps)
            result.checkpoints = checkpoints
            var entry = RecordEntry(
                id: id, key: key, includes: includes, recordedAt: recorded, host: host, machine: machine,
                hostDetail: hostDetail, result: result)
            entry.cpus = cpus
            entry.kvmStats = kvmStats
            return entry
        }
    }
}

/// Compact JSON with sorted keys: one value per line in records.
func json<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(value) else { return "null" }
    return String(decoding: data, as: UTF8.self)
}
