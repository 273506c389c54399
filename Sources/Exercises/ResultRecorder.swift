import Foundation
import Hypervisor

/// Turns a `RunResult` into the record's host-independent form, resolving addresses to source lines.
package enum ResultRecorder {
    /// The addresses a result needs located: every traced exit and every stepped instruction.
    /// `base` is the guest-physical address of the image's first byte (`BuiltGuest.imageBase`).
    static func requests(_ run: RunResult, base: UInt64) -> [(offset: UInt64, ending: Bool)] {
        var requests: [(UInt64, Bool)] = []
        for entry in run.trace?.entries ?? [] {
            requests.append((offset(entry.csBase, entry.rip, base: base), entry.ripFollowsInstruction))
        }
        for step in run.steps?.steps ?? [] {
            requests.append((offset(step.csBase, step.rip, base: base), false))
        }
        if let crash = run.end.crash, let rip = crash.rip, let csBase = crash.csBase {
            requests.append((offset(csBase, rip, base: base), false))
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
        offset(csBase, rip, base: mode.loadAddress)
    }

    static func offset(_ csBase: UInt64, _ rip: UInt64, base: UInt64) -> UInt64 {
        (csBase &+ rip) &- base
    }

    /// Where an address is, as a record says it: the line of the source as the reader sees it, or
    /// where else (`serial.inc:4`, `putchar (runtime)`, `hidden code`); the instruction; and, for an
    /// address outside that source, its line's text when a file has it.
    package struct Place: Sendable, Hashable {
        package var line: Int?
        package var at: String?
        package var instruction: String?
        package var text: String?
        static let unknown = Place()
    }

    /// Locates addresses with `map`, turning a line of the built source into the line the reader
    /// sees with `shownLine` (nil: a hidden line).
    /// `base` is where the image's first byte is, when not at the mode's load address (a kernel).
    package static func placer(
        map: AddressMap, mode: GuestMode, base: UInt64? = nil, shownLine: @escaping (Int) -> Int?
    )
        -> (_ csBase: UInt64, _ rip: UInt64, _ ending: Bool) -> Place
    {
        let base = base ?? mode.loadAddress
        return { csBase, rip, ending in
            guard let location = map.location(atOffset: offset(csBase, rip, base: base), ending: ending) else { return .unknown }
            if let built = location.builtLine {
                if let shown = shownLine(built) { return Place(line: shown, instruction: location.instruction, text: location.lineText) }
                return Place(at: "hidden code", instruction: location.instruction)
            }
            return Place(at: location.elsewhere, instruction: location.instruction, text: location.lineText)
        }
    }

    /// The recorded result and the host detail kept beside it (a crash's raw KVM exit).
    static func record(_ run: RunResult, spec: ExerciseSpec, map: AddressMap, base: UInt64) -> (result: RecordedResult, hostDetail: String?)
    {
        let end = RecordedEnd(run.end)
        func keep(_ kind: ExitKind) -> Bool { countsTowardTheRecord(kind, end: run.end) }
        let exits = run.exitCounts.nonZero.filter { keep($0.kind) }.map {
            RecordedResult.ExitCount(kind: $0.kind.rawValue, count: $0.count)
        }
        let place = placer(map: map, mode: spec.mode, base: base, shownLine: spec.source.shownLine)
        let trace = run.trace.map { trace in
            trace.entries.filter { keep($0.kind) }.map { entry -> RecordedExit in
                let location = place(entry.csBase, entry.rip, entry.ripFollowsInstruction)
                return RecordedExit(
                    index: entry.index, kind: entry.kind.rawValue, target: target(entry), size: entry.size > 0 ? entry.size : nil,
                    value: entry.value.map { formatValue(entry.kind, $0, size: entry.size) },
                    rip: formatRIP(entry.csBase, entry.rip, spec.mode),
                    line: location.line, at: location.line == nil ? location.at : nil,
                    text: location.line == nil && location.at != nil ? location.text : nil)
            }
        }
        let steps = run.steps.map { recordedSteps($0, mode: spec.mode, keep: keep, place: place) }
        let detail = run.end.crash.map { crashDetail($0, mode: spec.mode, place: place) }
        var result = RecordedResult(
            end: end, exits: exits, output: run.output, trace: trace,
            traceTruncated: run.trace?.truncated ?? false, steps: steps)
        result.checkpoints = run.checkpoints?.map(RecordedCheckpoint.init)
        return (result, detail)
    }

    /// The KVM counters a card shows (from `kvmStats`), of the many KVM keeps: the ones a lesson on
    /// interrupts, halts and exits talks about.
    package static let shownStatistics = [
        "exits", "io_exits", "mmio_exits", "halt_exits", "halt_wakeup", "irq_injections", "irq_exits",
        "irq_window_exits", "nmi_injections", "insn_emulation", "signal_exits", "request_irq_exits", "hypercalls"
    ]

    /// The shown counters some vCPU has non-zero, in `shownStatistics` order, each with one value per
    /// vCPU (0 where a vCPU has none): a counter every vCPU left at zero says nothing on a card.
    package static func nonZeroStatistics(_ perCPU: [[String: UInt64]]) -> [(name: String, values: [UInt64])] {
        shownStatistics.compactMap { name in
            let values = perCPU.map { $0[name] ?? 0 }
            return values.contains { $0 != 0 } ? (name, values) : nil
        }
    }

    /// Each vCPU's shown counters, or nil when the run read none (they vary between hosts and runs:
    /// shown beside the record, never compared).
    static func statistics(_ run: RunResult) -> [[String: UInt64]]? {
        let perCPU = run.vcpus.compactMap(\.kvmStats)
        guard !perCPU.isEmpty, perCPU.count == run.vcpus.count else { return nil }
        return perCPU.map { stats in stats.filter { shownStatistics.contains($0.key) } }
    }

    /// The step rows as a record keeps them (also `hypercourse run --json`'s), with the exits `keep` allows.
    package static func recordedSteps(
        _ recording: StepRecording, mode: GuestMode, keep: (ExitKind) -> Bool,
        place: (UInt64, UInt64, Bool) -> Place
    ) -> [RecordedStep] {
        var previous = recording.initialRegisters
        return recording.steps.map { step in
            let changes = step.registers.changes(since: previous).filter { $0.name != "rip" }
                .map { [$0.name, hex($0.before), hex($0.after)] }
            previous = step.registers
            let location = place(step.csBase, step.rip, false)
            return RecordedStep(
                index: step.index, rip: formatRIP(step.csBase, step.rip, mode), line: location.line,
                at: location.line == nil ? location.at : nil, instruction: location.instruction ?? "?", changes: changes,
                exitDescriptions: step.exits.filter { keep($0.kind) }.map(describe), completed: step.completed)
        }
    }

    /// KVM's words for a crash and where it happened: `KVM_EXIT_INTERNAL_ERROR: emulation failure
    /// (suberror 1) at rip 0x100024, line 5 (pxor xmm0, xmm0), bytes 66 0f ef c0 …`.
    static func crashDetail(_ crash: CrashDetail, mode: GuestMode, place: (UInt64, UInt64, Bool) -> Place) -> String {
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
