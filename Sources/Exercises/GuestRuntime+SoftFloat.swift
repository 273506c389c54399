extension GuestRuntime {
    /// `softfloat.c`: the floating-point routines clang calls for guests built with
    /// `-mgeneral-regs-only`.
    static let softFloat = #"""
        /* Soft floating point for C guests: IEEE 754 binary64 (double) and binary32 (float) in integer
         * registers only. Guests are compiled with -mgeneral-regs-only, so clang turns every floating-point
         * operation into a call to one of these routines (the names and contracts of libgcc and
         * compiler-rt). Results are correctly rounded to nearest, ties to even, and match what x86's SSE
         * computes bit for bit, NaNs included: an invalid operation gives SSE's default NaN (0xFFF8...), and a
         * NaN operand is returned quieted (the first one when both are NaN). There are no exceptions flags
         * and no other rounding modes. A float operation is done in double and rounded once to float, which
         * is exact for + - * / (a double holds more than twice a float's precision). */
        #include <stdbool.h>
        #include <stdint.h>

        typedef uint64_t u64;
        typedef int64_t i64;
        typedef uint32_t u32;

        #define SIGN_BIT (1ull << 63)
        #define FRACTION_MASK ((1ull << 52) - 1)
        #define EXPONENT_MASK (0x7FFull << 52)
        #define QUIET_BIT (1ull << 51)
        #define DEFAULT_NAN 0xFFF8000000000000ull

        static inline u64 bits_of(double x) { u64 b; __builtin_memcpy(&b, &x, 8); return b; }
        static inline double double_of(u64 b) { double x; __builtin_memcpy(&x, &b, 8); return x; }
        static inline u32 bits_of_float(float x) { u32 b; __builtin_memcpy(&b, &x, 4); return b; }
        static inline float float_of(u32 b) { float x; __builtin_memcpy(&x, &b, 4); return x; }

        static inline bool is_nan(u64 b) { return (b & ~SIGN_BIT) > EXPONENT_MASK; }
        static inline u64 quiet(u64 b) { return b | QUIET_BIT; }
        static inline u64 nan_of(u64 a, u64 b) { return quiet(is_nan(a) ? a : b); }

        enum kind { ZERO, FINITE, INFINITE, NOT_A_NUMBER };

        /* A double as (-1)^sign × significand × 2^exponent. */
        struct unpacked {
            bool sign;
            int exponent;
            u64 significand;
            enum kind kind;
        };

        static struct unpacked unpack(u64 b) {
            struct unpacked u = {b >> 63, 0, b & FRACTION_MASK, FINITE};
            int field = (int)((b >> 52) & 0x7FF);
            if (field == 0x7FF) {
                u.kind = u.significand ? NOT_A_NUMBER : INFINITE;
            } else if (field == 0) {
                u.exponent = 1 - 1023 - 52;
                if (!u.significand) u.kind = ZERO;
            } else {
                u.significand |= 1ull << 52;
                u.exponent = field - 1023 - 52;
            }
            return u;
        }

        /* The bit pattern of (-1)^sign × significand × 2^exponent rounded to nearest, ties to even, in a
         * format with `fraction` fraction bits and `exponent_bits` exponent bits. The lowest bit of
         * `significand` may stand for bits already shifted out (sticky). Overflow gives infinity, and the
         * subnormal range is rounded once, at its own precision. */
        static u64 round_pack(bool sign, int exponent, u64 significand, int fraction, int exponent_bits) {
            int bias = (1 << (exponent_bits - 1)) - 1;
            u64 sign_bit = (u64)sign << (fraction + exponent_bits);
            if (!significand) return sign_bit;
            int lead = __builtin_clzll(significand);
            significand <<= lead;
            int top = exponent - lead + 63; /* the value is 1.xxx × 2^top */
            if (top > bias) return sign_bit | ((u64)((1 << exponent_bits) - 1) << fraction);
            int shift = 63 - fraction; /* bits below the last one kept */
            if (top < 1 - bias) shift += 1 - bias - top;
            u64 kept;
            if (shift > 64) {
                kept = 0; /* below half the smallest subnormal */
            } else if (shift == 64) {
                kept = significand > SIGN_BIT; /* exactly half rounds to the even 0 */
            } else {
                kept = significand >> shift;
                u64 rest = significand << (64 - shift);
                if (rest > SIGN_BIT || (rest == SIGN_BIT && (kept & 1))) kept++;
            }
            /* A carry out of the fraction moves into the exponent field, which is what rounding up to the
             * next binade (or from the largest subnormal to the smallest normal, or to infinity) means. */
            if (top < 1 - bias) return sign_bit | kept;
            return sign_bit | (((u64)(top + bias - 1) << fraction) + kept);
        }

        static inline u64 pack_double(bool sign, int exponent, u64 significand) {
            return round_pack(sign, exponent, significand, 52, 11);
        }

        static inline u64 shift_right_sticky(u64 v, int n) {
            if (n == 0) return v;
            if (n >= 64) return v != 0;
            return (v >> n) | ((v << (64 - n)) != 0);
        }

        static u64 add_bits(u64 a, u64 b) {
            struct unpacked x = unpack(a), y = unpack(b);
            if (x.kind == NOT_A_NUMBER || y.kind == NOT_A_NUMBER) return nan_of(a, b);
            if (x.kind == INFINITE) return (y.kind == INFINITE && x.sign != y.sign) ? DEFAULT_NAN : a;
            if (y.kind == INFINITE) return b;
            if (x.kind == ZERO) return y.kind == ZERO ? (a & b) : b; /* -0 + -0 is -0; any other sum of zeros +0 */
            if (y.kind == ZERO) return a;
            if ((a & ~SIGN_BIT) < (b & ~SIGN_BIT)) {
                struct unpacked t = x;
                x = y;
                y = t;
            }
            /* Ten guard bits and a sticky bit round the sum or difference exactly once. */
            u64 big = x.significand << 10, small = shift_right_sticky(y.significand << 10, x.exponent - y.exponent);
            u64 sum = x.sign == y.sign ? big + small : big - small;
            if (!sum) return 0;
            return pack_double(x.sign, x.exponent - 10, sum);
        }

        static u64 mul_bits(u64 a, u64 b) {
            struct unpacked x = unpack(a), y = unpack(b);
            bool sign = x.sign != y.sign;
            if (x.kind == NOT_A_NUMBER || y.kind == NOT_A_NUMBER) return nan_of(a, b);
            if (x.kind == INFINITE || y.kind == INFINITE) {
                if (x.kind == ZERO || y.kind == ZERO) return DEFAULT_NAN;
                return (u64)sign << 63 | EXPONENT_MASK;
            }
            if (x.kind == ZERO || y.kind == ZERO) return (u64)sign << 63;
            unsigned __int128 product = (unsigned __int128)x.significand * y.significand;
            u64 high = (u64)(product >> 64), low = (u64)product;
            int drop = high ? 64 - __builtin_clzll(high) : 0;
            u64 significand = drop ? (u64)(product >> drop) | ((low << (64 - drop)) != 0) : low;
            return pack_double(sign, x.exponent + y.exponent + drop, significand);
        }

        static u64 div_bits(u64 a, u64 b) {
            struct unpacked x = unpack(a), y = unpack(b);
            bool sign = x.sign != y.sign;
            if (x.kind == NOT_A_NUMBER || y.kind == NOT_A_NUMBER) return nan_of(a, b);
            if (x.kind == INFINITE) return y.kind == INFINITE ? DEFAULT_NAN : ((u64)sign << 63 | EXPONENT_MASK);
            if (y.kind == INFINITE) return (u64)sign << 63;
            if (y.kind == ZERO) return x.kind == ZERO ? DEFAULT_NAN : ((u64)sign << 63 | EXPONENT_MASK);
            if (x.kind == ZERO) return (u64)sign << 63;
            /* Dividend's top bit at 62, divisor's at 63: the 128-by-64-bit quotient fits in 64 bits and
             * has at least 62 significant bits; the remainder is the sticky bit. */
            int dividend_shift = __builtin_clzll(x.significand) - 1, divisor_shift = __builtin_clzll(y.significand);
            u64 dividend = x.significand << dividend_shift, divisor = y.significand << divisor_shift;
            u64 quotient, remainder;
            __asm__("divq %4" : "=a"(quotient), "=d"(remainder) : "a"(0ull), "d"(dividend), "rm"(divisor));
            int exponent = x.exponent - dividend_shift - (y.exponent - divisor_shift) - 64;
            return pack_double(sign, exponent, quotient | (remainder != 0));
        }

        /* -1, 0 or 1 as a is below, equal to or above b; `unordered` when either is a NaN. */
        static int compare_bits(u64 a, u64 b, int unordered) {
            if (is_nan(a) || is_nan(b)) return unordered;
            i64 x = (a & SIGN_BIT) ? -(i64)(a & ~SIGN_BIT) : (i64)a;
            i64 y = (b & SIGN_BIT) ? -(i64)(b & ~SIGN_BIT) : (i64)b;
            return (x > y) - (x < y);
        }

        /* Truncation toward zero to a `width`-bit signed integer. NaN and values out of range give the
         * most negative integer, x86's "integer indefinite", as cvttsd2si does. */
        static i64 to_signed(u64 b, int width) {
            struct unpacked u = unpack(b);
            i64 indefinite = (i64)(~0ull << (width - 1));
            if (u.kind == NOT_A_NUMBER || u.kind == INFINITE) return indefinite;
            if (u.kind == ZERO) return 0;
            int top = u.exponent + 63 - __builtin_clzll(u.significand);
            if (top >= width - 1) return indefinite;
            u64 magnitude = u.exponent >= 0 ? u.significand << u.exponent
                          : u.exponent <= -64 ? 0 : u.significand >> -u.exponent;
            return u.sign ? -(i64)magnitude : (i64)magnitude;
        }

        /* To an unsigned 64-bit integer as x86-64 code compiled for SSE computes it: the signed conversion,
         * and for values from 2^63 on (where that gives the indefinite integer) the conversion of the value
         * less 2^63 with the top bit set. */
        static u64 to_unsigned(u64 b) {
            u64 direct = (u64)to_signed(b, 64), offset = (u64)to_signed(add_bits(b, 0xC3E0000000000000ull), 64);
            return direct | (offset & (u64)((i64)direct >> 63));
        }

        static u64 from_signed(i64 v, int fraction, int exponent_bits) {
            return round_pack(v < 0, 0, v < 0 ? -(u64)v : (u64)v, fraction, exponent_bits);
        }

        static u64 extend_bits(u32 f) {
            bool sign = f >> 31;
            u32 field = (f >> 23) & 0xFF, fraction = f & 0x7FFFFF;
            if (field == 0xFF) return (u64)sign << 63 | EXPONENT_MASK | (fraction ? QUIET_BIT | (u64)fraction << 29 : 0);
            if (field == 0) return pack_double(sign, -126 - 23, fraction);
            return pack_double(sign, (int)field - 127 - 23, fraction | 1u << 23);
        }

        static u32 truncate_bits(u64 b) {
            struct unpacked u = unpack(b);
            u32 sign = (u32)u.sign << 31;
            if (u.kind == NOT_A_NUMBER) return sign | 0x7FC00000u | (u32)(u.significand >> 29);
            if (u.kind == INFINITE) return sign | 0x7F800000u;
            return (u32)round_pack(u.sign, u.exponent, u.significand, 23, 8);
        }

        /* The entry points clang calls, for double (df) and float (sf). A float is widened to double
         * (exactly) and a result rounded once back to float. */

        static inline u64 double_bits(double a) { return bits_of(a); }
        static inline double as_double(u64 b) { return double_of(b); }
        static inline u64 float_bits(float a) { return extend_bits(bits_of_float(a)); }
        static inline float as_float(u64 b) { return float_of(truncate_bits(b)); }
        static inline u64 negate(u64 b) { return is_nan(b) ? b : b ^ SIGN_BIT; }

        #define ENTRY_POINTS(suffix, type, widen, narrow) \
            type __add##suffix##3(type a, type b) { return narrow(add_bits(widen(a), widen(b))); } \
            type __sub##suffix##3(type a, type b) { return narrow(add_bits(widen(a), negate(widen(b)))); } \
            type __mul##suffix##3(type a, type b) { return narrow(mul_bits(widen(a), widen(b))); } \
            type __div##suffix##3(type a, type b) { return narrow(div_bits(widen(a), widen(b))); } \
            int __eq##suffix##2(type a, type b) { return compare_bits(widen(a), widen(b), 1); } \
            int __ne##suffix##2(type a, type b) { return compare_bits(widen(a), widen(b), 1); } \
            int __lt##suffix##2(type a, type b) { return compare_bits(widen(a), widen(b), 1); } \
            int __le##suffix##2(type a, type b) { return compare_bits(widen(a), widen(b), 1); } \
            int __gt##suffix##2(type a, type b) { return compare_bits(widen(a), widen(b), -1); } \
            int __ge##suffix##2(type a, type b) { return compare_bits(widen(a), widen(b), -1); } \
            int __unord##suffix##2(type a, type b) { return is_nan(widen(a)) || is_nan(widen(b)); } \
            int __fix##suffix##si(type a) { return (int)to_signed(widen(a), 32); } \
            i64 __fix##suffix##di(type a) { return to_signed(widen(a), 64); } \
            unsigned __fixuns##suffix##si(type a) { return (unsigned)to_signed(widen(a), 64); } \
            u64 __fixuns##suffix##di(type a) { return to_unsigned(widen(a)); } \
            /* Integers are rounded once, straight to the format (not through double for float). */ \
            type __floatsi##suffix(int v) { return narrow##_of_bits(from_signed(v, FRACTION_##suffix, EXPONENT_##suffix)); } \
            type __floatdi##suffix(i64 v) { return narrow##_of_bits(from_signed(v, FRACTION_##suffix, EXPONENT_##suffix)); } \
            type __floatunsi##suffix(unsigned v) { return narrow##_of_bits(round_pack(false, 0, v, FRACTION_##suffix, EXPONENT_##suffix)); } \
            type __floatundi##suffix(u64 v) { return narrow##_of_bits(round_pack(false, 0, v, FRACTION_##suffix, EXPONENT_##suffix)); } \
            /* __builtin_powi: repeated squaring, as compiler-rt does it. */ \
            type __powi##suffix##2(type a, int b) { \
                bool reciprocal = b < 0; \
                type r = 1; \
                for (;;) { \
                    if (b & 1) r *= a; \
                    b /= 2; \
                    if (b == 0) break; \
                    a *= a; \
                } \
                return reciprocal ? 1 / r : r; \
            }

        #define FRACTION_df 52
        #define EXPONENT_df 11
        #define FRACTION_sf 23
        #define EXPONENT_sf 8
        static inline double as_double_of_bits(u64 b) { return double_of(b); }
        static inline float as_float_of_bits(u64 b) { return float_of((u32)b); }

        ENTRY_POINTS(df, double, double_bits, as_double)
        ENTRY_POINTS(sf, float, float_bits, as_float)

        double __negdf2(double a) { return double_of(bits_of(a) ^ SIGN_BIT); }
        float __negsf2(float a) { return float_of(bits_of_float(a) ^ 0x80000000u); }
        double __extendsfdf2(float a) { return double_of(extend_bits(bits_of_float(a))); }
        float __truncdfsf2(double a) { return float_of(truncate_bits(bits_of(a))); }
        """#
}
