/* The conformance kernels' library (see unit.h). */
#include <stdarg.h>
#include "unit.h"

static int tests, failures, skipped;

static void putc(char c) {
    while (!(inb(0x3FD) & 0x20)) {}
    outb(0x3F8, (u8)c);
}

static void put_number(u64 value, unsigned base, int width) {
    char digits[24];
    int count = 0;
    do { digits[count++] = "0123456789abcdef"[value % base]; value /= base; } while (value);
    while (count < width) digits[count++] = '0';
    while (count) putc(digits[--count]);
}

/* %d %u %x %lx %llx %s %c %%, and a zero-padded width: what the kernels print. */
static void vprint(const char *format, va_list args) {
    for (const char *at = format; *at; at++) {
        if (*at != '%') { putc(*at); continue; }
        int width = 0, wide = 0;
        if (*++at == '0') at++;
        while (*at >= '0' && *at <= '9') width = width * 10 + (*at++ - '0');
        while (*at == 'l') { wide = 1; at++; }
        switch (*at) {
        case 'd': {
            long long v = wide ? va_arg(args, long long) : va_arg(args, int);
            if (v < 0) { putc('-'); v = -v; }
            put_number((u64)v, 10, width);
            break;
        }
        case 'u': put_number(wide ? va_arg(args, u64) : va_arg(args, u32), 10, width); break;
        case 'x': put_number(wide ? va_arg(args, u64) : va_arg(args, u32), 16, width); break;
        case 's': for (const char *s = va_arg(args, const char *); *s; s++) putc(*s); break;
        case 'c': putc((char)va_arg(args, int)); break;
        default: putc(*at); break;
        }
    }
}

int printf(const char *format, ...) {
    va_list args;
    va_start(args, format);
    vprint(format, args);
    va_end(args);
    return 0;
}

void report(int pass, const char *format, ...) {
    tests++;
    if (!pass) failures++;
    printf(pass ? "PASS: " : "FAIL: ");
    va_list args;
    va_start(args, format);
    vprint(format, args);
    va_end(args);
    putc('\n');
}

void report_skip(const char *format, ...) {
    tests++;
    skipped++;
    printf("SKIP: ");
    va_list args;
    va_start(args, format);
    vprint(format, args);
    va_end(args);
    putc('\n');
}

/* As kvm-unit-tests prints it; the failures are the exit status. */
int report_summary(void) {
    printf("SUMMARY: %d tests", tests);
    if (failures) printf(", %d unexpected failures", failures);
    if (skipped) printf(", %d skipped", skipped);
    putc('\n');
    return failures;
}

struct gate { u16 offset_low, selector, flags, offset_middle; u32 offset_high, reserved; };
static struct gate idt[256] __attribute__((aligned(16)));
extern u64 stub_table[256];
static handler_t handlers[256];

void setup_idt(void) {
    for (int vector = 0; vector < 256; vector++) {
        u64 stub = stub_table[vector];
        idt[vector] = (struct gate){ (u16)stub, 0x08, 0x8E00, (u16)(stub >> 16), (u32)(stub >> 32), 0 };
    }
    struct { u16 limit; u64 base; } __attribute__((packed)) descriptor = { sizeof idt - 1, (u64)idt };
    __asm__ volatile("lidt %0" : : "m"(descriptor));
}

void set_handler(u8 vector, handler_t handler) { handlers[vector] = handler; }

struct caught last_exception;
u64 *catch_point;                       /* the jmp_buf a caught exception returns to; read by the entry */
extern char exception_resume[];

static void catching_handler(struct frame *frame) {
    last_exception = (struct caught){ 1, frame->vector, frame->error_code, frame->rip,
                                      frame->vector == 14 ? read_cr2() : 0 };
    frame->rip = (u64)exception_resume; /* the iretq goes there, and it longjmps to catch_exception */
}

int catch_exception(void (*trigger)(void)) {
    jmp_buf point;
    last_exception = (struct caught){ 0, 0, 0, 0, 0 };
    for (int vector = 0; vector < 32; vector++) set_handler((u8)vector, catching_handler);
    catch_point = point;
    if (setjmp(point) == 0) trigger();
    for (int vector = 0; vector < 32; vector++) set_handler((u8)vector, 0);
    catch_point = 0;
    return last_exception.happened;
}

/* An exception or interrupt nothing expected ends the kernel: the verdict, the summary, status 255. */
void interrupt_dispatch(struct frame *frame) {
    if (handlers[frame->vector]) { handlers[frame->vector](frame); return; }
    printf("FAIL: unexpected vector %u at rip 0x%lx, error code 0x%lx\n", (u32)frame->vector, frame->rip, frame->error_code);
    report_summary();
    outb(0xF4, 255);
}
