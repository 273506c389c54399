import Common
import Foundation
import Hypervisor

/// How a run ended, as recorded: the end's kind (its words are Hypervisor's `EndKind`) and, for
/// `exit`, the status (for `signal`, the signal's number). The host's raw crash detail is kept apart (see `RecordEntry.hostDetail`).
public struct RecordedEnd: Sendable, Hashable, CustomStringConvertible {
    public let kind: EndKind
    /// The exit status for `exit` (0-255), the signal's number for `signal` (1-64), else nil.
    public let status: Int?

    public static let halt = RecordedEnd(kind: .halt, status: nil)
    public static let crash = RecordedEnd(kind: .crash, status: nil)
    public static let timeout = RecordedEnd(kind: .timeout, status: nil)
    public static let outputLimit = RecordedEnd(kind: .outputLimit, status: nil)
    public static let exitLimit = RecordedEnd(kind: .exitLimit, status: nil)
    public static func exited(_ status: Int) -> RecordedEnd { RecordedEnd(kind: .exited, status: status) }
    public static func signal(_ number: Int) -> RecordedEnd { RecordedEnd(kind: .signal, status: number) }

    private init(kind: EndKind, status: Int?) {
        self.kind = kind
        self.status = status
    }

    public init(_ end: EndReason) {
        self.init(kind: end.kind, status: end.status)
    }

    /// The end of `kind` with `status` (for `exit`, 0-255; for `signal`, 1-64; nil for the others), or nil.
    public init?(_ kind: EndKind, status: Int? = nil) {
        let takesStatus = kind == .exited || kind == .signal
        let range = kind == .signal ? 1...64 : 0...255
        guard takesStatus == (status != nil), range.contains(status ?? 1) else { return nil }
        self.init(kind: kind, status: status)
    }

    /// Parses the words `description` produces.
    public init?(text: String) {
        let words = text.split(separator: " ", omittingEmptySubsequences: false)
        guard words.count <= 2, let kind = EndKind(rawValue: String(words[0])) else { return nil }
        if words.count == 2 {
            guard let status = Int(words[1]) else { return nil }
            self.init(kind, status: status)
        } else {
            self.init(kind)
        }
    }

    /// `halt`, `exit 3`, `crash`, `timeout`, `output-limit`, `exit-limit`, `signal 9`: the page's words.
    public var description: String { status.map { "\(kind.rawValue) \($0)" } ?? kind.rawValue }
}

/// One VM exit of the timeline, resolved to the exercise's source.
public struct RecordedExit: Sendable, Hashable, Codable {
    public var index: Int
    public var kind: String
    /// `0x3f8` for port I/O, a guest-physical address for MMIO.
    public var target: String?
    public var size: Int?
    public var value: String?
    public var rip: String
    /// 1-based line of the shown source, when the instruction is in it.
    public var line: Int?
    /// Where the instruction is when not in the shown source: `serial.inc:4`, `putchar (runtime)`, `hidden code`.
    public var at: String?
    /// With `at`, the text of that line when a file the guest included has it (`out dx, al` for
    /// `serial.inc:4`); never for hidden code or the C runtime.
    public var text: String?

    /// Whether `rip` is past the instruction: the same on every host for an MMIO write, which KVM's
    /// emulator completes before it exits (docs/guest-machine.md, "Where RIP points").
    public var ripFollowsInstruction: Bool { kind == ExitKind.mmioWrite.rawValue }
}

/// One single-stepped instruction.
public struct RecordedStep: Sendable, Hashable, Codable {
    public var index: Int
    public var rip: String
    public var line: Int?
    public var at: String?
    public var instruction: String
    /// `[register, before, after]` for each register the instruction changed (RIP left out).
    public var changes: [[String]]
    /// The VM exits it caused, each described like a trace row (`io-out 0x3f8 0x48 'H'`).
    public var exitDescriptions: [String]
    public var completed: Bool

    enum CodingKeys: String, CodingKey {
        case index, rip, line, at, instruction, changes, completed
        case exitDescriptions = "exits"
    }

    /// The instruction as a table shows it: with where it is when it is not in the shown source.
    public var instructionText: String {
        guard line == nil, let at else { return instruction }
        return "\(instruction)  [\(at)]"
    }

    /// The exits it caused in one cell, or nil; an instruction the guest did not finish says so.
    public var exitSummary: String? {
        exitDescriptions.isEmpty ? nil : exitDescriptions.joined(separator: "; ") + (completed ? "" : " (did not complete)")
    }
}

/// One dirty-log checkpoint: the pages the guest wrote since the previous one (exact, from KVM's log).
public struct RecordedCheckpoint: Sendable, Hashable, Codable {
    /// The number the guest wrote to port 0x508.
    public var number: UInt32
    /// The vCPU that wrote it.
    public var cpu: Int
    /// 4 KiB pages written since the previous checkpoint.
    public var pages: Int
    /// The same pages as `0x200000-0x202000` ranges, in address order.
    public var ranges: [String]

    public init(number: UInt32, cpu: Int, pages: Int, ranges: [String]) {
        self.number = number
        self.cpu = cpu
        self.pages = pages
        self.ranges = ranges
    }

    public init(_ checkpoint: Checkpoint) {
        self.init(
            number: checkpoint.number, cpu: checkpoint.cpu, pages: checkpoint.pages,
            ranges: checkpoint.ranges.map { hex($0.start) + "-" + hex($0.end) })
    }

    /// `#2 vcpu 0: 3 pages 0x200000-0x202000 0x300000-0x301000`: the canonical line.
    var line: String {
        "#\(number) vcpu \(cpu): \(pages) page\(pages == 1 ? "" : "s")" + (ranges.isEmpty ? "" : " " + ranges.joined(separator: " "))
    }
}

