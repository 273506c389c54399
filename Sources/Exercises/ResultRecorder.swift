import Foundation
import Hypervisor

/// Turns a `RunResult` into the record's host-independent form, resolving addresses to source lines.
package enum ResultRecorder {
    /// The addresses a result needs located: every traced exit and every stepped instruction.
    static func requests(_ run: RunResult, mode: GuestMode) -> [(offset: UInt64, ending: Bool)] {
        var requests: [(UInt64, Bool)] = []
        for entry in run.trace?.entries ?? [] {
            requests.append((offset(entry.csBase, entry.rip, mode), entry.ripFollowsInstruction))
        }
        for step in run.steps?.steps ?? [] {
            requests.append((offset(step.csBase, step.rip, mode), false))
        }
        if let crash = run.end.crash, let rip = crash.rip, let csBase = crash.csBase {
            requests.append((offset(csBase, rip, mode), false))
        }
        return requests
    }

    /// False for the kind of exit that can end a crash (`CrashKind.endingExit`): which one a host
    /// reports for the same guest differs, so it is host detail. `hypercourse run`'s summary line uses
    /// the same rule, so it and the card agree.
    package static func countsTowardTheRecord(_ kind: ExitKind, end: EndReason) -> Bool {
        end.crash == nil || !Self.crashEndingExits.contains(kind)
    }

    private static let crashEndingExits = Set(CrashKind.allCases.map(\.endingExit))

    package static func offset(_ csBase: UInt64, _ rip: UInt64, _ mode: GuestMode) -> UInt64 {
        (csBase &+ rip) &- mode.loadAddress
    }

    /// The recorded result and the host detail kept beside it (a crash's raw KVM exit).
    static func record(_ run: RunResult, spec: ExerciseSpec, map: AddressMap) -> (result: RecordedResult, hostDetail: String?) {
        let end = RecordedEnd(run.end)
        func keep(_ kind: ExitKind) -> Bool { countsTowardTheRecord(kind, end: run.end) }
        let exits = run.exitCounts.nonZero.filter { keep($0.kind) }.map { RecordedResult.ExitCount(kind: $0.kind.rawValue, count: $0.count) }
        func place(_ csBase: UInt64, _ rip: UInt64, ending: Bool) -> (line: Int?, at: String?, instruction: String?) {
            guard let location = map.location(atOffset: offset(csBase, rip, spec.mode), ending: ending) else { return (nil, nil, nil) }
            if let built = location.builtLine {
                if let shown = spec.source.shownLine(built) { return (shown, nil, location.instruction) }
                return (nil, "hidden code", location.instruction)
            }
            return (nil, location.elsewhere, location.instruction)
        }
        let trace = run.trace.map { trace in
            trace.entries.filter { keep($0.kind) }.map { entry -> RecordedExit in
                let location = place(entry.csBase, entry.rip, ending: entry.ripFollowsInstruction)
                return RecordedExit(
                    index: entry.index, kind: entry.kind.rawValue, target: target(entry), size: entry.size > 0 ? entry.size : nil,
                    value: entry.value.map { formatValue(entry.kind, $0, size: entry.size) }, rip: formatRIP(entry.csBase, entry.rip, spec.mode),
                    line: location.line, at: location.line == nil ? location.at : nil)
            }
        }
        let steps = run.steps.map { recording -> [RecordedStep] in
            var previous = recording.initialRegisters
            return recording.steps.map { step in
                let changes = step.registers.changes(since: previous).filter { $0.name != "rip" }
                    .map { [$0.name, hex($0.before), hex($0.after)] }
                previous = step.registers
                let location = place(step.csBase, step.rip, ending: false)
                return RecordedStep(
                    index: step.index, rip: formatRIP(step.csBase, step.rip, spec.mode), line: location.line,
                    at: location.line == nil ? location.at : nil, instruction: location.instruction ?? "?", changes: changes,
                    exitDescriptions: step.exits.filter { keep($0.kind) }.map(describe), completed: step.completed)
            }
        }
        let detail = run.end.crash.map { crashDetail($0, mode: spec.mode, place: place) }
        return (RecordedResult(end: end, exits: exits, output: run.output, trace: trace,
                               traceTruncated: run.trace?.truncated ?? false, steps: steps), detail)
    }

    /// KVM's words for a crash and where it happened: `KVM_EXIT_INTERNAL_ERROR: emulation failure
    /// (suberror 1) at rip 0x100024, line 5 (pxor xmm0, xmm0), bytes 66 0f ef c0 …`.
    static func crashDetail(_ crash: CrashDetail, mode: GuestMode,
                            place: (UInt64, UInt64, Bool) -> (line: Int?, at: String?, instruction: String?)) -> String {
        var text = crash.message
        if let rip = crash.rip, let csBase = crash.csBase {
            text += " at rip " + formatRIP(csBase, rip, mode)
            let location = place(csBase, rip, false)
            if let line = location.line { text += ", line \(line)" } else if let at = location.at { text += ", in \(at)" }
            if let instruction = location.instruction { text += " (\(instruction.trimmingCharacters(in: .whitespaces)))" }
        }
        if let bytes = crash.instructionBytes, !bytes.isEmpty { text += ", bytes " + CrashDetail.hexBytes(bytes) }
        return text
    }

    /// `io-out 0x3f8 0x48 'H'`: a step's exit in one phrase.
    package static func describe(_ entry: TraceEntry) -> String {
        var parts = [entry.kind.rawValue]
        if let target = target(entry) { parts.append(target) }
        if let value = entry.value { parts.append(formatValue(entry.kind, value, size: entry.size)) }
        return parts.joined(separator: " ")
    }

    package static func target(_ entry: TraceEntry) -> String? {
        if let port = entry.port { return hex(UInt64(port)) }
        if let address = entry.address { return hex(address) }
        return nil
    }

    /// Byte values of port I/O also as a character, since most of them are COM1 output.
    package static func formatValue(_ kind: ExitKind, _ value: UInt64, size: Int) -> String {
        var text = hex(value)
        if size == 1, kind == .ioOut || kind == .ioIn {
            switch value {
            case 0x0A: text += " '\\n'"
            case 0x0D: text += " '\\r'"
            case 0x09: text += " '\\t'"
            case 0x20..<0x7F: text += " '\(Character(Unicode.Scalar(UInt8(value))))'"
            default: break
            }
        }
        return text
    }

    /// RIP as hex; in real mode with a non-zero CS base, as segment:offset.
    package static func formatRIP(_ csBase: UInt64, _ rip: UInt64, _ mode: GuestMode) -> String {
        if mode == .real && csBase != 0 { return String(csBase >> 4, radix: 16).leftPadded(4) + ":" + String(rip, radix: 16).leftPadded(4) }
        return hex(rip)
    }
}
