extension GuestRuntime {
    /// `hypercourse-printf.h`: what printf.c and printf_float.c share.
    static let printfHeader = #"""
        /* Shared by printf.c and printf_float.c (not for guests). */
        #ifndef HYPERCOURSE_PRINTF_H
        #define HYPERCOURSE_PRINTF_H
        #include "hypercourse.h"

        /* One conversion specification: %[flags][width][.precision][length]conversion. */
        struct spec {
            bool left, plus, space, alt, zero;
            int width, precision; /* precision -1: none given */
            int size;             /* argument size in bytes for integer conversions; 0 for the default */
            bool wide;            /* %lc, %ls */
            char conversion;
        };

        int hc_pad(int count, char c);
        /* %f %F %e %E %g %G, and %a %A, of a double's bits; the number of characters written. */
        int hc_emit_decimal(uint64_t bits, const struct spec *sp);
        int hc_emit_hex_float(uint64_t bits, const struct spec *sp);

        #endif
        """#

    /// `printf.c`: printf and vprintf, the integer, character and string conversions.
    static let printf = #"""
        /* printf for C guests: every conversion clang's format checking accepts for this target (a test
         * checks), so a format the guest compiles with is printed as C specifies it. Floating point is in
         * printf_float.c. */
        #include "hypercourse-printf.h"

        int hc_pad(int count, char c) {
            for (int i = 0; i < count; i++) putchar(c);
            return count > 0 ? count : 0;
        }

        static int emit(const char *s, int n) {
            for (int i = 0; i < n; i++) putchar(s[i]);
            return n;
        }

        /* Reads flags, width, precision and length; returns the conversion character's address. */
        static const char *parse(const char *f, struct spec *sp, va_list *args) {
            *sp = (struct spec){false, false, false, false, false, 0, -1, 0, false, 0};
            for (;; f++) {
                if (*f == '-') sp->left = true;
                else if (*f == '+') sp->plus = true;
                else if (*f == ' ') sp->space = true;
                else if (*f == '#') sp->alt = true;
                else if (*f == '0') sp->zero = true;
                else if (*f != '\'') break; /* grouping: the C locale has no thousands separator */
            }
            if (*f == '*') {
                sp->width = va_arg(*args, int);
                if (sp->width < 0) {
                    sp->left = true;
                    sp->width = -sp->width;
                }
                f++;
            } else {
                while (*f >= '0' && *f <= '9') sp->width = sp->width * 10 + (*f++ - '0');
            }
            if (*f == '.') {
                f++;
                sp->precision = 0;
                if (*f == '*') {
                    sp->precision = va_arg(*args, int);
                    if (sp->precision < 0) sp->precision = -1; /* a negative precision is taken as none */
                    f++;
                } else {
                    while (*f >= '0' && *f <= '9') sp->precision = sp->precision * 10 + (*f++ - '0');
                }
            }
            if (*f == 'h') {
                sp->size = f[1] == 'h' ? 1 : 2;
                f += sp->size == 1 ? 2 : 1;
            } else if (*f == 'l') {
                sp->size = 8;
                sp->wide = true;
                f += f[1] == 'l' ? 2 : 1;
            } else if (*f == 'j' || *f == 'z' || *f == 't') {
                sp->size = 8;
                f++;
            } else if (*f == 'L') {
                f++;
            } else if (*f == 'q' || *f == 'w' || *f == 'I') { /* BSD and Microsoft: clang lets them through with %m */
                sp->size = *f == 'I' && f[1] == '3' && f[2] == '2' ? 4 : 8;
                sp->wide = *f == 'w';
                f += *f == 'I' && (f[1] == '3' || f[1] == '6') && (f[2] == '2' || f[2] == '4') ? 3 : 1;
            }
            sp->conversion = *f;
            return f;
        }

        /* Integers */

        static uint64_t take_unsigned(int size, va_list *args) {
            if (size == 8) return va_arg(*args, unsigned long long);
            unsigned v = va_arg(*args, unsigned);
            return size == 1 ? (unsigned char)v : size == 2 ? (unsigned short)v : v;
        }

        static int64_t take_signed(int size, va_list *args) {
            if (size == 8) return va_arg(*args, long long);
            int v = va_arg(*args, int);
            return size == 1 ? (signed char)v : size == 2 ? (short)v : v;
        }

        static int emit_integer(uint64_t value, bool negative, struct spec *sp) {
            char c = sp->conversion;
            unsigned base = c == 'o' ? 8 : c == 'x' || c == 'X' || c == 'p' ? 16 : c == 'b' || c == 'B' ? 2 : 10;
            const char *set = c == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
            char digits[64];
            int n = 0;
            for (uint64_t v = value; v; v /= base) digits[n++] = set[v % base];
            int precision = sp->precision < 0 ? 1 : sp->precision;
            const char *prefix = "";
            if (c == 'p') prefix = "0x";
            else if (sp->alt && value && (c == 'x' || c == 'X' || c == 'b' || c == 'B')) prefix = c == 'x' ? "0x" : c == 'X' ? "0X" : c == 'b' ? "0b" : "0B";
            else if (sp->alt && c == 'o' && precision <= n) precision = n + 1; /* the first digit is a 0 */
            int zeros = precision > n ? precision - n : 0;
            char sign = negative ? '-' : (c == 'd' || c == 'i') && sp->plus ? '+' : (c == 'd' || c == 'i') && sp->space ? ' ' : 0;
            int body = (sign ? 1 : 0) + (int)strlen(prefix) + zeros + n;
            if (sp->zero && !sp->left && sp->precision < 0 && sp->width > body) {
                zeros += sp->width - body;
                body = sp->width;
            }
            int written = sp->left ? 0 : hc_pad(sp->width - body, ' ');
            if (sign) putchar(sign);
            written += (sign ? 1 : 0) + emit(prefix, (int)strlen(prefix)) + hc_pad(zeros, '0');
            while (n) putchar(digits[--n]), written++;
            return written + (sp->left ? hc_pad(sp->width - body, ' ') : 0);
        }

