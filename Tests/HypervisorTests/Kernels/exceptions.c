/* Exceptions through a 64-bit IDT, as kvm-unit-tests' idt_test and its exception helpers check them:
 * #DE, #UD, #BP, #GP and #PF, each caught with its vector, the RIP the CPU pushed (the faulting
 * instruction, or the one after it for the #BP trap), its error code and, for #PF, CR2; then a handler
 * that returns with iretq to the interrupted code. Built with -DNO_SOFTWARE_INTERRUPTS, the #BP and
 * `int n` cases are skipped: on PVM hosts KVM's emulator cannot deliver a software interrupt, so QEMU
 * stops there (our pc machine delivers it), and the comparison with QEMU uses that build. */
#include "unit.h"

void trigger_de(void), trigger_ud(void), trigger_bp(void), trigger_gp_noncanonical(void),
     trigger_gp_selector(void), trigger_pf_read(void), trigger_pf_write(void), trigger_pf_protected(void);
extern char de_at[], ud_at[], bp_after[], gp_noncanonical_at[], gp_selector_at[], pf_read_at[], pf_write_at[],
     pf_protected_at[];

__asm__(
    ".text\n"
    "trigger_de: xor %eax, %eax\n xor %edx, %edx\n xor %ecx, %ecx\n de_at: div %ecx\n ret\n"
    "trigger_ud: ud_at: ud2\n ret\n"
    "trigger_bp: int3\n bp_after: ret\n"
    "trigger_gp_noncanonical: movabs $0x8000000000000000, %rax\n gp_noncanonical_at: mov (%rax), %rax\n ret\n"
    "trigger_gp_selector: mov $0x18, %eax\n gp_selector_at: mov %eax, %fs\n ret\n"   /* past the GDT's limit */
    "trigger_pf_read: mov $0x40000000, %eax\n pf_read_at: mov (%rax), %rax\n ret\n"  /* not present */
    "trigger_pf_write: mov $0x40000ff8, %eax\n pf_write_at: movq $1, (%rax)\n ret\n"
    "trigger_pf_protected: mov $0x3fe00010, %eax\n pf_protected_at: movq $1, (%rax)\n ret\n"); /* read-only */

static void expect(const char *name, void (*trigger)(void), u64 vector, u64 rip, u64 error_code) {
    if (!catch_exception(trigger)) { report(0, "%s: no exception", name); return; }
    report(last_exception.vector == vector, "%s: vector %u", name, (u32)last_exception.vector);
    /* As an offset into the trigger, so the verdict reads the same whatever the kernel's layout. */
    report(last_exception.rip == rip, "%s: rip trigger+%d", name, (int)(last_exception.rip - (u64)trigger));
    report(last_exception.error_code == error_code, "%s: error code 0x%lx", name, last_exception.error_code);
}

static void expect_page_fault(const char *name, void (*trigger)(void), u64 rip, u64 error_code, u64 address) {
    expect(name, trigger, 14, rip, error_code);
    report(last_exception.cr2 == address, "%s: cr2 0x%lx", name, last_exception.cr2);
}

static void skip_ud2(struct frame *frame) { frame->rip += 2; }

#ifndef NO_SOFTWARE_INTERRUPTS
static void add_one(struct frame *frame) { frame->rax += 1; }
#endif

static void returning_handlers(void) {
    set_handler(6, skip_ud2);
    u64 marker = 0;
    __asm__ volatile("ud2\n movq $42, %0" : "+r"(marker));
    set_handler(6, 0);
    report(marker == 42, "iretq from the #UD handler resumes after ud2");
#ifndef NO_SOFTWARE_INTERRUPTS
    set_handler(0x80, add_one);
    u64 value = 41;
    __asm__ volatile("int $0x80" : "+a"(value));
    set_handler(0x80, 0);
    report(value == 42, "int $0x80 runs its handler and returns (rax 41 -> %u)", (u32)value);
#else
    report_skip("int $0x80: software interrupts are not delivered by KVM's emulator on PVM hosts");
#endif
}

int kmain(void) {
    setup_idt();
    expect("#DE (div by zero)", trigger_de, 0, (u64)de_at, 0);
    expect("#UD (ud2)", trigger_ud, 6, (u64)ud_at, 0);
#ifndef NO_SOFTWARE_INTERRUPTS
    expect("#BP (int3)", trigger_bp, 3, (u64)bp_after, 0);
#else
    report_skip("#BP (int3): software interrupts are not delivered by KVM's emulator on PVM hosts");
#endif
    expect("#GP (non-canonical address)", trigger_gp_noncanonical, 13, (u64)gp_noncanonical_at, 0);
    expect("#GP (selector past the GDT limit)", trigger_gp_selector, 13, (u64)gp_selector_at, 0x18);
    expect_page_fault("#PF (read, not present)", trigger_pf_read, (u64)pf_read_at, 0x0, 0x40000000);
    expect_page_fault("#PF (write, not present)", trigger_pf_write, (u64)pf_write_at, 0x2, 0x40000ff8);
    expect_page_fault("#PF (write, read-only page)", trigger_pf_protected, (u64)pf_protected_at, 0x3, 0x3fe00010);
    returning_handlers();
    return report_summary();
}
