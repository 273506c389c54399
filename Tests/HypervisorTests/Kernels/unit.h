/* The conformance kernels' library, in the spirit of kvm-unit-tests' libcflat: verdicts printed as
 * "PASS: ..." / "FAIL: ..." / "SKIP: ...", a "SUMMARY: ..." line, and the number of failures as the
 * exit status; exceptions caught through the kernel's own 64-bit IDT; setjmp/longjmp. Long mode,
 * ring 0, entered by unit-entry.asm. */
#pragma once
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

/* What the entry's stub and common path leave on the stack for interrupt_dispatch. */
struct frame {
    u64 r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    u64 vector, error_code, rip, cs, rflags, rsp, ss;
};

typedef u64 jmp_buf[8];
int setjmp(jmp_buf buffer) __attribute__((returns_twice));
void longjmp(jmp_buf buffer, int value) __attribute__((noreturn));

int printf(const char *format, ...);
void report(int pass, const char *format, ...);
void report_skip(const char *format, ...);
int report_summary(void);

/* Sets every IDT gate to the entry's stubs and loads the IDT. */
void setup_idt(void);
typedef void (*handler_t)(struct frame *);
void set_handler(u8 vector, handler_t handler);

/* What the last caught exception was. */
struct caught { int happened; u64 vector, error_code, rip, cr2; };
extern struct caught last_exception;
/* Runs `trigger` with exceptions caught: one that arrives is recorded in last_exception and the
 * handler's iretq resumes here; returns whether one arrived. */
int catch_exception(void (*trigger)(void));

static inline void outb(u16 port, u8 value) { __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u64 rdtsc(void) { u32 lo, hi; __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)); return ((u64)hi << 32) | lo; }
static inline u64 rdmsr(u32 index) {
    u32 lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(index));
    return ((u64)hi << 32) | lo;
}
static inline void wrmsr(u32 index, u64 value) {
    __asm__ volatile("wrmsr" : : "c"(index), "a"((u32)value), "d"((u32)(value >> 32)));
}
static inline u64 read_cr2(void) { u64 v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
