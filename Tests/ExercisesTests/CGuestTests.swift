import Foundation
import Hypervisor
import Testing

@testable import Exercises

/// Ordinary C in every C mode, with real KVM: what clang emits for zeroed arrays, struct copies and
/// floating point must run at ring 0 too, where PVM hosts run the guest in KVM's instruction
/// emulator (no SSE, MMX or x87), and give the same bytes at ring 3.
@Suite(.enabled(if: kvmPresent, "skipped: /dev/kvm is absent on this machine"))
struct CGuestTests {
    static let ordinaryC = """
        #include "hypercourse.h"

        struct point { double x, y; long tag; char name[40]; };

        static struct point moved(struct point p, double dx) { p.x += dx; return p; }

        int main(void) {
            char buffer[64] = {0};
            int zeros = 0;
            for (int i = 0; i < 64; i++) zeros += buffer[i] == 0;
            struct point a = {1.5, -2.25, 7, "origin"};
            struct point b = a;
            b = moved(b, 0.25);
            double harmonic = 0;
            for (int i = 1; i <= 10; i++) harmonic += 1.0 / i;
            float third = 1.0f / 3.0f;
            volatile double big = 1e300, tiny = 1e-300;
            printf("%d zeros, %s %ld\\n", zeros, b.name, b.tag);
            printf("%f %g %.3e %a\\n", b.x, b.y, harmonic, harmonic);
            printf("%.10f %g %g %g %d %u\\n", (double)third, big * big, -big * big, tiny * tiny, (int)(harmonic * 1000), (unsigned)-b.y);
            printf("%#x %#o %#X %08.3f %-8g| %+.0f %.0f\\n", 255, 8, 0xabcu, -3.14159, 0.0001, 2.5, 3.5);
            return b.x > a.x && harmonic < 3.0 ? 0 : 1;
        }

        """

    @Test func ordinaryCGivesTheSameOutputInLongAndUserMode() throws {
        let course = TestCourse()
        let inputs = [course.cBlock("id=plain-long mode=long", Self.ordinaryC), course.cBlock("id=plain-user mode=user", Self.ordinaryC)]
        let report = course.process(inputs)
        #expect(report.problems.isEmpty, "\(report.messages)")
        var harmonic = 0.0
        for i in 1...10 { harmonic += 1.0 / Double(i) }
        let third = Double(Float(1) / Float(3))
        let expected =
            "64 zeros, origin 7\n"
            + HostPrintf.format("%f %g %.3e %a\n", 1.75, -2.25, harmonic, harmonic)
            + HostPrintf.format("%.10f %g %g %g %d %u\n", third, Double.infinity, -Double.infinity, 0.0, Int32(harmonic * 1000), UInt32(2))
            + HostPrintf.format("%#x %#o %#X %08.3f %-8g| %+.0f %.0f\n", Int32(255), Int32(8), UInt32(0xabc), -3.14159, 0.0001, 2.5, 3.5)
        #expect(expected.hasPrefix("64 zeros, origin 7\n1.750000 -2.25 2.929e+00 0x1.76e"))
        #expect(report.output(0) == expected)
        #expect(report.output(1) == expected)
        #expect(report.outcomes[0]?.entry.result.end == .exited(0) && report.outcomes[1]?.entry.result.end == .exited(0))
    }

