import Foundation
import Testing

@testable import Exercises

/// How C guests are built, without running them: no instruction KVM's emulator lacks, and a printf
/// format clang accepts is one the runtime prints.
@Suite struct CGuestBuildTests {
    /// Floating point, struct copies and zeroed arrays compile to general-register code only: no SSE,
    /// AVX, MMX or x87 instruction anywhere in the image, runtime included.
    @Test func imagesUseNoSSEMMXOrX87() throws {
        let toolchain = Toolchain.locate()
        let objdump = try #require(toolchain.objdump, "the Swift toolchain's llvm-objdump was not found")
        let course = TestCourse()
        let body = """
            #include "hypercourse.h"
            struct big { double values[8]; char name[32]; };
            static double scale(struct big b, float f) { return b.values[3] * f + (double)b.name[0]; }
            int main(void) {
                char buffer[64] = {0};
                volatile double seed = 4.5; /* unknown to the compiler, so nothing is folded */
                struct big one = {{1, 2, 3, seed}, "x"}, two = one;
                two.values[3] += buffer[5];
                printf("%f %g %e %a %d\\n", scale(two, 2.5f), (double)(long)two.values[3], 1.0 / 3, -0.0, (int)(one.values[1] * 10));
                return 0;
            }

            """
        let spec = try ExerciseSpec.parse(course.cBlock("id=no-sse", body))
        let builder = GuestBuilder(toolchain: toolchain, versions: ToolVersions(cacheDirectory: nil), cacheDirectory: nil)
        defer { builder.finish() }
        let guest = try builder.build(spec, slot: 0)
        guard case .elf(let info) = guest.symbols else {
            Issue.record("a C guest has no ELF")
            return
        }
        let disassembly = try HostHarness.execute(objdump, ["-d", "--no-show-raw-insn", info.elf.path])
        #expect(disassembly.status == 0, "\(disassembly.output)")
        let mnemonics = disassembly.output.split(separator: "\n").compactMap { line -> (String, Substring)? in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: true)
            let address = fields.first?.trimmingCharacters(in: .whitespaces) ?? ""
            guard fields.count >= 2, address.hasSuffix(":"), UInt64(address.dropLast(), radix: 16) != nil else { return nil }
            return (String(fields[1]), line)
        }
        #expect(mnemonics.count > 500, "too few instructions disassembled: \(mnemonics.count)")
        #expect(mnemonics.contains { $0.0 == "callq" && $0.1.contains("<__muldf3>") }, "the soft-float routines are not called")
        let forbidden = mnemonics.filter { mnemonic, line in
            mnemonic.hasPrefix("f") || mnemonic.hasPrefix("emms") || mnemonic.contains("mxcsr")
                || line.contains("%xmm") || line.contains("%ymm") || line.contains("%zmm") || line.contains("%mm") || line.contains("%st")
        }
        #expect(forbidden.isEmpty, "\(forbidden.prefix(5).map(\.1))")
    }

    /// Every conversion, length modifier and flag clang's format check accepts for the guests'
    /// target is one the runtime's printf implements (its tests compare it with glibc's), so a
    /// toolchain that starts accepting more fails here rather than printing wrong text in a lesson.
    @Test func everyFormatClangAcceptsIsImplemented() throws {
        let clang = try HostHarness.requireClang()
        let conversions = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz%")
        let modifiers = [
            "", "hh", "h", "l", "ll", "j", "z", "t", "L", "q", "w", "w8", "w16", "w32", "w64", "wf16", "I", "I32", "I64", "H", "D", "DD"
        ]
        let flags = Array("!\"&'()+,-/:;<=>?@[]^_`{|}~ #0")
        var lines: [(modifier: String, conversion: Character, flag: Character?)] = []
        var source = "#include \"hypercourse.h\"\nvoid probe(void) {\n"
        for modifier in modifiers {
            for conversion in conversions {
                lines.append((modifier, conversion, nil))
                let escaped = conversion == "%" ? "%%" : String(conversion)
                source += "printf(\"%\(modifier)\(escaped)\");\n"
            }
        }
        for flag in flags {
            for conversion in ["d", "f"] {
                lines.append(("", Character(conversion), flag))
                let escaped = flag == "\"" ? "\\\"" : String(flag)
                source += "printf(\"%\(escaped)\(conversion)\", \(conversion == "d" ? "1" : "1.0"));\n"
            }
        }
        source += "}\n"
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("formats-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for file in GuestRuntime.files { try Data(file.text.utf8).write(to: folder.appendingPathComponent(file.name)) }
        try Data(source.utf8).write(to: folder.appendingPathComponent("probe.c"))
        let compiled = try HostHarness.execute(
            clang,
            GuestRuntime.compileFlags + [
                "-ferror-limit=0", "-fsyntax-only", "-I", folder.path,
                folder.appendingPathComponent("probe.c").path
            ])
        // Line 3 of probe.c is lines[0]. Only "more conversions than arguments" (no argument was
        // passed) is not a refusal.
        var refused = Set<Int>()
        for diagnostic in ClangDiagnostic.parse(compiled.output) where diagnostic.severity != "note" && diagnostic.file.hasSuffix("probe.c")
        {
            if !diagnostic.message.contains("more '%' conversions than data arguments") { refused.insert(diagnostic.line - 3) }
        }
        let accepted = lines.enumerated().filter { !refused.contains($0.offset) }.map(\.element)
        let implementedConversions = try #require(GuestRuntime.printf.firstMatch(of: /for \(const char \*k = "([^"]+)"/)?.1)
        let implementedModifiers: Set<String> = ["", "hh", "h", "l", "ll", "j", "z", "t", "L", "q", "w", "I", "I32", "I64"]
        let implementedFlags = Set("-+ #0'")
        // The probe works: the plain conversions are accepted, nonsense is not.
        #expect(accepted.contains { $0 == ("", "d", nil) } && accepted.contains { $0 == ("l", "s", nil) })
        #expect(!accepted.contains { $0 == ("", "y", nil) } && !accepted.contains { $0 == ("q", "d", nil) })
        for probe in accepted {
            #expect(
                implementedConversions.contains(probe.conversion) && implementedModifiers.contains(probe.modifier)
                    && (probe.flag.map(implementedFlags.contains) ?? true),
                "clang accepts %\(probe.flag.map(String.init) ?? "")\(probe.modifier)\(probe.conversion), which the runtime's printf does not implement"
            )
        }
    }
}