        /* Characters and strings */

        static int emit_padded(const char *s, int n, struct spec *sp) {
            int written = sp->left ? 0 : hc_pad(sp->width - n, ' ');
            written += emit(s, n);
            return written + (sp->left ? hc_pad(sp->width - n, ' ') : 0);
        }

        /* UTF-8 for one code point; an invalid one (a surrogate, above U+10FFFF) as U+FFFD. */
        static int utf8(uint32_t c, char *out) {
            if (c < 0x80) return out[0] = (char)c, 1;
            if (c < 0x800) return out[0] = (char)(0xC0 | c >> 6), out[1] = (char)(0x80 | (c & 0x3F)), 2;
            if ((c >= 0xD800 && c < 0xE000) || c > 0x10FFFF) c = 0xFFFD;
            if (c < 0x10000) {
                out[0] = (char)(0xE0 | c >> 12);
                out[1] = (char)(0x80 | (c >> 6 & 0x3F));
                out[2] = (char)(0x80 | (c & 0x3F));
                return 3;
            }
            out[0] = (char)(0xF0 | c >> 18);
            out[1] = (char)(0x80 | (c >> 12 & 0x3F));
            out[2] = (char)(0x80 | (c >> 6 & 0x3F));
            out[3] = (char)(0x80 | (c & 0x3F));
            return 4;
        }

        /* %ls: the wide string as UTF-8; the precision counts bytes and never splits a character. */
        static int emit_wide_string(const int *s, struct spec *sp) {
            static const int null[] = {'(', 'n', 'u', 'l', 'l', ')', 0};
            if (!s) s = null;
            char buffer[4];
            int bytes = 0;
            for (const int *p = s; *p; p++) {
                int n = utf8((uint32_t)*p, buffer);
                if (sp->precision >= 0 && bytes + n > sp->precision) break;
                bytes += n;
            }
            int written = sp->left ? 0 : hc_pad(sp->width - bytes, ' ');
            for (int done = 0; done < bytes; s++) done += emit(buffer, utf8((uint32_t)*s, buffer));
            return written + bytes + (sp->left ? hc_pad(sp->width - bytes, ' ') : 0);
        }

        /* One conversion; `written` so far is what %n stores. */
        static int convert(struct spec *sp, va_list *args, int written) {
            switch (sp->conversion) {
            case 'd': case 'i': {
                int64_t v = take_signed(sp->size, args);
                return emit_integer(v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0, sp);
            }
            case 'u': case 'o': case 'x': case 'X': case 'b': case 'B':
                return emit_integer(take_unsigned(sp->size, args), false, sp);
            case 'p':
                return emit_integer((uintptr_t)va_arg(*args, void *), false, sp);
            case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': case 'a': case 'A': {
                double value = va_arg(*args, double);
                uint64_t bits;
                memcpy(&bits, &value, sizeof bits);
                return (sp->conversion | 32) == 'a' ? hc_emit_hex_float(bits, sp) : hc_emit_decimal(bits, sp);
            }
            case 'c': {
                char buffer[4];
                int c = va_arg(*args, int);
                if (!sp->wide) {
                    buffer[0] = (char)c;
                    return emit_padded(buffer, 1, sp);
                }
                return emit_padded(buffer, utf8((uint32_t)c, buffer), sp);
            }
            case 's': {
                if (sp->wide) return emit_wide_string(va_arg(*args, const int *), sp);
                const char *s = va_arg(*args, const char *);
                if (!s) s = "(null)";
                int n = 0;
                while (s[n] && (sp->precision < 0 || n < sp->precision)) n++;
                return emit_padded(s, n, sp);
            }
            case 'n': {
                void *p = va_arg(*args, void *);
                if (sp->size == 1) *(signed char *)p = (signed char)written;
                else if (sp->size == 2) *(short *)p = (short)written;
                else if (sp->size == 8) *(long long *)p = written;
                else *(int *)p = written;
                return 0;
            }
            case 'm': /* the message for errno, which nothing in this runtime sets */
                return emit_padded("Success", 7, sp);
            default: /* '%' */
                putchar('%');
                return 1;
            }
        }

        static bool is_conversion(char c) {
            for (const char *k = "diuoxXbBpfFeEgGaAcsnm%"; *k; k++)
                if (*k == c) return true;
            return false;
        }

        int vprintf(const char *format, va_list args) {
            va_list ap;
            va_copy(ap, args);
            int written = 0;
            for (const char *f = format; *f; f++) {
                if (*f != '%') {
                    putchar(*f);
                    written++;
                    continue;
                }
                const char *start = f;
                struct spec sp;
                f = parse(f + 1, &sp, &ap);
                if (!is_conversion(*f)) {
                    /* Not a conversion (clang's format check refuses these at compile time): as written. */
                    for (const char *p = start; p <= f && *p; p++, written++) putchar(*p);
                    if (!*f) break;
                    continue;
                }
                written += convert(&sp, &ap, written);
            }
            va_end(ap);
            return written;
        }

        int printf(const char *format, ...) {
            va_list args;
            va_start(args, format);
            int written = vprintf(format, args);
            va_end(args);
            return written;
        }
        """#
}
