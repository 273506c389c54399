import Exercises
import Hypervisor

/// The VM-exit timeline and the step rows of one run as plain-text tables, for `hypercourse run
/// --trace` / `--steps` without `--json`. Addresses are mapped to source lines when the guest came
/// from a `.asm` or `.c` file; registers are named as the guest's mode sees them.
public struct RunTables: Sendable {
    let mode: GuestMode
    let map: AddressMap
    /// Without a listing there is no source column.
    var hasSource: Bool { !map.isEmpty }

    /// `map` locates the image's addresses in its source (empty for a binary: no source column).
    public init(mode: GuestMode, map: AddressMap) {
        self.mode = mode
        self.map = map
    }

    /// `VM-exit timeline (N exits)` and one row per traced exit, or nil when the run was not traced.
    public func trace(of result: RunResult) -> String? {
        guard let trace = result.trace else { return nil }
        var rows = [["#", "kind", "port/address", "size", "value", "rip", "source"]]
        for entry in trace.entries {
            rows.append([
                String(entry.index), entry.kind.rawValue, ResultRecorder.target(entry) ?? "",
                entry.size > 0 ? String(entry.size) : "",
                entry.value.map { ResultRecorder.formatValue(entry.kind, $0, size: entry.size) } ?? "",
                ResultRecorder.formatRIP(entry.csBase, entry.rip, mode) + (entry.ripFollowsInstruction ? " (after)" : ""),
                source(csBase: entry.csBase, rip: entry.rip, ending: entry.ripFollowsInstruction, lineText: true)
            ])
        }
        let count = trace.entries.count
        var title = "VM-exit timeline (\(count) exit\(count == 1 ? "" : "s")"
        title += trace.truncated ? "; cut short at the trace limit)" : ")"
        return title + "\n" + Self.table(hasSource ? rows : rows.map { Array($0.dropLast()) }, numeric: [0, 3])
    }

    /// `Steps (N instructions)` and one row per single-stepped instruction, or nil without `--steps`.
    public func steps(of result: RunResult) -> String? {
        guard let recording = result.steps else { return nil }
        var rows = [["#", "rip", "source", "registers changed", "exits"]]
        var previous = recording.initialRegisters
        for step in recording.steps {
            let changes = step.registers.changes(since: previous).filter { $0.name != "rip" }.map { change -> String in
                let shown = RegisterNames.display(name: change.name, before: change.before, after: change.after, mode: mode)
                return "\(shown.name) \(shown.before)→\(shown.after)"
            }
            previous = step.registers
            var exits = step.exits.map(ResultRecorder.describe).joined(separator: "; ")
            if !step.completed { exits += exits.isEmpty ? "(did not complete)" : " (did not complete)" }
            rows.append([
                String(step.index), ResultRecorder.formatRIP(step.csBase, step.rip, mode),
                source(csBase: step.csBase, rip: step.rip, ending: false), changes.joined(separator: " "), exits
            ])
        }
        let count = recording.steps.count
        let shown = hasSource ? rows : rows.map { row in row.enumerated().filter { $0.offset != 2 }.map(\.element) }
        return "Steps (\(count) instruction\(count == 1 ? "" : "s"))\n" + Self.table(shown, numeric: [0])
    }

    /// `9: in al, dx` (line in the file and its instruction, or with `lineText` the line's text,
    /// which for C is the C line), `serial.inc:4: out dx, al`, `putchar (runtime): out dx, al`, or empty.
    func source(csBase: UInt64, rip: UInt64, ending: Bool, lineText: Bool = false) -> String {
        guard let location = map.location(atOffset: ResultRecorder.offset(csBase, rip, mode), ending: ending) else { return "" }
        let place = location.builtLine.map(String.init) ?? location.elsewhere ?? "?"
        return "\(place): \(lineText ? location.lineText ?? location.instruction : location.instruction)"
    }

    /// Columns padded to their widest cell (numbers right-aligned), two spaces apart, trailing
    /// blanks trimmed; the header row is the first.
    static func table(_ rows: [[String]], numeric: Set<Int>) -> String {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            var line = ""
            for (column, cell) in row.enumerated() {
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                line += "  " + (numeric.contains(column) ? pad + cell : cell + pad)
            }
            while line.last == " " { line.removeLast() }
            return line
        }.joined(separator: "\n") + "\n"
    }
}
