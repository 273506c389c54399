import Foundation
import Testing

@testable import Exercises

/// The guest runtime's soft-float routines, compiled for this machine and compared bit for bit with
/// its FPU (SSE instructions in inline assembly, so operand order and NaN propagation are SSE's own)
/// on random and edge-case operands: normal, subnormal, zero, infinite and NaN values, and sums that
/// cancel. The guests call the same C; the KVM tests check them in long and user mode.
@Suite struct SoftFloatTests {
    static let harness = #"""
        #include <stdio.h>
        #include <stdint.h>
        #include <string.h>
        #include <stdlib.h>
        typedef uint64_t u64;
        typedef uint32_t u32;
        #define SIGN 0x8000000000000000ull
        double __adddf3(double, double), __subdf3(double, double), __muldf3(double, double), __divdf3(double, double);
        float __addsf3(float, float), __subsf3(float, float), __mulsf3(float, float), __divsf3(float, float);
        int __ltdf2(double, double), __ledf2(double, double), __gtdf2(double, double), __gedf2(double, double);
        int __eqdf2(double, double), __nedf2(double, double), __unorddf2(double, double);
        int __ltsf2(float, float), __gesf2(float, float), __eqsf2(float, float);
        int __fixdfsi(double); int64_t __fixdfdi(double); unsigned __fixunsdfsi(double); u64 __fixunsdfdi(double);
        int __fixsfsi(float); int64_t __fixsfdi(float);
        double __floatsidf(int), __floatdidf(int64_t), __floatunsidf(unsigned), __floatundidf(u64);
        float __floatsisf(int), __floatdisf(int64_t), __floatunsisf(unsigned), __floatundisf(u64);
        double __extendsfdf2(float); float __truncdfsf2(double);
        double __powidf2(double, int);

