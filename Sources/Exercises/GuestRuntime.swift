import Common
import Foundation

/// The guest runtime for C exercises, kept in the program so a build needs nothing but the binary and
/// the Swift toolchain. Written to the cache folder (`runtime/<hash>/`) when C guests are built; its
/// hash is part of every C exercise's key, so editing it reruns them all.
public enum GuestRuntime {
    /// Every flag C guests are compiled with (part of the key too).
    ///
    /// `-mgeneral-regs-only`: no SSE, MMX or x87 instruction, since ring 0 may run in KVM's
    /// instruction emulator (PVM hosts), which has none of them; clang then calls `softfloat.c` for
    /// floating point. User mode is built the same way, so a guest gives the same bytes in every mode
    /// on every host. `-Werror=format`, `-Werror=format-non-iso`: a printf format the runtime cannot
    /// print as written, or an argument of the wrong type, is a compile error at its line.
    public static let compileFlags = [
        "--target=x86_64-unknown-none-elf", "-ffreestanding", "-nostdlib", "-nostdlibinc", "-mno-red-zone", "-fno-pic",
        "-mgeneral-regs-only",
        "-O2", "-g", "-fno-stack-protector", "-fno-asynchronous-unwind-tables", "-fno-unwind-tables", "-std=gnu11",
        "-Wall", "-Werror=format", "-Werror=format-non-iso", "-fno-caret-diagnostics", "-fno-color-diagnostics"
    ]
    public static let linkFlags = ["-nostdlib", "-static", "--build-id=none", "--no-dynamic-linker"]

    /// Every file of the runtime folder; each `.c` is compiled to the `.o` of the same name.
    static let files: [(name: String, text: String)] = [
        ("hypercourse.h", header), ("hypercourse-printf.h", printfHeader), ("link.ld", linkerScript),
        ("runtime.c", source), ("printf.c", printf), ("printf_float.c", printfFloat), ("softfloat.c", softFloat)
    ]
    /// Linked into every guest: the entry stub, output, exit, memory functions.
    static let objects = ["runtime.o"]
    /// Linked as a library (ld.lld's `--start-lib`): only into a guest that uses what they define, so
    /// a guest without floating point or printf carries neither.
    static let libraryObjects = ["printf.o", "printf_float.o", "softfloat.o"]

    /// The runtime's part of a guest's link line, for the compiled runtime in `directory`.
    static func linkInputs(in directory: URL) -> [String] {
        func path(_ object: String) -> String { directory.appendingPathComponent(object).path }
        return objects.map(path) + ["--start-lib"] + libraryObjects.map(path) + ["--end-lib"]
    }

    /// SHA-256 over the files and the flags.
    public static let hash: String = SHA256.hash(
        (files.flatMap { [$0.name, $0.text] } + [compileFlags.joined(separator: " "), linkFlags.joined(separator: " ")])
            .joined(separator: "\u{0}"))

    /// `hypercourse.h`, the header C exercises include.
    public static let header = #"""
        /* hypercourse.h: the guest runtime for C exercises (long and user mode).
         *
         * Output goes to COM1 (one port write, so one VM exit, per character); the run ends through the
         * exit port 0xF4 with main's return value as the status. Nothing here executes a privileged
         * instruction, so the same program runs at ring 0 (mode=long) and ring 3 (mode=user).
         * float and double work in every mode, in software: guests are compiled without SSE, MMX and x87
         * (-mgeneral-regs-only), and the runtime's soft-float routines give the results x86's SSE gives.
         * There is no long double and no math library.
         * See docs/exercises.md ("C exercises") and docs/guest-machine.md. */
        #ifndef HYPERCOURSE_H
        #define HYPERCOURSE_H

        #include <stdarg.h>
        #include <stdbool.h>
        #include <stddef.h>
        #include <stdint.h>

        /* Floating point is in software, so a double passes through `...` in an integer register, while
         * clang's va_arg looks for it where SSE would have put it. This va_arg reads doubles where they are,
         * and refuses a struct, union, complex or vector type, whose parts may travel either way: pass a
         * pointer to one instead. (Only without SSE: the runtime's own tests also compile it for the host.) */
        #ifndef __SSE__
        #undef va_arg
        #define va_arg(ap, type) _Generic((type *)0, \
            double *: __hypercourse_va_double(ap), \
            default: __hypercourse_va_scalar(ap, type))
        #define __hypercourse_va_double(ap) ({ \
            unsigned long long __hypercourse_bits = __builtin_va_arg(ap, unsigned long long); \
            double __hypercourse_value; \
            __builtin_memcpy(&__hypercourse_value, &__hypercourse_bits, sizeof __hypercourse_value); \
            __hypercourse_value; })
        #define __hypercourse_va_scalar(ap, type) ({ \
            _Static_assert(__builtin_classify_type(*(type *)0) < 9 || __builtin_classify_type(*(type *)0) == 18, \
                           "va_arg of a struct, union, complex or vector type: C guests cannot pass one through '...'; pass a pointer"); \
            __builtin_va_arg(ap, type); })
        #endif

        /* COM1 output. putchar writes one byte; puts writes the string and a newline. */
        int putchar(int c);
        int puts(const char *s);
        /* printf: the conversions d i u o x X b B c s p n % f F e E g G a A m (%lc and %ls write UTF-8; %m
         * writes "Success": nothing sets errno), the flags - + space # 0 ', a field width and precision
         * (numbers or *), the length modifiers hh h l ll j z t. Floating point is printed exactly, rounded to
         * nearest with ties to even, as glibc prints it. Any other format, or an argument of the wrong type,
         * is a compile error. Returns the number of characters written. */
        int printf(const char *format, ...) __attribute__((format(__printf__, 1, 2)));
        int vprintf(const char *format, va_list args) __attribute__((format(__printf__, 1, 0)));

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

    /// `runtime.c`: entry stub, COM1 output, exit, the paravirtual console, memory functions.
    public static let source = #"""
        /* The guest runtime for C exercises: entry stub, COM1 output, exit, paravirtual console, memory.
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