    /// Double and float arithmetic and conversions in guests, bit for bit as this machine's FPU does
    /// them, at ring 0 (KVM's emulator on PVM hosts) and ring 3 (native).
    @Test func floatingPointMatchesTheHostFPU() throws {
        var generator = Xorshift(state: 0x9E3779B97F4A7C15)
        let pairs = (0..<120).map { _ in (generator.operand(), generator.operand()) }
        func list(_ values: [UInt64]) -> String { values.map { "0x\(String($0, radix: 16))ull" }.joined(separator: ", ") }
        let source = """
            #include "hypercourse.h"
            static uint64_t a[] = {\(list(pairs.map(\.0)))};
            static uint64_t b[] = {\(list(pairs.map(\.1)))};
            static char text[32768];
            static int used;
            static void hex(uint64_t v) {
                for (int s = 60; s >= 0; s -= 4) text[used++] = "0123456789abcdef"[v >> s & 15];
                text[used++] = ' ';
            }
            static uint64_t bits(double x) { uint64_t v; memcpy(&v, &x, 8); return v; }
            static uint32_t float_bits(float x) { uint32_t v; memcpy(&v, &x, 4); return v; }
            static double value(uint64_t v) { double x; memcpy(&x, &v, 8); return x; }
            int main(void) {
                for (int i = 0; i < \(pairs.count); i++) {
                    /* volatile: the operands are not known to the compiler, which would fold the arithmetic */
                    uint64_t p = ((volatile uint64_t *)a)[i], q = ((volatile uint64_t *)b)[i];
                    double x = value(p), y = value(q);
                    float f = (float)x, g = (float)y;
                    hex(bits(x + y)); hex(bits(x - y)); hex(bits(x * y)); hex(bits(x / y));
                    hex((x < y) | (x <= y) << 1 | (x == y) << 2 | (x > y) << 3 | (x >= y) << 4 | (x != y) << 5);
                    hex(float_bits(f)); hex(float_bits(f + g)); hex(float_bits(f * g)); hex(float_bits(f / g));
                    hex(bits((double)(int64_t)p)); hex(bits((double)f));
                    text[used - 1] = '\\n';
                }
                return pv_write(text, (uint32_t)used);
            }

            """
        var expected = ""
        for (p, q) in pairs {
            let x = Double(bitPattern: p), y = Double(bitPattern: q), f = Float(x), g = Float(y)
            let flags = (x < y ? 1 : 0) | (x <= y ? 2 : 0) | (x == y ? 4 : 0) | (x > y ? 8 : 0) | (x >= y ? 16 : 0) | (x != y ? 32 : 0)
            let values: [UInt64] = [
                (x + y).bitPattern, (x - y).bitPattern, (x * y).bitPattern, (x / y).bitPattern, UInt64(flags),
                UInt64(f.bitPattern), UInt64((f + g).bitPattern), UInt64((f * g).bitPattern), UInt64((f / g).bitPattern),
                Double(Int64(bitPattern: p)).bitPattern, Double(f).bitPattern
            ]
            expected +=
                values.map { String(repeating: "0", count: 16 - String($0, radix: 16).count) + String($0, radix: 16) }.joined(
                    separator: " ") + "\n"
        }
        let course = TestCourse()
        let report = course.process([course.cBlock("id=fp-long mode=long", source), course.cBlock("id=fp-user mode=user", source)])
        #expect(report.problems.isEmpty, "\(report.messages)")
        for slot in 0..<2 {
            let lines = (report.output(slot) ?? "").split(separator: "\n", omittingEmptySubsequences: false)
            let wanted = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let first = zip(lines, wanted).enumerated().first { $0.element.0 != $0.element.1 }
            #expect(
                lines.count == wanted.count && first == nil,
                "slot \(slot), pair \(first?.offset ?? -1): \(first.map { "\($0.element.0) vs \($0.element.1)" } ?? "line count \(lines.count)")"
            )
        }
    }

    /// The same printf calls in a guest and in glibc give the same text, in long and user mode.
    @Test func printfPrintsWhatGlibcPrints() throws {
        let cases: [(String, CVarArg, String)] = [
            ("%f|%.0f|%.1f|%.2f", 3.14159, "3.14159"), ("%e|%E|%.0e|%#.0e", 123456.789, "123456.789"),
            ("%g|%G|%.3g|%#g", 0.0001234, "0.0001234"), ("%g|%g|%g", 1e6, "1e6"), ("%a|%A|%.1a|%.0a", 1.5, "1.5"),
            ("%10.3f|%-10.3f|%+f|% f|%010.2f", -2.5, "-2.5"), ("%f|%e|%g|%a", Double.leastNonzeroMagnitude, "5e-324"),
            ("%f|%.3e|%g", 1.7976931348623157e308, "1.7976931348623157e308"), ("%.20f|%.17g", 0.1, "0.1"),
            ("%.0f|%.0f|%.0f", 0.5, "0.5"), ("%f|%F|%e|%+g|%5.1f", Double.infinity, "1.0 / 0.0"),
            ("%f|%F|%g|%E", -Double.nan, "-(0.0 / 0.0 * 0.0 + __builtin_nan(\"\"))"), ("%#x|%#X|%#o|%#.0o|%#010x", UInt32(255), "255u"),
            ("%b|%#b|%B|%012b", UInt32(37), "37u"), ("%'d|%i", Int32(1234567), "1234567"), ("%'.1f", 1234567.891, "1234567.891")
        ]
        var source = "#include \"hypercourse.h\"\nint main(void) {\n"
        var expected = ""
        for (format, value, literal) in cases {
            let count = format.components(separatedBy: "|").count
            source += "    printf(\"\(format)\\n\"\(String(repeating: ", \(literal)", count: count)));\n"
            expected += HostPrintf.format(format + "\n", arguments: Array(repeating: value, count: count))
        }
        source += """
                int n = -1;
                printf("%ls|%lc|%5.3ls|%s|%n\\n", L"h\\u00e9llo", 0x1F600, L"wide", (char *)0, &n);
                printf("%d|%m\\n", n);
                return 0;
            }

            """
        // %n counts bytes: é is two, the emoji four.
        expected += "h\u{e9}llo|\u{1F600}|  wid|(null)|\n25|Success\n"
        let course = TestCourse()
        let report = course.process([course.cBlock("id=printf-long mode=long", source), course.cBlock("id=printf-user mode=user", source)])
        #expect(report.problems.isEmpty, "\(report.messages)")
        #expect(report.output(0) == expected)
        #expect(report.output(1) == expected)
    }

    /// A format printf cannot print as written, or an argument of the wrong type, is a compile error
    /// at its Markdown line; so is a struct through `...`, which C guests cannot pass.
    @Test func unsupportedFormatsAreCompileErrorsAtTheirLine() {
        let course = TestCourse()
        let bodies = [
            "printf(\"%d\\n\", 1.5);", "printf(\"%1$d\\n\", 1);", "printf(\"%y\\n\", 1);", "printf(\"%Lf\\n\", 1.0);",
            "printf(\"%C\\n\", 65);", "printf(\"%qd\\n\", 1LL);",
            "struct pair { double a, b; }; va_list ap; struct pair p = va_arg(ap, struct pair); (void)p;"
        ]
        let inputs = bodies.enumerated().map { index, body in
            course.cBlock("id=format-\(index)", "#include \"hypercourse.h\"\nint main(void) {\n    \(body)\n    return 0;\n}\n", line: 40)
        }
        let report = course.process(inputs)
        #expect(report.problems.count == bodies.count, "\(report.messages)")
        for problem in report.problems {
            #expect(problem.line == 43 && problem.message.contains("compiler error"), "\(problem)")
        }
        #expect(report.messages.contains("format specifies type 'int' but the argument has type 'double'"))
        #expect(report.messages.contains("positional arguments are not supported by ISO C"))
        #expect(report.messages.contains("invalid conversion specifier 'y'"))
        #expect(report.messages.contains("cannot pass one through '...'"))
    }

    /// A C guest that includes a C library header is told what it has instead; a missing header of
    /// its own gets no such hint.
    @Test func aCLibraryHeaderPointsToTheRuntimeHeader() {
        let course = TestCourse()
        let report = course.process([
            course.cBlock("id=stdio", "#include <stdio.h>\nint main(void) { return 0; }\n", line: 10),
            course.cBlock("id=own-header", "#include \"mine.h\"\nint main(void) { return 0; }\n", line: 20)
        ])
        #expect(report.problems.count == 2, "\(report.messages)")
        let stdio = report.problems.first { $0.line == 11 }, own = report.problems.first { $0.line == 21 }
        #expect(stdio?.message.contains("'stdio.h' file not found") == true, "\(report.messages)")
        #expect(stdio?.message.contains("#include \"hypercourse.h\"") == true, "\(report.messages)")
        #expect(own?.message.contains("'mine.h' file not found") == true, "\(report.messages)")
        #expect(own?.message.contains("hypercourse.h") == false, "\(report.messages)")
    }

    /// A C guest's crash names its C line, the instruction and its bytes, in the build's error and in
    /// the detail kept for the page.
    @Test func aCrashNamesItsLineAndBytes() throws {
        let source =
            "#include \"hypercourse.h\"\nint main(void) {\n    puts(\"before\");\n    __asm__ volatile(\"ud2\");\n    return 0;\n}\n"
        let course = TestCourse()
        let failed = course.process([course.cBlock("id=c-crash mode=long", source, line: 7)])
        let message = failed.problems.first?.message ?? ""
        #expect(failed.problems.first?.line == 7 && message.contains("ended with 'crash' (KVM_EXIT_"), "\(message)")
        #expect(message.contains(", line 4 (ud2), bytes 0f 0b"), "\(message)")
        #expect(message.contains("output so far:\n  | before"), "\(message)")
        let expected = course.process([course.cBlock("id=c-crash-ok mode=user expect=crash", source)])
        #expect(expected.problems.isEmpty, "\(expected.messages)")
        let detail = expected.outcomes[0]?.entry.hostDetail ?? ""
        #expect(detail.contains(", line 4 (ud2), bytes 0f 0b"), "\(detail)")
    }
}

