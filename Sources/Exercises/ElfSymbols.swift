import Foundation
import Hypervisor

/// Source locations for a C guest: instruction boundaries and text from `llvm-objdump -d`, lines from
/// `llvm-symbolizer --inlining` (DWARF from `-g`). Only run when a page needs them (trace, steps).
enum ElfSymbols {
    struct Instruction {
        var address: UInt64
        var text: String
        var function: String
    }

    /// An address map covering every instruction; `requests` (image offsets; `ending` for an address
    /// just past the instruction) also get source lines.
    ///
    /// llvm-symbolizer runs while the disassembly finishes: it is given each request's address, or
    /// for `ending` the address before it, which lies in the same instruction and so in the same
    /// line-table row and inlined ranges (DWARF marks both at instruction starts).
    static func addressMap(_ info: ElfDebugInfo, toolchain: Toolchain, requests: [(offset: UInt64, ending: Bool)]) -> AddressMap {
        let base = GuestMode.long.loadAddress
        info.startDisassembly(toolchain: toolchain)
        let asked = Set(
            requests.compactMap { request -> UInt64? in
                let address = base &+ request.offset
                return request.ending ? (address > base ? address - 1 : nil) : address
            }
        ).sorted()
        let places = symbolize(asked, info: info, toolchain: toolchain)
        guard let listing = info.disassemblyListing(toolchain: toolchain) else { return .empty }
        let instructions = disassembly(listing)
        var sizes: [UInt64: UInt64] = [:]
        var endingAt: [UInt64: UInt64] = [:]
        for (index, instruction) in instructions.enumerated() {
            let next = index + 1 < instructions.count ? instructions[index + 1].address : instruction.address + 1
            let size = max(1, next - instruction.address)
            sizes[instruction.address] = size
            endingAt[instruction.address + size] = instruction.address
        }
        let starts = Set(instructions.map(\.address))
        var lines: [UInt64: Place] = [:]
        for request in requests {
            let address = base &+ request.offset
            if request.ending {
                if let start = endingAt[address], let place = places[address - 1] { lines[start] = place }
            } else if starts.contains(address), let place = places[address] {
                lines[address] = place
            }
        }
        let texts = SourceTexts()
        let entries = instructions.map { instruction -> AddressMap.Entry in
            let found = lines[instruction.address]
            // Code without line tables (the runtime's entry stub) is named by its symbol.
            let symbol = instruction.function == "_start" ? "_start (runtime)" : instruction.function
            let location = SourceLocation(
                builtLine: found?.builtLine, elsewhere: found?.builtLine == nil ? found?.elsewhere ?? symbol : nil,
                instruction: instruction.text, lineText: found.flatMap { texts.line($0.line, of: $0.file) })
            return AddressMap.Entry(offset: instruction.address &- base, size: sizes[instruction.address] ?? 1, location: location)
        }
        return AddressMap(entries: entries)
    }

    /// Where each address was written, from llvm-symbolizer (one run for all of them).
    private static func symbolize(_ addresses: [UInt64], info: ElfDebugInfo, toolchain: Toolchain) -> [UInt64: Place] {
        guard !addresses.isEmpty, let symbolizer = toolchain.symbolizer,
            let symbolized = try? Subprocess.run(
                symbolizer,
                ["--obj=\(info.elf.path)", "--inlining", "--functions=short"] + addresses.map { "0x" + String($0, radix: 16) }),
            symbolized.status == 0
        else { return [:] }
        let blocks = symbolized.output.components(separatedBy: "\n\n").filter {
            !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        }
        var places: [UInt64: Place] = [:]
        for (address, block) in zip(addresses, blocks) {
            places[address] = place(block, source: info.source, runtimeDirectory: info.runtimeDirectory)
        }
        return places
    }

    /// `0000000000100000 <_start>:` headers and `  100000:  andq ...` lines.
    static func disassembly(_ text: String) -> [Instruction] {
        var result: [Instruction] = []
        var function = "?"
        for raw in text.split(separator: "\n") {
            if raw.hasSuffix(">:"), let open = raw.firstIndex(of: "<") {
                function = String(raw[raw.index(after: open)..<raw.index(raw.endIndex, offsetBy: -2)])
                continue
            }
            let trimmed = raw.drop { $0 == " " }
            guard let colon = trimmed.firstIndex(of: ":"), let address = UInt64(trimmed[..<colon], radix: 16) else { continue }
            let body = trimmed[trimmed.index(after: colon)...]
                .split(whereSeparator: { $0 == "\t" || $0 == " " }).joined(separator: " ")
            guard !body.isEmpty else { continue }
            result.append(Instruction(address: address, text: body, function: function))
        }
        return result
    }

    /// Where an instruction was written: a line of the exercise's file, or a place elsewhere; `file`
    /// and `line` name the source line whose text a table shows (nil for the runtime's code).
    struct Place {
        var builtLine: Int?
        var elsewhere: String?
        var file: String?
        var line: Int
    }

    /// The innermost frame in the exercise's own file gives the line; otherwise the innermost
    /// function, marked `(runtime)` when it is the runtime's.
    static func place(_ block: String, source: String, runtimeDirectory: String) -> Place {
        let lines = block.split(separator: "\n").map(String.init)
        var frames: [(function: String, file: String, line: Int)] = []
        var index = 0
        while index + 1 < lines.count {
            let location = lines[index + 1].split(separator: ":")
            let file = location.count >= 3 ? location.dropLast(2).joined(separator: ":") : location.first.map(String.init) ?? "??"
            let line = location.count >= 3 ? Int(location[location.count - 2]) ?? 0 : 0
            frames.append((lines[index], file, line))
            index += 2
        }
        if let own = frames.first(where: { $0.file == source && $0.line > 0 }) {
            return Place(builtLine: own.line, file: source, line: own.line)
        }
        // Not in the exercise's file: name the function the code really belongs to (the outermost
        // frame; inner ones are inlined helpers such as outb).
        guard let outer = frames.last, outer.function != "??" else { return Place(line: 0) }
        if outer.file.hasPrefix(runtimeDirectory) { return Place(elsewhere: "\(outer.function) (runtime)", line: 0) }
        return Place(elsewhere: "\(URL(fileURLWithPath: outer.file).lastPathComponent):\(outer.line)", file: outer.file, line: outer.line)
    }
}

/// The lines of the source files a C guest's debug information names, each file read once.
private final class SourceTexts {
    private var files: [String: [Substring]] = [:]

    /// Line `number` (1-based) of `path`, trimmed, or nil when the file cannot be read.
    func line(_ number: Int, of path: String?) -> String? {
        guard let path, number > 0 else { return nil }
        if files[path] == nil {
            let text = FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } ?? ""
            files[path] = text.split(separator: "\n", omittingEmptySubsequences: false)
        }
        guard let lines = files[path], number <= lines.count else { return nil }
        let text = lines[number - 1].trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }
}