/// Everything about a run that the record keeps and compares: only facts that are the same on every
/// kind of KVM host (see docs/exercises.md, "Host independence").
public struct RecordedResult: Sendable, Hashable {
    public var end: RecordedEnd
    /// Exit counts by kind, in `ExitKind` order, zero counts left out. For a crash, the exit that
    /// ended the run is left out too: which one it is (shutdown, internal error) depends on the host.
    public var exits: [ExitCount]
    public var output: [UInt8]
    public var trace: [RecordedExit]?
    public var traceTruncated: Bool
    public var steps: [RecordedStep]?
    /// The dirty log's checkpoints (`dirty-log`), in order; nil without it.
    public var checkpoints: [RecordedCheckpoint]? = nil

    public struct ExitCount: Sendable, Hashable {
        public var kind: String
        public var count: Int
    }

    public init(end: RecordedEnd, exits: [ExitCount], output: [UInt8], trace: [RecordedExit]?, traceTruncated: Bool, steps: [RecordedStep]?)
    {
        self.end = end
        self.exits = exits
        self.output = output
        self.trace = trace
        self.traceTruncated = traceTruncated
        self.steps = steps
    }

    /// A readable, lossless rendering, one fact per line: what diffs show and what the cache hashes.
    public var canonicalLines: [String] {
        var lines = ["end: \(end)"]
        lines.append("exits: " + (exits.isEmpty ? "none" : exits.map { "\($0.kind) \($0.count)" }.joined(separator: ", ")))
        let text = OutputLines.escapedLines(output)
        lines.append("output: \(output.count) byte\(output.count == 1 ? "" : "s")")
        lines += text.map { "| " + $0 }
        if let trace {
            lines.append("trace: \(trace.count) exit\(trace.count == 1 ? "" : "s")\(traceTruncated ? " (truncated)" : "")")
            lines += trace.map(Self.describe)
        }
        if let steps {
            lines.append("steps: \(steps.count)")
            for step in steps {
                var line = "#\(step.index) \(place(step.line, step.at)) \(step.instruction) @\(step.rip)"
                if !step.changes.isEmpty { line += " | " + step.changes.map { "\($0[0]) \($0[1])→\($0[2])" }.joined(separator: " ") }
                if !step.exitDescriptions.isEmpty { line += " | " + step.exitDescriptions.joined(separator: "; ") }
                if !step.completed { line += " | did not complete" }
                lines.append(line)
            }
        }
        if let checkpoints {
            lines.append("checkpoints: \(checkpoints.count)")
            lines += checkpoints.map(\.line)
        }
        return lines
    }

    static func describe(_ exit: RecordedExit) -> String {
        var parts = ["#\(exit.index)", place(exit.line, exit.at, text: exit.text), exit.kind]
        if let target = exit.target { parts.append(target) }
        if let size = exit.size { parts.append("size \(size)") }
        if let value = exit.value { parts.append("value \(value)") }
        parts.append("@\(exit.rip)")
        return parts.joined(separator: " ")
    }

    /// SHA-256 of the canonical lines: what the cache stores to say "this machine got this result".
    public var digest: String { SHA256.hash(canonicalLines.joined(separator: "\n")) }
}

private func place(_ line: Int?, _ at: String?, text: String? = nil) -> String {
    if let line { return "line \(line)" }
    return "[\(at ?? "?")\(text.map { ": " + $0 } ?? "")]"
}

/// Output bytes as lines, for diffs and records.
enum OutputLines {
    /// Splits after each newline; the last piece has no newline if the output did not end with one.
    static func split(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var pieces: [ArraySlice<UInt8>] = []
        var start = 0
        for (index, byte) in bytes.enumerated() where byte == 0x0A {
            pieces.append(bytes[start...index])
            start = index + 1
        }
        if start < bytes.count { pieces.append(bytes[start...]) }
        return pieces
    }

    /// One readable line per output line: printable text as is, `\\` for a backslash, `\xNN` for
    /// control characters and bytes that are not UTF-8, and `\(no newline at end)` marking a last
    /// line without one. Lossless: different outputs never give the same lines.
    static func escapedLines(_ bytes: [UInt8]) -> [String] {
        split(bytes).map { piece in
            var body = Array(piece)
            let newline = body.last == 0x0A
            if newline { body.removeLast() }
            var out = ""
            var index = 0
            while index < body.count {
                let byte = body[index]
                if byte == UInt8(ascii: "\\") {
                    out += "\\\\"
                    index += 1
                } else if byte >= 0x20 && byte < 0x7F || byte == 0x09 {
                    out.unicodeScalars.append(Unicode.Scalar(byte))
                    index += 1
                } else if byte >= 0x80, let (scalar, length) = decodeScalar(body, at: index) {
                    out.unicodeScalars.append(scalar)
                    index += length
                } else {
                    out += "\\x" + String(byte, radix: 16).leftPadded(2)
                    index += 1
                }
            }
            return newline ? out : out + "\\(no newline at end)"
        }
    }

    /// One well-formed UTF-8 scalar at `index` (not a control character), or nil.
    static func decodeScalar(_ bytes: [UInt8], at index: Int) -> (Unicode.Scalar, Int)? {
        let lead = bytes[index]
        let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC2 ? 2 : 0
        guard length > 0, index + length <= bytes.count, lead < 0xF5 else { return nil }
        var decoder = UTF8()
        var iterator = bytes[index..<index + length].makeIterator()
        guard case .scalarValue(let scalar) = decoder.decode(&iterator), scalar.value >= 0xA0 else { return nil }
        return (scalar, length)
    }
}

extension String {
    func leftPadded(_ width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