/// glibc's own printf on the host, the reference for the guest's.
enum HostPrintf {
    static func format(_ format: String, _ arguments: CVarArg...) -> String { Self.format(format, arguments: arguments) }

    static func format(_ format: String, arguments: [CVarArg]) -> String {
        withVaList(arguments) { list in
            var buffer = [CChar](repeating: 0, count: 4096)
            let count = vsnprintf(&buffer, buffer.count, format, list)
            // A failure shows in the comparison rather than stopping the test process.
            guard count >= 0 && count < buffer.count else { return "<the host's vsnprintf failed for \(format)>" }
            return String(decoding: buffer.prefix(Int(count)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }
}

/// Operands that reach every path of the soft-float routines: normal, subnormal, zero, infinite,
/// NaN (quiet and signalling), near 1, near the ends of the range, and pairs that cancel.
struct Xorshift {
    var state: UInt64

    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }

    mutating func operand() -> UInt64 {
        let r = next()
        switch next() % 6 {
        case 0: return r
        case 1: return r & 0x800F_FFFF_FFFF_FFFF
        case 2: return (r & 0x800F_FFFF_FFFF_FFFF) | (UInt64(1023 + Int(next() % 80) - 40) << 52)
        case 3:
            return [0, 0x7FF0_0000_0000_0000, 0x7FF4_0000_0000_0001, 1, 0x0010_0000_0000_0000, 0x7FEF_FFFF_FFFF_FFFF][Int(next() % 6)]
                ^ (next() % 2 == 0 ? 0 : 1 << 63)
        case 4: return Double(Int64(next() % 2_000_001) - 1_000_000).bitPattern
        default: return (r & 0x800F_FFFF_FFFF_FFFF) | (UInt64(next() % 2 == 0 ? 1 + next() % 60 : 2046 - next() % 60) << 52)
        }
    }
}
