/* The local APIC and its timer, as kvm-unit-tests' apic tests check them, through the xAPIC's MMIO page
 * at 0xFEE00000 and the kernel's own 64-bit IDT: the APIC base MSR, ID and version; the timer one-shot
 * (delivered, once, its count run down), periodic (five ticks, reloading, stopped by a zero initial
 * count), masked (counts down, interrupts nothing), a `hlt` with interrupts on woken by it; then in
 * x2APIC mode, through MSRs.
 * KVM's APIC timer counts at 1 GHz (divide by 1), so an initial count of 1,000,000 is 1 ms.
 * Every wait is bounded in TSC cycles, so a timer the host cannot deliver is a FAIL verdict and the
 * kernel goes on; only the `hlt` case, tried once delivery has worked, would wait for the run's timeout. */
#include "unit.h"

#define APIC_BASE 0xFEE00000UL
enum { APIC_ID = 0x20, APIC_VERSION = 0x30, APIC_EOI = 0xB0, APIC_SPURIOUS = 0xF0, APIC_LVT_TIMER = 0x320,
       APIC_INITIAL = 0x380, APIC_CURRENT = 0x390, APIC_DIVIDE = 0x3E0 };
enum { TIMER_VECTOR = 0x20, SPURIOUS_VECTOR = 0xFF, MASKED = 1 << 16, PERIODIC = 1 << 17, PERIOD = 1000000 };
/* Long enough for a late delivery on a busy host (about half a second at 2-4 GHz), short enough that a
 * timer that never comes does not look like a hang. */
#define WAIT_LIMIT (1ULL << 31)

/* xAPIC registers are MMIO at APIC_BASE + reg; in x2APIC mode the same register is MSR 0x800 + reg / 16
 * and the MMIO page no longer answers. */
static int x2apic;
static u32 apic_read(u32 reg) { return x2apic ? (u32)rdmsr(0x800 + reg / 16) : *(volatile u32 *)(APIC_BASE + reg); }
static void apic_write(u32 reg, u32 value) {
    if (x2apic) wrmsr(0x800 + reg / 16, value);
    else *(volatile u32 *)(APIC_BASE + reg) = value;
}

static volatile u32 ticks, reload_seen;
static void timer_tick(struct frame *frame) {
    (void)frame;
    ticks++;
    if (apic_read(APIC_CURRENT) != 0) reload_seen = 1; /* periodic: counting down the next period already */
    apic_write(APIC_EOI, 0);
}

/* With interrupts on, until `target` ticks have arrived or `limit` TSC cycles have passed. */
static int wait_ticks(u32 target, u64 limit) {
    u64 start = rdtsc();
    __asm__ volatile("sti");
    while (ticks < target && rdtsc() - start < limit) __asm__ volatile("pause");
    __asm__ volatile("cli");
    return ticks >= target;
}

static void arm(u32 lvt, u32 count) {
    ticks = 0;
    reload_seen = 0;
    apic_write(APIC_LVT_TIMER, lvt);
    apic_write(APIC_INITIAL, count);
}

static void registers(void) {
    u64 base = rdmsr(0x1B);
    report((base & ~0xFFFULL) == APIC_BASE && (base & (1 << 11)) && (base & (1 << 8)),
           "apic: base MSR says 0xfee00000, enabled, bootstrap processor");
    report(apic_read(APIC_ID) >> 24 == 0, "apic: ID %u", apic_read(APIC_ID) >> 24);
    u32 version = apic_read(APIC_VERSION) & 0xFF;
    report(version >= 0x10 && version <= 0x15, "apic: version register names an integrated APIC");
    apic_write(APIC_SPURIOUS, 0x100 | SPURIOUS_VECTOR);
    report((apic_read(APIC_SPURIOUS) & 0x1FF) == (0x100 | SPURIOUS_VECTOR), "apic: software-enabled");
    apic_write(APIC_DIVIDE, 0xB);       /* divide by 1 */
    report((apic_read(APIC_DIVIDE) & 0xB) == 0xB, "apic timer: divide configuration reads back");
}

/* Returns the TSC cycles a 1 ms one-shot took to arrive (0 if it did not), for the later waits. */
static u64 one_shot(void) {
    u64 start = rdtsc();
    arm(TIMER_VECTOR, PERIOD);
    int delivered = wait_ticks(1, WAIT_LIMIT);
    u64 took = rdtsc() - start;
    report(delivered, "apic timer one-shot: delivered");
    report(apic_read(APIC_CURRENT) == 0, "apic timer one-shot: current count 0 after expiry");
    if (!delivered) return 0;
    wait_ticks(2, 3 * took);
    report(ticks == 1, "apic timer one-shot: fires once (%u ticks in 4 periods)", ticks);
    return took;
}

static void periodic(u64 period) {
    arm(TIMER_VECTOR | PERIODIC, PERIOD);
    int delivered = wait_ticks(5, WAIT_LIMIT);
    apic_write(APIC_INITIAL, 0);        /* stops the timer */
    report(delivered, "apic timer periodic: 5 ticks delivered");
    report(reload_seen, "apic timer periodic: reloads its count after each tick");
    /* A tick that expired while interrupts were off is already pending: let it in first. */
    wait_ticks(ticks + 1, 4 * period);
    u32 seen = ticks;
    wait_ticks(seen + 1, 4 * period);
    report(ticks == seen && apic_read(APIC_CURRENT) == 0, "apic timer periodic: a zero initial count stops it");
}

static void masked(u64 period) {
    arm(TIMER_VECTOR | MASKED, PERIOD);
    wait_ticks(1, 4 * period);
    report(ticks == 0 && apic_read(APIC_CURRENT) == 0, "apic timer masked: counts down, interrupts nothing");
    apic_write(APIC_INITIAL, 0);
}

static void halt_woken(void) {
    arm(TIMER_VECTOR, PERIOD);
    __asm__ volatile("sti; hlt; cli");  /* the interrupt shadow of sti covers the hlt */
    report(ticks == 1, "apic timer: hlt with interrupts on is woken by it");
}

/* The same timer through MSRs, after switching the APIC to x2APIC mode (the CPU model offers it). */
static void x2apic_mode(void) {
    wrmsr(0x1B, rdmsr(0x1B) | (1 << 10));
    x2apic = 1;
    report((rdmsr(0x1B) & (3 << 10)) == (3 << 10), "x2apic: enabled through the base MSR");
    report(apic_read(APIC_ID) == 0, "x2apic: ID %u (all 32 bits)", apic_read(APIC_ID));
    arm(TIMER_VECTOR, PERIOD);
    report(wait_ticks(1, WAIT_LIMIT), "x2apic timer one-shot: delivered");
}

int kmain(void) {
    setup_idt();
    set_handler(TIMER_VECTOR, timer_tick);
    registers();
    u64 period = one_shot();
    if (period) {
        periodic(period);
        masked(period);
        halt_woken();
        x2apic_mode();
    } else {
        report_skip("apic timer periodic, masked, hlt and x2apic: the one-shot timer was not delivered");
    }
    return report_summary();
}
