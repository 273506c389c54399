// [hide]
#include "bt-vmm.h"
#include "bt-scan.h"
// [show]
#define PUSHFQ 0x9c
#define POPFQ  0x9d
#define TRAP   0xee                 /* out dx, al: one byte, and it leaves the guest at any CPL */
#define ARITHMETIC_FLAGS 0xcd5      /* CF PF AF ZF SF DF OF: POPF at CPL 3 changes these as at CPL 0 */

static uint8_t sensitive[MAX_IMAGE];    /* the opcode that was at each rewritten byte, or 0 */
static uint64_t virtual_if;             /* the guest kernel's IF: 0 after reset, as on a real CPU */

/* Rewrites every reachable PUSHFQ and POPFQ into the trap. */
static void translate(struct vm *vm) {
    uint8_t starts[MAX_IMAGE] = {0};
    scan(vm->ram + LOAD, vm->image_size, starts);
    for (size_t at = 0; at < vm->image_size; at++) {
        uint8_t *byte = vm->ram + LOAD + at;
        if (!starts[at] || (*byte != PUSHFQ && *byte != POPFQ)) continue;
        printf("[vmm] 0x%lx: %s -> out dx, al\n", (unsigned long)(LOAD + at), *byte == PUSHFQ ? "pushfq" : "popfq");
        sensitive[at] = *byte;
        *byte = TRAP;
    }
}

/* What the instruction would have done at CPL 0, with IF kept in the virtual CPU. */
static void emulate(struct vm *vm, struct kvm_regs *regs, uint8_t opcode) {
    uint64_t flags, slot = opcode == PUSHFQ ? regs->rsp - 8 : regs->rsp;
    if (slot < LOAD || slot + 8 > RAM_SIZE) {                /* the guest's RSP: check before use */
        printf("[vmm] stack outside RAM\n");
        exit(1);
    }
    if (opcode == PUSHFQ) {
        flags = (regs->rflags & ~RFLAGS_IF) | virtual_if;
        memcpy(vm->ram + slot, &flags, 8);
        regs->rsp = slot;
    } else {
        memcpy(&flags, vm->ram + slot, 8);
        virtual_if = flags & RFLAGS_IF;
        regs->rflags = (regs->rflags & ~ARITHMETIC_FLAGS) | (flags & ARITHMETIC_FLAGS);
        regs->rsp = slot + 8;
    }
    HC_IOCTL(vm->vcpu, KVM_SET_REGS, regs);
}

int main(int argc, char **argv) {
    struct vm vm = vm_create(argv[1]);          /* the guest kernel, deprivileged at CPL 3 */
    translate(&vm);
    for (unsigned traps = 0;;) {
        HC_IOCTL(vm.vcpu, KVM_RUN, 0);
        uint16_t port;
        uint8_t byte;
        if (!out_byte(vm.run, &port, &byte)) {
            printf("[vmm] %s\n", hc_exit_name(vm.run->exit_reason));
            return 1;
        }
        struct kvm_regs regs;
        complete_out(&vm, &regs);
        uint64_t at = regs.rip - 1 - LOAD;      /* the OUT that left the guest */
        if (at < vm.image_size && sensitive[at]) {
            emulate(&vm, &regs, sensitive[at]);
            traps++;
            continue;
        }
        int status = serve_out(port, byte);
        if (status >= 0) {
            printf("[vmm] exit %d; %u traps emulated\n", status, traps);
            return status;
        }
    }
}
