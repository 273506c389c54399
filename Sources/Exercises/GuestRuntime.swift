/// The guest runtime for C exercises, kept in the program so a build needs nothing but the binary and
/// the Swift toolchain. Written to the cache folder (`runtime/<hash>/`) when C guests are built; its
/// hash is part of every C exercise's key, so editing it reruns them all.
public enum GuestRuntime {
    /// Every flag C guests are compiled with (part of the key too).
    public static let compileFlags = [
        "--target=x86_64-unknown-none-elf", "-ffreestanding", "-nostdlib", "-nostdlibinc", "-mno-red-zone", "-fno-pic",
        "-O2", "-g", "-fno-stack-protector", "-fno-asynchronous-unwind-tables", "-fno-unwind-tables", "-std=gnu11",
        "-Wall", "-fno-caret-diagnostics", "-fno-color-diagnostics",
    ]
    public static let linkFlags = ["-nostdlib", "-static", "--build-id=none", "--no-dynamic-linker"]

    /// SHA-256 over the three files and the flags.
    public static let hash: String = SHA256.hash(
        [header, source, linkerScript, compileFlags.joined(separator: " "), linkFlags.joined(separator: " ")].joined(separator: "\u{0}"))

    /// `hypercourse.h`, the header C exercises include.
    public static let header = #"""
/* hypercourse.h: the guest runtime for C exercises (long and user mode).
 *
 * Output goes to COM1 (one port write, so one VM exit, per character); the run ends through the
 * exit port 0xF4 with main's return value as the status. Nothing here executes a privileged
 * instruction, so the same program runs at ring 0 (mode=long) and ring 3 (mode=user).
 * See docs/exercises.md ("C exercises") and docs/guest-machine.md. */
#ifndef HYPERCOURSE_H
#define HYPERCOURSE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* COM1 output. putchar writes one byte; puts writes the string and a newline. */
int putchar(int c);
int puts(const char *s);
/* printf: %d %i %u %x %X %o %c %s %p %%, length modifiers hh h l ll z j t, flags - 0 + space,
 * field width and precision (numbers or *). Returns the number of characters written. */
int printf(const char *format, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *format, va_list args);

/* Ends the run with `status & 0xFF` through the exit port (returning from main does the same). */
void exit(int status) __attribute__((noreturn));

/* Writes `len` bytes with the paravirtual console (port 0x500): one VM exit per 4 KiB block instead
 * of one per byte. Returns the console's status: 0 OK, 1 outside RAM, 2 length overflow,
 * 3 over the output limit, 4 bad access size, 5 no request (the first non-zero status if any). */
uint32_t pv_write(const void *buf, uint32_t len);

/* Memory functions the compiler may call on its own (struct copies, array initialisers). */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

/* Port I/O: the port first, then the value. Each access is one VM exit. */
static inline void outb(uint16_t port, uint8_t value) { __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t value) { __asm__ volatile("outw %0, %1" : : "a"(value), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t value) { __asm__ volatile("outl %0, %1" : : "a"(value), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint16_t inw(uint16_t port) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

/* The time-stamp counter. Its value differs on every run: print it and the result is not deterministic. */
static inline uint64_t rdtsc(void) {
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/* CPUID with a leaf and a subleaf (ECX); results through the four pointers. */
static inline void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d) {
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(subleaf));
}

int main(void);

#endif
"""#

    /// `runtime.c`: entry stub, COM1 output, printf, exit, the paravirtual console, memory functions.
    public static let source = #"""
/* The guest runtime for C exercises: entry stub, COM1 output, printf, exit, paravirtual console.
 * Built freestanding by the Swift toolchain's clang and linked first at 0x100000 (see link.ld). */
#include "hypercourse.h"

#define COM1_THR 0x3F8
#define EXIT_PORT 0xF4
#define PV_CONSOLE 0x500

/* The entry point, placed first in the image: align the stack the way the ABI wants it at a call,
 * run main, and hand its return value to exit. */
__asm__(
    ".section .text.start, \"ax\", @progbits\n"
    ".globl _start\n"
    "_start:\n"
    "    andq $-16, %rsp\n"
    "    xorl %ebp, %ebp\n"
    "    call main\n"
    "    movl %eax, %edi\n"
    "    call exit\n"
    "1:  jmp 1b\n"
    ".previous\n");

void exit(int status) {
    outb(EXIT_PORT, (uint8_t)status);
    /* The exit port ends the run; never hlt here (it is privileged in user mode). */
    for (;;) __asm__ volatile("pause");
}

int putchar(int c) {
    outb(COM1_THR, (uint8_t)c);
    return (uint8_t)c;
}

int puts(const char *s) {
    while (*s) putchar(*s++);
    putchar('\n');
    return 0;
}

size_t strlen(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

void *memcpy(void *dst, const void *src, size_t n) {
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--) *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d < s) {
        while (n--) *d++ = *s++;
    } else {
        while (n--) d[n] = s[n];
    }
    return dst;
}

void *memset(void *dst, int c, size_t n) {
    unsigned char *d = dst;
    while (n--) *d++ = (unsigned char)c;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
    const unsigned char *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y) return *x - *y;
    return 0;
}

static struct {
    uint32_t length;
    uint8_t bytes[4096];
} pv_block __attribute__((aligned(16)));

uint32_t pv_write(const void *buf, uint32_t len) {
    const uint8_t *p = buf;
    uint32_t first_error = 0;
    do {
        uint32_t n = len > sizeof pv_block.bytes ? (uint32_t)sizeof pv_block.bytes : len;
        memcpy(pv_block.bytes, p, n);
        pv_block.length = n;
        /* Identity-mapped tables: the block's virtual address is its guest-physical address. */
        outl(PV_CONSOLE, (uint32_t)(uintptr_t)&pv_block);
        uint32_t status = inl(PV_CONSOLE);
        if (status != 0 && first_error == 0) first_error = status;
        p += n;
        len -= n;
    } while (len > 0);
    return first_error;
}

/* printf */

struct spec {
    bool left, zero, plus, space;
    int width, precision; /* precision -1: none */
};

static int pad(int count, char c) {
    for (int i = 0; i < count; i++) putchar(c);
    return count > 0 ? count : 0;
}

static int emit_string(const char *s, struct spec *sp) {
    if (!s) s = "(null)";
    int len = 0;
    while (s[len] && (sp->precision < 0 || len < sp->precision)) len++;
    int written = 0;
    if (!sp->left) written += pad(sp->width - len, ' ');
    for (int i = 0; i < len; i++) putchar(s[i]);
    written += len;
    if (sp->left) written += pad(sp->width - written, ' ');
    return written;
}

static int emit_number(uint64_t value, bool negative, unsigned base, bool upper, const char *prefix, struct spec *sp) {
    char digits[24];
    int n = 0;
    const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    do {
        digits[n++] = set[value % base];
        value /= base;
    } while (value);
    if (sp->precision == 0 && n == 1 && digits[0] == '0') n = 0;
    int zeros = sp->precision > n ? sp->precision - n : 0;
    char sign = negative ? '-' : sp->plus ? '+' : sp->space ? ' ' : 0;
    int prefix_len = prefix ? (int)strlen(prefix) : 0;
    int body = n + zeros + (sign ? 1 : 0) + prefix_len;
    int written = 0;
    if (!sp->left && !(sp->zero && sp->precision < 0)) written += pad(sp->width - body, ' ');
    if (sign) putchar(sign);
    for (int i = 0; i < prefix_len; i++) putchar(prefix[i]);
    if (!sp->left && sp->zero && sp->precision < 0) written += pad(sp->width - body, '0');
    written += pad(zeros, '0');
    while (n) putchar(digits[--n]);
    written += body - zeros;
    if (sp->left) written += pad(sp->width - written, ' ');
    return written;
}

int vprintf(const char *format, va_list args) {
    int written = 0;
    for (const char *f = format; *f; f++) {
        if (*f != '%') {
            putchar(*f);
            written++;
            continue;
        }
        const char *start = f++;
        struct spec sp = {false, false, false, false, 0, -1};
        for (;; f++) {
            if (*f == '-') sp.left = true;
            else if (*f == '0') sp.zero = true;
            else if (*f == '+') sp.plus = true;
            else if (*f == ' ') sp.space = true;
            else break;
        }
        if (*f == '*') {
            sp.width = va_arg(args, int);
            if (sp.width < 0) { sp.left = true; sp.width = -sp.width; }
            f++;
        } else {
            while (*f >= '0' && *f <= '9') sp.width = sp.width * 10 + (*f++ - '0');
        }
        if (*f == '.') {
            f++;
            sp.precision = 0;
            if (*f == '*') {
                sp.precision = va_arg(args, int);
                f++;
            } else {
                while (*f >= '0' && *f <= '9') sp.precision = sp.precision * 10 + (*f++ - '0');
            }
        }
        int size = 0; /* -2 hh, -1 h, 0 int, 1 long, 2 long long */
        if (*f == 'h') { size = -1; f++; if (*f == 'h') { size = -2; f++; } }
        else if (*f == 'l') { size = 1; f++; if (*f == 'l') { size = 2; f++; } }
        else if (*f == 'z' || *f == 'j' || *f == 't') { size = 2; f++; }
        switch (*f) {
        case 'd': case 'i': {
            int64_t v = size >= 1 ? (size == 2 ? va_arg(args, long long) : va_arg(args, long)) : va_arg(args, int);
            if (size == -1) v = (short)v;
            if (size == -2) v = (signed char)v;
            uint64_t magnitude = v < 0 ? -(uint64_t)v : (uint64_t)v;
            written += emit_number(magnitude, v < 0, 10, false, 0, &sp);
            break;
        }
        case 'u': case 'x': case 'X': case 'o': {
            uint64_t v = size >= 1 ? (size == 2 ? va_arg(args, unsigned long long) : va_arg(args, unsigned long)) : va_arg(args, unsigned);
            if (size == -1) v = (unsigned short)v;
            if (size == -2) v = (unsigned char)v;
            unsigned base = *f == 'u' ? 10 : *f == 'o' ? 8 : 16;
            sp.plus = sp.space = false;
            written += emit_number(v, false, base, *f == 'X', 0, &sp);
            break;
        }
        case 'p': {
            uintptr_t v = (uintptr_t)va_arg(args, void *);
            sp.plus = sp.space = false;
            written += emit_number(v, false, 16, false, "0x", &sp);
            break;
        }
        case 'c': {
            char c[2] = {(char)va_arg(args, int), 0};
            sp.precision = -1;
            if (c[0] == 0) { /* a NUL character is still one character */
                if (!sp.left) written += pad(sp.width - 1, ' ');
                putchar(0);
                written++;
                if (sp.left) written += pad(sp.width - 1, ' ');
            } else {
                written += emit_string(c, &sp);
            }
            break;
        }
        case 's':
            written += emit_string(va_arg(args, const char *), &sp);
            break;
        case '%':
            putchar('%');
            written++;
            break;
        default: /* not a conversion we know: print it as written */
            for (const char *p = start; p <= f && *p; p++, written++) putchar(*p);
            if (!*f) return written;
            break;
        }
    }
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

    /// `link.ld`: the entry stub first, at 0x100000.
    public static let linkerScript = #"""
/* C guests: the entry stub first, at the load address of the long and user modes (1 MiB). */
ENTRY(_start)
SECTIONS
{
    . = 0x100000;
    .text : { KEEP(*(.text.start)) *(.text .text.*) }
    .rodata : ALIGN(16) { *(.rodata .rodata.*) }
    .data : ALIGN(16) { *(.data .data.*) }
    .bss : ALIGN(16) { *(.bss .bss.*) *(COMMON) }
    /DISCARD/ : { *(.eh_frame*) *(.note*) *(.comment) }
}
"""#
}
