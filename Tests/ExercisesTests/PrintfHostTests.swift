import Foundation
import Testing

@testable import Exercises

/// The guest runtime's printf, compiled for this machine and compared with glibc's on random formats
/// (every flag, widths, precisions up to 800, every length modifier) and random doubles (subnormal,
/// huge, ties, NaN and infinity), characters, strings and wide strings. The KVM tests check the
/// same C in guests.
@Suite struct PrintfHostTests {
    static let harness = #"""
        #include <stdio.h>
        #include <stdarg.h>
        #include <string.h>
        #include <stdint.h>
        #include <stdlib.h>
        #include <wchar.h>
        static char out[100000];
        static int length;
        int guest_putchar(int c) { if (length < (int)sizeof out) out[length++] = (char)c; return c; }
        int guest_vprintf(const char *, va_list);
        int guest_printf(const char *, ...);
        static uint64_t state = 88172645463325252ull;
        static uint64_t rnd(void) { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state; }
        static double D(uint64_t b) { double x; memcpy(&x, &b, 8); return x; }
        static double pick(void) {
            static const double special[] = {0.0, 0.5, 1.5, 2.5, 0.125, 0.05, 1e21, 1e-5, 9.5, 99.5, 0.95, 1e300,
                                             123456789.0, 5e-324, 1.7976931348623157e308, 99.96, 999.7};
            uint64_t r = rnd();
            switch (rnd() % 7) {
            case 0: return D(r);
            case 1: return D(r & 0x800FFFFFFFFFFFFFull);
            case 2: return D((r & 0x800FFFFFFFFFFFFFull) | ((uint64_t)(1023 + (int)(rnd() % 60) - 30) << 52));
            case 3: return special[rnd() % 17] * (rnd() % 2 ? 1 : -1);
            case 4: return (double)(int64_t)(rnd() % 2000001 - 1000000) / 1000.0;
            case 5: { char t[40]; snprintf(t, 40, "%d.%de%d", (int)(rnd() % 10), (int)(rnd() % 100000), (int)(rnd() % 40) - 20); return strtod(t, 0); }
            default: return D((r & 0xFFF0000000000FFFull) | ((rnd() % 2047) << 52));
            }
        }
        static long bad, checks;
        static void compare(const char *format, const char *want, int wanted, int got) {
            checks++;
            if ((got != wanted || length != wanted || memcmp(want, out, length)) && bad++ < 20)
                printf("[%s]: glibc [%s] (%d), guest [%.*s] (%d)\n", format, want, wanted, length, out, got);
        }
        static void check(const char *format, ...) {
            char want[100000];
            va_list a, b;
            va_start(a, format);
            va_copy(b, a);
            int wanted = vsnprintf(want, sizeof want, format, a);
            length = 0;
            int got = guest_vprintf(format, b);
            va_end(a);
            va_end(b);
            compare(format, want, wanted, got);
        }
        /* %#g as C defines it: %#e's exponent after rounding chooses between %#f and %#e. (glibc
         * drops zeros when rounding carries into a new power of ten: %#.2g of 99.96 gives "1.e+02".) */
        static void check_alternative_g(const char *flags, const char *width, int precision, char conversion, double v) {
            char format[64], reference[64], probe[1000], want[100000];
            int p = precision < 0 ? 6 : precision ? precision : 1;
            snprintf(format, sizeof format, "%%%s%s.%d%c", flags, width, precision < 0 ? 6 : precision, conversion);
            snprintf(probe, sizeof probe, "%.*e", p - 1, v);
            int x = atoi(strchr(probe, 'e') + 1);
            int f = p > x && x >= -4;
            char style = conversion == 'G' ? (f ? 'F' : 'E') : (f ? 'f' : 'e');
            snprintf(reference, sizeof reference, "%%%s%s.%d%c", flags, width, f ? p - 1 - x : p - 1, style);
            int wanted = snprintf(want, sizeof want, reference, v);
            length = 0;
            int got = guest_printf(format, v);
            compare(format, want, wanted, got);
        }
        int main(int argc, char **argv) {
            long n = atol(argv[1]);
            const char *flag_set = "-+ #0";
            for (long i = 0; i < n; i++) {
                char flags[8] = "", width[8] = "", format[64];
                for (int j = 0, k = 0; j < 5; j++) if (rnd() % 4 == 0) flags[k++] = flag_set[j], flags[k] = 0;
                if (rnd() % 2) snprintf(width, sizeof width, "%d", (int)(rnd() % 30));
                int precision = rnd() % 3 == 0 ? -1 : rnd() % 4 == 0 ? (int)(rnd() % 800) : (int)(rnd() % 30);
                char conversion = "fFeEgGaA"[rnd() % 8];
                double v = pick();
                if (strchr(flags, '#') && (conversion == 'g' || conversion == 'G') && v == v && v - v == 0) {
                    check_alternative_g(flags, width, precision, conversion, v);
                    continue;
                }
                if (precision < 0) snprintf(format, sizeof format, "%%%s%s%c", flags, width, conversion);
                else snprintf(format, sizeof format, "%%%s%s.%d%c", flags, width, precision, conversion);
                check(format, v);
            }
            const char *integer_conversions = "diuoxX", *modifiers[] = {"", "hh", "h", "l", "ll", "z", "j", "t"};
            for (long i = 0; i < n; i++) {
                char format[64];
                int k = 0;
                format[k++] = '%';
                for (int j = 0; j < 5; j++) if (rnd() % 4 == 0) format[k++] = flag_set[j];
                if (rnd() % 2) k += sprintf(format + k, "%d", (int)(rnd() % 25));
                if (rnd() % 3 == 0) k += sprintf(format + k, ".%d", (int)(rnd() % 25));
                const char *modifier = modifiers[rnd() % 8];
                sprintf(format + k, "%s%c", modifier, integer_conversions[rnd() % 6]);
                uint64_t v = rnd() >> (rnd() % 64);
                if (rnd() % 5 == 0) v = 0;
                if (strlen(modifier) && strchr("lzjt", modifier[0])) check(format, (long long)v);
                else check(format, (int)v);
            }
            check("%s|%10s|%-10s|%.2s|%c|%5c|%-3c|%%|%p|%20p|%-20p", "hello", "hi", "left", "abc", 'x', 'y', 'z',
                  (void *)0x1234, (void *)0xdeadbeef, (void *)1);
            check("%#x %#X %#o %#o %#.0o %#x %#10x %#-10x %#010x %#.5o", 255u, 255u, 8u, 0u, 0u, 0u, 255u, 255u, 255u, 8u);
            check("%ls|%5ls|%-5ls|%.2ls|%lc|%3lc|%ls", L"wide", L"ab", L"ab", L"abcdef", (wint_t)'q', (wint_t)'r', (wchar_t *)0);
            check("%*d|%-*d|%.*d|%*.*f|%.*f|%*d", 5, 42, 5, 42, 3, 7, 10, 2, 3.14159, -1, 2.5, -6, 1);
            check("%'d %'.2f %'x", 1234567, 1234567.891, 0xabcdefu);
            check("%b %#b %B %#B %08b %.12b %#b", 5u, 5u, 6u, 6u, 3u, 9u, 0u);
            check("%hhd %hhu %hd %hu %hhx", 300, 300, 70000, 70000, 0x1ff);
            int counted = -1;
            signed char small = -1;
            check("abc%n%hhn", &counted, &small);
            if (counted != 3 || small != 3) bad++, printf("%%n stored %d and %d\n", counted, small);
            printf("%ld mismatches in %ld checks\n", bad, checks);
            return bad != 0;
        }
        """#

    @Test func printfMatchesGlibc() throws {
        let run = try HostHarness.run(
            harness: Self.harness, runtimeFiles: ["printf.c", "printf_float.c"],
            defines: ["printf=guest_printf", "vprintf=guest_vprintf", "putchar=guest_putchar"],
            arguments: ["60000"])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.hasPrefix("0 mismatches in 12000"), "\(run.output)")
    }
}
