/// Where a guest instruction came from: for pages, a trace row's source line and a step's text.
public struct SourceLocation: Sendable, Hashable {
    /// 1-based line in the exercise's own (built) source, or nil when the instruction comes from
    /// another file (an include, the C runtime).
    public var builtLine: Int?
    /// For instructions outside the exercise's source: where, e.g. `serial.inc:4` or `putchar (runtime)`.
    public var elsewhere: String?
    /// The instruction's text: the source line for assembly, the disassembly for C.
    public var instruction: String
    /// The text of the source line the instruction was written on, trimmed, when a file has one: the
    /// exercise's own line or an included file's (for a macro expansion, the line that invoked it; for
    /// C, the C line). Nil for code without source lines, such as the C runtime's.
    public var lineText: String?

    public init(builtLine: Int?, elsewhere: String?, instruction: String, lineText: String? = nil) {
        self.builtLine = builtLine
        self.elsewhere = elsewhere
        self.instruction = instruction
        self.lineText = lineText
    }
}

/// Maps guest addresses (image offsets) to source locations.
public struct AddressMap: Sendable, Hashable {
    struct Entry: Sendable, Hashable {
        var offset: UInt64
        var size: UInt64
        var location: SourceLocation
    }

    /// Sorted by offset; instructions do not overlap.
    private(set) var entries: [Entry]

    init(entries: [Entry]) { self.entries = entries.sorted { $0.offset < $1.offset } }

    public static let empty = AddressMap(entries: [])

    /// True when the map knows no instruction (a flat binary without a listing).
    package var isEmpty: Bool { entries.isEmpty }

    /// The instruction starting at `offset`, or (with `ending`) the one that ends exactly there, for
    /// exits KVM reports with RIP already past the instruction (an MMIO write).
    public func location(atOffset offset: UInt64, ending: Bool = false) -> SourceLocation? {
        if ending {
            guard let index = lastIndex(startingBefore: offset) else { return nil }
            let entry = entries[index]
            return entry.offset + entry.size == offset ? entry.location : nil
        }
        guard let index = lastIndex(startingBefore: offset + 1) else { return nil }
        let entry = entries[index]
        return entry.offset == offset ? entry.location : nil
    }

    /// Index of the last entry whose offset is below `limit`.
    private func lastIndex(startingBefore limit: UInt64) -> Int? {
        var low = 0, high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].offset < limit { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? nil : low - 1
    }
}

/// Reads nasm's `-l` listing. Columns: line number (6), address (8), bytes (18), a nesting marker
/// (`<1>` for lines from an include or a macro expansion), then the source text from column 40.
/// Continuation lines (long `db`) repeat the line number and end their bytes in `-`.
package enum NasmListing {
    package static func parse(_ listing: String) -> AddressMap {
        var entries: [AddressMap.Entry] = []
        // What the last top-level line was: lines nested below an `%include` come from that file, those
        // below anything else are a macro expansion attributed to the invoking line.
        var topLine = 0, topText = ""
        var includeName: String?
        var continuing = false
        for raw in listing.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = Array(raw.utf8)
            guard line.count >= 6, let number = Int(String(decoding: line[0..<6], as: UTF8.self).trimmingCharacters(in: .whitespaces))
            else { continue }
            let address = line.count >= 15 ? UInt64(String(decoding: line[7..<15], as: UTF8.self), radix: 16) : nil
            let bytesField =
                line.count > 16 ? String(decoding: line[16..<min(34, line.count)], as: UTF8.self).trimmingCharacters(in: .whitespaces) : ""
            let marker =
                line.count > 36 ? String(decoding: line[36..<min(40, line.count)], as: UTF8.self).trimmingCharacters(in: .whitespaces) : ""
            let text = line.count > 40 ? String(decoding: line[40...], as: UTF8.self) : ""
            let nested = marker.hasPrefix("<")
            if continuing, let address, let last = entries.last, last.offset + last.size == address {
                entries[entries.count - 1].size += byteCount(bytesField)
                continuing = bytesField.hasSuffix("-")
                continue
            }
            continuing = false
            if !nested {
                topLine = number
                topText = stripComment(text.trimmingCharacters(in: .whitespaces))
                let directive = text.trimmingCharacters(in: .whitespaces)
                includeName = directive.lowercased().hasPrefix("%include") ? includedName(directive) : nil
            }
            guard let address, !bytesField.isEmpty else { continue }
            let instruction = stripComment(text.trimmingCharacters(in: .whitespaces))
            let location: SourceLocation
            if !nested {
                location = SourceLocation(builtLine: number, elsewhere: nil, instruction: instruction, lineText: instruction)
            } else if let includeName {
                location = SourceLocation(
                    builtLine: nil, elsewhere: "\(includeName):\(number)", instruction: instruction, lineText: instruction)
            } else {
                location = SourceLocation(builtLine: topLine, elsewhere: nil, instruction: instruction, lineText: topText)
            }
            entries.append(AddressMap.Entry(offset: address, size: byteCount(bytesField), location: location))
            continuing = bytesField.hasSuffix("-")
        }
        return AddressMap(entries: entries)
    }

    /// Bytes in a listing's bytes column: hex pairs, `<rep Nh>` repeats, `<res Nh>` reservations.
    static func byteCount(_ field: String) -> UInt64 {
        var field = field
        if field.hasSuffix("-") { field.removeLast() }
        if let open = field.firstIndex(of: "<") {
            let head = field[..<open]
            let inside = field[field.index(after: open)...].split(separator: " ")
            let count = inside.count == 2 ? UInt64(inside[1].dropLast(inside[1].hasSuffix(">") ? 2 : 1), radix: 16) ?? 1 : 1
            if inside.first == "res" { return count }
            return UInt64(head.count / 2) * count
        }
        return UInt64(field.filter(\.isHexDigit).count / 2)
    }

    static func includedName(_ directive: String) -> String? {
        guard let open = directive.firstIndex(where: { $0 == "\"" || $0 == "'" || $0 == "<" }) else { return nil }
        let close: Character = directive[open] == "<" ? ">" : directive[open]
        let rest = directive[directive.index(after: open)...]
        guard let end = rest.firstIndex(of: close) else { return nil }
        return String(rest[..<end])
    }

    /// The instruction without its `; comment` (quotes respected).
    static func stripComment(_ text: String) -> String {
        var quote: Character?
        for index in text.indices {
            let ch = text[index]
            if let open = quote {
                if ch == open { quote = nil }
            } else if ch == "\"" || ch == "'" || ch == "`" {
                quote = ch
            } else if ch == ";" {
                return String(text[..<index]).trimmingCharacters(in: .whitespaces)
            }
        }
        return text
    }
}
