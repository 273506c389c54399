extension GuestRuntime {
    /// `printf_float.c`: printf's floating-point conversions.
    static let printfFloat = #"""
        /* printf's floating-point conversions. A double's decimal expansion is finite, so it is computed
         * exactly with integer arithmetic and rounded to nearest, ties to even, as glibc does; no
         * floating-point instruction or soft-float call is made. */
        #include "hypercourse-printf.h"

        /* Floating point: the exact decimal expansion */

        /* value = 0.digit[0] digit[1] ... digit[count-1] × 10^point, without trailing zeros; zero has no
         * digits. A double needs at most 767 significant digits (the smallest subnormal). */
        struct decimal {
            char digit[770];
            int count, point;
        };

        static char digit_at(const struct decimal *d, int i) { return i >= 0 && i < d->count ? d->digit[i] : '0'; }

        static void strip_zeros(struct decimal *d) {
            while (d->count > 0 && d->digit[d->count - 1] == '0') d->count--;
        }

        /* Multiplies a little-endian base-10^9 number by `factor` (below 2^31); returns its new length. */
        static int multiply(uint32_t *limb, int n, uint32_t factor) {
            uint64_t carry = 0;
            for (int i = 0; i < n; i++) {
                uint64_t t = (uint64_t)limb[i] * factor + carry;
                limb[i] = (uint32_t)(t % 1000000000u);
                carry = t / 1000000000u;
            }
            while (carry) {
                limb[n++] = (uint32_t)(carry % 1000000000u);
                carry /= 1000000000u;
            }
            return n;
        }

        /* The digits of significand × 2^exponent: significand × 2^e as an integer when e ≥ 0, else
         * significand × 5^-e, an integer, times 10^e. */
        static void decimal_of(uint64_t significand, int exponent, struct decimal *d) {
            uint32_t limb[90];
            int n = 0;
            d->count = 0;
            d->point = 1;
            if (!significand) return;
            for (uint64_t m = significand; m; m /= 1000000000u) limb[n++] = (uint32_t)(m % 1000000000u);
            for (int e = exponent; e > 0; e -= 29) n = multiply(limb, n, 1u << (e > 29 ? 29 : e));
            static const uint32_t fives[14] = {1, 5, 25, 125, 625, 3125, 15625, 78125, 390625, 1953125, 9765625, 48828125,
                                               244140625, 1220703125};
            for (int e = -exponent; e > 0; e -= 13) n = multiply(limb, n, fives[e > 13 ? 13 : e]);
            for (int i = n - 1; i >= 0; i--) {
                char nine[9];
                uint32_t v = limb[i];
                for (int k = 8; k >= 0; k--, v /= 10) nine[k] = (char)('0' + v % 10);
                int skip = 0;
                if (i == n - 1) while (skip < 8 && nine[skip] == '0') skip++;
                for (int k = skip; k < 9; k++) d->digit[d->count++] = nine[k];
            }
            d->point = d->count + (exponent < 0 ? exponent : 0);
            strip_zeros(d);
        }

        /* Keeps the first `keep` digits, rounding to nearest, ties to even (exact: the digits are). */
        static void round_decimal(struct decimal *d, int keep) {
            if (keep >= d->count) return;
            if (keep < 0) {
                d->count = 0;
                return;
            }
            char next = d->digit[keep];
            bool odd = keep > 0 && (d->digit[keep - 1] - '0') % 2 == 1;
            bool up = next > '5' || (next == '5' && (keep + 1 < d->count || odd));
            d->count = keep;
            if (up) {
                int i = keep - 1;
                while (i >= 0 && d->digit[i] == '9') i--;
                if (i < 0) {
                    d->digit[0] = '1';
                    d->count = 1;
                    d->point++;
                } else {
                    d->digit[i]++;
                    d->count = i + 1;
                }
            }
            strip_zeros(d);
        }

        /* Pads and signs a floating-point body of `length` characters that `body` prints. */
        struct float_body {
            const struct decimal *d;
            char style;          /* 'f', 'e', or 0 for a fixed text (inf, nan) */
            int precision;       /* digits after the point */
            bool point;          /* print the decimal point */
            bool upper;
            const char *text;
        };

        static int exponent_length(int x) { return x <= -100 || x >= 100 ? 5 : 4; }

        static int body_length(const struct float_body *b) {
            if (!b->style) return (int)strlen(b->text);
            int fraction = (b->point ? 1 : 0) + b->precision;
            if (b->style == 'f') return (b->d->point > 0 ? b->d->point : 1) + fraction;
            return 1 + fraction + exponent_length(b->d->point - 1);
        }

        static void print_body(const struct float_body *b) {
            const struct decimal *d = b->d;
            if (!b->style) {
                for (const char *t = b->text; *t; t++) putchar(b->upper && *t >= 'a' ? *t - 32 : *t);
                return;
            }
            if (b->style == 'f') {
                if (d->point <= 0) putchar('0');
                for (int i = 0; i < d->point; i++) putchar(digit_at(d, i));
                if (b->point) putchar('.');
                for (int i = 0; i < b->precision; i++) putchar(digit_at(d, d->point + i));
                return;
            }
            putchar(digit_at(d, 0));
            if (b->point) putchar('.');
            for (int i = 1; i <= b->precision; i++) putchar(digit_at(d, i));
            int x = d->count ? d->point - 1 : 0;
            putchar(b->upper ? 'E' : 'e');
            putchar(x < 0 ? '-' : '+');
            unsigned magnitude = x < 0 ? -x : x;
            if (magnitude >= 100) putchar('0' + magnitude / 100);
            putchar('0' + magnitude / 10 % 10);
            putchar('0' + magnitude % 10);
        }

        static int emit_float_field(const struct float_body *b, bool negative, const struct spec *sp) {
            char sign = negative ? '-' : sp->plus ? '+' : sp->space ? ' ' : 0;
            int length = body_length(b) + (sign ? 1 : 0);
            bool zeros = sp->zero && !sp->left && b->style;
            int written = !sp->left && !zeros ? hc_pad(sp->width - length, ' ') : 0;
            if (sign) putchar(sign);
            if (zeros) written += hc_pad(sp->width - length, '0');
            print_body(b);
            written += length;
            return written + (sp->left ? hc_pad(sp->width - length, ' ') : 0);
        }

        /* %f %F %e %E %g %G */
        int hc_emit_decimal(uint64_t bits, const struct spec *sp) {
            bool negative = bits >> 63, upper = sp->conversion <= 'Z';
            int field = (int)(bits >> 52 & 0x7FF);
            uint64_t fraction = bits & ((1ull << 52) - 1);
            struct decimal d;
            struct float_body b = {&d, 0, 0, false, upper, 0};
            if (field == 0x7FF) {
                b.text = fraction ? "nan" : "inf";
                return emit_float_field(&b, negative, sp);
            }
            decimal_of(field ? fraction | 1ull << 52 : fraction, (field ? field : 1) - 1075, &d);
            int precision = sp->precision < 0 ? 6 : sp->precision;
            char style = sp->conversion | 32; /* lower case */
            if (style == 'g') {
                int significant = precision ? precision : 1;
                round_decimal(&d, significant);
                int x = d.count ? d.point - 1 : 0;
                style = significant > x && x >= -4 ? 'f' : 'e';
                precision = style == 'f' ? significant - 1 - x : significant - 1;
                if (!sp->alt) { /* no trailing zeros */
                    int shown = style == 'f' ? d.count - 1 - x : d.count - 1;
                    precision = shown < 0 ? 0 : shown < precision ? shown : precision;
                }
            } else {
                round_decimal(&d, style == 'f' ? d.point + precision : precision + 1);
            }
            b.style = style;
            b.precision = precision;
            b.point = precision > 0 || sp->alt;
            return emit_float_field(&b, negative, sp);
        }

        /* %a %A: hexadecimal, 0x1.hhhp±d (0x0.hhhp-1022 for subnormals); without a precision, exactly. */
        int hc_emit_hex_float(uint64_t bits, const struct spec *sp) {
            bool negative = bits >> 63, upper = sp->conversion == 'A';
            int field = (int)(bits >> 52 & 0x7FF);
            uint64_t fraction = bits & ((1ull << 52) - 1);
            if (field == 0x7FF) {
                struct float_body b = {0, 0, 0, false, upper, fraction ? "nan" : "inf"};
                return emit_float_field(&b, negative, sp);
            }
            unsigned lead = field ? 1 : 0;
            int exponent = field ? field - 1023 : fraction ? -1022 : 0;
            int digits = 13;
            if (sp->precision < 0) {
                while (digits > 0 && !(fraction >> (52 - 4 * digits) & 0xF)) digits--;
            } else if (sp->precision < 13) {
                int drop = 4 * (13 - sp->precision);
                uint64_t rest = fraction & ((1ull << drop) - 1), half = 1ull << (drop - 1);
                fraction >>= drop;
                uint64_t last = sp->precision ? fraction : lead; /* the last digit kept, for ties to even */
                if (rest > half || (rest == half && (last & 1))) fraction++;
                if (fraction >> (4 * sp->precision)) { /* carried into the leading digit */
                    lead++;
                    fraction &= (1ull << (4 * sp->precision)) - 1;
                }
                fraction <<= drop;
                digits = sp->precision;
            } else {
                digits = sp->precision;
            }
            const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
            char sign = negative ? '-' : sp->plus ? '+' : sp->space ? ' ' : 0;
            char exponent_text[8];
            int e = 0;
            unsigned magnitude = exponent < 0 ? -exponent : exponent;
            do exponent_text[e++] = (char)('0' + magnitude % 10); while (magnitude /= 10);
            bool point = digits > 0 || sp->alt;
            int length = (sign ? 1 : 0) + 3 + (point ? 1 : 0) + digits + 2 + e;
            int written = !sp->left && !sp->zero ? hc_pad(sp->width - length, ' ') : 0;
            if (sign) putchar(sign);
            putchar('0');
            putchar(upper ? 'X' : 'x');
            if (sp->zero && !sp->left) written += hc_pad(sp->width - length, '0');
            putchar(set[lead]);
            if (point) putchar('.');
            for (int i = 0; i < digits; i++) putchar(i < 13 ? set[fraction >> (48 - 4 * i) & 0xF] : '0');
            putchar(upper ? 'P' : 'p');
            putchar(exponent < 0 ? '-' : '+');
            while (e) putchar(exponent_text[--e]);
            return written + length + (sp->left ? hc_pad(sp->width - length, ' ') : 0);
        }

        """#
}