        static u64 B(double x) { u64 b; memcpy(&b, &x, 8); return b; }
        static double D(u64 b) { double x; memcpy(&x, &b, 8); return x; }
        static u32 BF(float x) { u32 b; memcpy(&b, &x, 4); return b; }
        static float F(u32 b) { float x; memcpy(&x, &b, 4); return x; }
        static u64 state = 88172645463325252ull;
        static u64 rnd(void) { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state; }
        static u64 with_exponent(u64 r, int e) { return (r & 0x800FFFFFFFFFFFFFull) | ((u64)e << 52); }
        static u64 pick(void) {
            static const u64 special[] = {0, 0x7FF0000000000000ull, 0x7FF8000000000000ull, 0x7FF4000000000001ull,
                0xFFF8000000000000ull, 1, 0x000FFFFFFFFFFFFFull, 0x0010000000000000ull, 0x7FEFFFFFFFFFFFFFull,
                0x3FF0000000000000ull, 0x4340000000000000ull, 0x43E0000000000000ull, 0x41E0000000000000ull};
            u64 r = rnd();
            switch (rnd() % 11) {
            case 0: return r;                                              /* any pattern, NaNs included */
            case 1: return r & 0x800FFFFFFFFFFFFFull;                      /* subnormal or zero */
            case 2: return with_exponent(r, 1023 + (int)(rnd() % 80) - 40); /* near 1 */
            case 3: return special[rnd() % 13] ^ (rnd() % 2 ? SIGN : 0);
            case 4: return with_exponent(r, rnd() % 2 ? 1 + rnd() % 60 : 2046 - rnd() % 60); /* range ends */
            case 5: return B((double)(int64_t)(rnd() % 2000001) - 1000000.0);
            case 6: return with_exponent(r, 1023 + 52 + (int)(rnd() % 24) - 12); /* integer limits */
            case 7: return with_exponent(r, 1023 - 149 + (int)(rnd() % 60) - 30); /* float's subnormals */
            case 8: return with_exponent(r, 1023 + 127 + (int)(rnd() % 6) - 3);   /* float's overflow */
            case 9: return B((double)F((u32)r));
            default: return (r & 0xFFF0000000000FFFull) | ((rnd() % 2047) << 52);
            }
        }
        #define SSE2(name, op) static double name(double a, double b) { __asm__(op " %1, %0" : "+x"(a) : "x"(b)); return a; }
        SSE2(add, "addsd") SSE2(sub, "subsd") SSE2(mul, "mulsd") SSE2(dvd, "divsd")
        #define SSE1(name, op) static float name(float a, float b) { __asm__(op " %1, %0" : "+x"(a) : "x"(b)); return a; }
        SSE1(adds, "addss") SSE1(subs, "subss") SSE1(muls, "mulss") SSE1(divs, "divss")
        static long bad, checks;
        static void check(const char *op, u64 a, u64 b, u64 got, u64 want) {
            checks++;
            if (got != want && bad++ < 20)
                printf("%s(%016llx, %016llx): %016llx, the FPU gives %016llx\n", op, (unsigned long long)a, (unsigned long long)b,
                       (unsigned long long)got, (unsigned long long)want);
        }
        int main(int argc, char **argv) {
            long n = atol(argv[1]);
            for (long i = 0; i < n; i++) {
                u64 a = pick();
                u64 b = rnd() % 3 == 0 ? pick() : a ^ (rnd() & ((1ull << (rnd() % 60)) - 1)) ^ (rnd() % 2 ? SIGN : 0);
                double x = D(a), y = D(b);
                check("add", a, b, B(__adddf3(x, y)), B(add(x, y)));
                check("sub", a, b, B(__subdf3(x, y)), B(sub(x, y)));
                check("mul", a, b, B(__muldf3(x, y)), B(mul(x, y)));
                check("div", a, b, B(__divdf3(x, y)), B(dvd(x, y)));
                check("lt", a, b, __ltdf2(x, y) < 0, x < y);
                check("le", a, b, __ledf2(x, y) <= 0, x <= y);
                check("gt", a, b, __gtdf2(x, y) > 0, x > y);
                check("ge", a, b, __gedf2(x, y) >= 0, x >= y);
                check("eq", a, b, __eqdf2(x, y) == 0, x == y);
                check("ne", a, b, __nedf2(x, y) != 0, x != y);
                check("unord", a, b, __unorddf2(x, y) != 0, x != x || y != y);
                int i32; int64_t i64; float f;
                __asm__("cvttsd2si %1, %0" : "=r"(i32) : "x"(x)); check("fixdfsi", a, 0, (u32)__fixdfsi(x), (u32)i32);
                __asm__("cvttsd2si %1, %0" : "=r"(i64) : "x"(x)); check("fixdfdi", a, 0, __fixdfdi(x), i64);
                check("fixunsdfdi", a, 0, __fixunsdfdi(x), (u64)x);
                check("fixunsdfsi", a, 0, __fixunsdfsi(x), (unsigned)x);
                check("floatdidf", a, 0, B(__floatdidf((int64_t)a)), B((double)(int64_t)a));
                check("floatundidf", a, 0, B(__floatundidf(a)), B((double)a));
                check("floatsidf", a, 0, B(__floatsidf((int)a)), B((double)(int)a));
                check("floatunsidf", a, 0, B(__floatunsidf((unsigned)a)), B((double)(unsigned)a));
                check("floatdisf", a, 0, BF(__floatdisf((int64_t)a)), BF((float)(int64_t)a));
                check("floatundisf", a, 0, BF(__floatundisf(a)), BF((float)a));
                int narrow = (int)(a >> (rnd() % 40));
                check("floatsisf", a, 0, BF(__floatsisf(narrow)), BF((float)narrow));
                check("floatunsisf", a, 0, BF(__floatunsisf((unsigned)narrow)), BF((float)(unsigned)narrow));
                __asm__("cvtsd2ss %1, %0" : "=x"(f) : "x"(x)); check("truncdfsf2", a, 0, BF(__truncdfsf2(x)), BF(f));
                float fx = rnd() % 4 ? __truncdfsf2(x) : F((u32)rnd()), fy = __truncdfsf2(y);
                double widened;
                __asm__("cvtss2sd %1, %0" : "=x"(widened) : "x"(fx)); check("extendsfdf2", BF(fx), 0, B(__extendsfdf2(fx)), B(widened));
                check("addsf3", BF(fx), BF(fy), BF(__addsf3(fx, fy)), BF(adds(fx, fy)));
                check("subsf3", BF(fx), BF(fy), BF(__subsf3(fx, fy)), BF(subs(fx, fy)));
                check("mulsf3", BF(fx), BF(fy), BF(__mulsf3(fx, fy)), BF(muls(fx, fy)));
                check("divsf3", BF(fx), BF(fy), BF(__divsf3(fx, fy)), BF(divs(fx, fy)));
                check("ltsf2", BF(fx), BF(fy), __ltsf2(fx, fy) < 0, fx < fy);
                check("gesf2", BF(fx), BF(fy), __gesf2(fx, fy) >= 0, fx >= fy);
                check("eqsf2", BF(fx), BF(fy), __eqsf2(fx, fy) == 0, fx == fy);
                __asm__("cvttss2si %1, %0" : "=r"(i32) : "x"(fx)); check("fixsfsi", BF(fx), 0, (u32)__fixsfsi(fx), (u32)i32);
                __asm__("cvttss2si %1, %0" : "=r"(i64) : "x"(fx)); check("fixsfdi", BF(fx), 0, __fixsfdi(fx), i64);
            }
            /* __builtin_powi: the same squarings in hardware. */
            for (int e = -40; e <= 40; e++) {
                double base = 1.0 + e / 64.0, r = 1, p = base;
                for (int k = e < 0 ? -e : e; k; k /= 2) { if (k & 1) r = mul(r, p); p = mul(p, p); }
                check("powidf2", B(base), (u64)e, B(__powidf2(base, e)), B(e < 0 ? dvd(1, r) : r));
            }
            printf("%ld mismatches in %ld checks\n", bad, checks);
            return bad != 0;
        }
        """#

    @Test func everyRoutineMatchesTheFPUBitForBit() throws {
        let run = try HostHarness.run(harness: Self.harness, runtimeFiles: ["softfloat.c"], arguments: ["300000"])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("0 mismatches in "), "\(run.output)")
    }

    /// The comparison can fail: rounding ties away from zero instead of to even is caught.
    @Test func aRoundingMistakeIsCaught() throws {
        let broken = GuestRuntime.softFloat.replacingOccurrences(of: "(rest == SIGN_BIT && (kept & 1))", with: "(rest == SIGN_BIT)")
        #expect(broken != GuestRuntime.softFloat)
        let harness = Self.harness.replacingOccurrences(
            of: "double __adddf3(double, double)", with: "#include \"broken.c\"\ndouble __adddf3(double, double)")
        let run = try HostHarness.run(harness: harness, runtimeFiles: [], arguments: ["20000"], extraFiles: ["broken.c": broken])
        #expect(run.status != 0 && !run.output.contains(" 0 mismatches"), "\(run.output)")
    }
}
