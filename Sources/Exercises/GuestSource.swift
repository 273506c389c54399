import Foundation

/// A guest's source as built and as shown. Lines from a `; [hide]` line to the next `; [show]` line
/// (`// [hide]` and `// [show]` in C), the marker lines included, are built but not shown.
public struct GuestSource: Sendable, Hashable {
    /// The full text given to the assembler or compiler.
    public var built: String
    /// The text the page shows, without hidden lines.
    public var display: String
    /// For each built line (index 0 is line 1), its 1-based line in `display`, or nil when hidden.
    public var displayLine: [Int?]
    /// The shown lines, for quoting a line next to a trace or step.
    public var displayLines: [String]

    public struct MarkerError: Error, Sendable {
        /// 1-based line in the built source.
        public var line: Int
        public var message: String
    }

    public init(_ text: String, language: GuestLanguage) throws(MarkerError) {
        let hide = language.hideMarker, show = language.showMarker
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        var shown: [String] = []
        var map: [Int?] = []
        var hiddenSince: Int?
        for (index, raw) in lines.enumerated() {
            let line = raw.hasSuffix("\r") ? String(raw.dropLast()) : raw
            // Only lines with a bracket can be markers (Foundation's trimming is slow on Linux).
            let marker =
                line.utf8.contains(UInt8(ascii: "["))
                ? String(line.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed()) : ""
            if marker == hide {
                if let start = hiddenSince {
                    throw MarkerError(
                        line: index + 1, message: "'\(hide)' inside a hidden part (opened at line \(start)); close it with '\(show)' first")
                }
                hiddenSince = index + 1
                map.append(nil)
            } else if marker == show {
                guard hiddenSince != nil else {
                    throw MarkerError(line: index + 1, message: "'\(show)' without a '\(hide)' before it")
                }
                hiddenSince = nil
                map.append(nil)
            } else if hiddenSince != nil {
                map.append(nil)
            } else {
                shown.append(line)
                map.append(shown.count)
            }
        }
        if let start = hiddenSince {
            throw MarkerError(line: start, message: "'\(hide)' is never closed: add a '\(show)' line after the hidden part")
        }
        built = text.hasSuffix("\n") || text.isEmpty ? text : text + "\n"
        display = shown.joined(separator: "\n") + (shown.isEmpty ? "" : "\n")
        displayLine = map
        displayLines = shown
    }

    /// The shown line number for a built line (1-based), or nil if hidden or out of range.
    public func shownLine(_ builtLine: Int) -> Int? {
        guard builtLine >= 1, builtLine <= displayLine.count else { return nil }
        return displayLine[builtLine - 1]
    }

    /// The text of a shown line (1-based).
    public func text(ofShownLine line: Int) -> String? {
        guard line >= 1, line <= displayLines.count else { return nil }
        return displayLines[line - 1]
    }

    /// A table row's source cell: the shown line's text, or where the instruction is when it is not
    /// in the shown source, after that line's text when an included file has it
    /// (`out dx, al  [serial.inc:4]`, as a step row shows its instruction; `[putchar (runtime)]`).
    public func rowText(line: Int?, at: String?, text: String? = nil) -> String? {
        if let line { return self.text(ofShownLine: line)?.trimmingCharacters(in: .whitespaces) }
        guard let at else { return nil }
        return text.map { "\($0)  [\(at)]" } ?? "[\(at)]"
    }
}
