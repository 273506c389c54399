import Foundation
import Testing

@testable import Hypervisor

/// PVM answers CPUID leaves 1, 7 and 0xD with the host's features whatever table the VMM sets, so no
/// exercise of the course may execute them into a result: a record made on one host would differ on
/// the next. Two checks over the real course: every `cpuid` in an exercise's source asks for a leaf
/// outside those three, and no record holds a value this host put into them.
@Suite struct CourseCPUIDTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let content = root.appendingPathComponent("content")
    static let hostLeaves: Set<UInt64> = [1, 7, 0xD]

    static func files(endingIn suffixes: [String]) -> [URL] {
        let walker = FileManager.default.enumerator(at: content, includingPropertiesForKeys: nil)
        return (walker?.allObjects as? [URL] ?? []).filter { url in suffixes.contains { url.lastPathComponent.hasSuffix($0) } }
    }

    /// The guest code of the course: exercise blocks of the lessons, and the source files beside them.
    static func guestSources() throws -> [(name: String, lines: [String])] {
        var sources: [(String, [String])] = []
        for lesson in files(endingIn: [".md"]) {
            var block: [String]?, start = 0
            for (index, line) in try String(contentsOf: lesson, encoding: .utf8).components(separatedBy: "\n").enumerated() {
                if line.hasPrefix("```") {
                    if let open = block {
                        sources.append(("\(lesson.lastPathComponent):\(start)", open))
                        block = nil
                    } else if line.contains(" exercise") {
                        block = []
                        start = index + 1
                    }
                } else {
                    block?.append(line)
                }
            }
        }
        for file in files(endingIn: [".asm", ".c", ".h", ".inc"]) {
            sources.append((file.lastPathComponent, try String(contentsOf: file, encoding: .utf8).components(separatedBy: "\n")))
        }
        return sources
    }

    /// The leaf an assembly `cpuid` asks for: the nearest earlier write of EAX, when it is a
    /// constant; nil when it cannot be told.
    static func leaf(before index: Int, in lines: [String]) -> UInt64? {
        for line in lines[..<index].reversed().prefix(12) {
            let words = Self.code(line).split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).map(String.init)
            guard words.count >= 3, words[1] == "eax" || words[1] == "rax" else { continue }
            if words[0] == "xor", words[2] == words[1] { return 0 }
            guard words[0] == "mov" else { return nil }
            let value = words[2]
            return value.hasPrefix("0x") ? UInt64(value.dropFirst(2), radix: 16) : UInt64(value)
        }
        return nil
    }

    /// A line without its comment (`;` or `//`) and its string literals, lowercased.
    static func code(_ line: String) -> String {
        var code = line.components(separatedBy: "//")[0]
        code = code.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        return code.replacingOccurrences(of: #""[^"]*""#, with: "\"\"", options: .regularExpression).lowercased()
    }

    /// The leaf of a C call (`cpuid(0x40000000, 0, ...)`, `__cpuid(1, ...)`), when it is a constant.
    static func callLeaf(_ code: String) -> UInt64?? {
        guard let call = code.range(of: #"(__get_cpuid|__cpuid_count|__cpuid|cpuid)\s*\("#, options: .regularExpression) else { return nil }
        let argument = code[call.upperBound...].prefix { $0 != "," && $0 != ")" }.trimmingCharacters(in: .whitespaces)
        return .some(argument.hasPrefix("0x") ? UInt64(argument.dropFirst(2), radix: 16) : UInt64(argument))
    }

    @Test func everyCPUIDInTheCourseAsksForALeafThatIsOurs() throws {
        let sources = try Self.guestSources()
        #expect(sources.count > 20, "the course's exercises were not found under \(Self.content.path)")
        var seen = 0
        for (name, lines) in sources {
            for (index, line) in lines.enumerated() {
                let code = Self.code(line)
                let leaf: UInt64?
                if let called = Self.callLeaf(code) {
                    leaf = called
                } else if code.range(of: #"\bcpuid\b"#, options: .regularExpression) != nil
                    || (code.contains("asm") && line.lowercased().contains("cpuid"))
                {
                    leaf = Self.leaf(before: index, in: lines)
                } else {
                    continue
                }
                seen += 1
                #expect(
                    leaf.map { !Self.hostLeaves.contains($0) } == true,
                    "\(name)+\(index): a cpuid whose leaf is \(leaf.map { String($0, radix: 16) } ?? "not a constant"); leaves 1, 7 and 0xD carry the host's features on PVM"
                )
            }
        }
        // The course does execute CPUID (leaf 0, the hypervisor leaves): the check must have found them.
        #expect(seen >= 3, "found \(seen) cpuid uses in the course")
    }

    /// The check reads the leaves as they are written, so a forbidden one is caught.
    @Test func theCheckTellsTheLeafOfEachSpelling() {
        #expect(Self.callLeaf(Self.code("    cpuid(1, 0, &a, &b, &c, &d); // features")) == .some(1))
        #expect(Self.callLeaf(Self.code("__cpuid_count(0xd, 1, a, b, c, d);")) == .some(0xD))
        #expect(Self.callLeaf(Self.code("cpuid(leaf, 0, &a, &b, &c, &d);")) == .some(nil))
        #expect(Self.leaf(before: 2, in: ["    mov eax, 7 ; structured features", "    xor ecx, ecx", "    cpuid"]) == 7)
        #expect(Self.leaf(before: 1, in: ["    mov eax, [leaf]", "    cpuid"]) == nil)
        #expect(Self.code("msg: db \"CPUID vendor\" ; cpuid").range(of: #"\bcpuid\b"#, options: .regularExpression) == nil)
    }

    /// Runs `cpuid` for `leaf` in a guest and returns EAX, EBX, ECX, EDX.
    static func guestCPUID(_ leaf: UInt32) throws -> [UInt32] {
        var source = "mov eax, \(leaf)\nxor ecx, ecx\ncpuid\nmov esi, eax\nmov edi, edx\nmov dx, 0x3f8\n"
        for register in ["esi", "ebx", "ecx", "edi"] {
            for _ in 0..<4 { source += "mov eax, \(register)\nout dx, al\nshr \(register), 8\n" }
        }
        let result = try TestKVM.run(source + "hlt", mode: .long)
        let bytes = result.output
        guard bytes.count == 16 else { return [] }
        return (0..<4).map { word in (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[word * 4 + $1]) << (8 * $1) } }
    }

    @Test(.enabled(if: TestKVM.deviceExists, "skipped: /dev/kvm is absent on this machine"))
    func noRecordHoldsAValueTheHostPutIntoLeaves1And7And0xD() throws {
        var hostValues: Set<UInt32> = []
        for leaf in Self.hostLeaves.map(UInt32.init) {
            let table = CPUIDTable.entries.first { $0.function == leaf }
            let ours = [table?.eax ?? 0, table?.ebx ?? 0, table?.ecx ?? 0, table?.edx ?? 0]
            let seen = try Self.guestCPUID(leaf)
            #expect(seen.count == 4, "the CPUID guest for leaf \(leaf) did not report")
            // Only what differs from our table is the host's, and only values too long to occur by chance.
            for (value, expected) in zip(seen, ours) where value != expected && value >= 0x10000 { hostValues.insert(value) }
        }
        if (try TestKVM.system ?? TestKVM.kvm()).host == .pvm {
            #expect(!hostValues.isEmpty, "PVM is documented to rewrite these leaves, and this host did not")
        }
        let records = Self.files(endingIn: [".exercises.json"])
        #expect(!records.isEmpty)
        for record in records {
            let text = try String(contentsOf: record, encoding: .utf8).lowercased()
            for value in hostValues {
                let hex = String(value, radix: 16)
                for written in [String(repeating: "0", count: 8 - hex.count) + hex, "0x" + hex, "\(value)"] {
                    #expect(
                        !text.contains(written),
                        "\(record.lastPathComponent) holds \(written), a value this host put into CPUID leaf 1, 7 or 0xD")
                }
            }
        }
    }
}
