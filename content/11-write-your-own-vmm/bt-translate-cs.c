// [hide]
#include "bt-vmm.h"
#include "bt-scan.h"
// [show]
#define PUSHFQ 0x9c
#define POPFQ  0x9d
#define MOV_FROM_SEGMENT 0x8c       /* mov r/m16, Sreg; ModRM reg field 1 is CS */
#define TRAP   0xee
#define NOP    0x90
#define ARITHMETIC_FLAGS 0xcd5

struct site { uint8_t opcode, length, reg; };
static struct site sites[MAX_IMAGE];    /* what was at each rewritten byte */
static uint64_t virtual_if;

/* PUSHFQ, POPFQ, and now MOV from CS into a register: the trap, then NOPs to the old length. */
static void translate(struct vm *vm) {
    uint8_t starts[MAX_IMAGE] = {0};
    scan(vm->ram + LOAD, vm->image_size, starts);
    for (size_t at = 0; at < vm->image_size; at++) {
        uint8_t *p = vm->ram + LOAD + at;
        int prefix = p[0] == 0x66, modrm = p[prefix + 1];
        struct site site = {p[0], 1, 0};
        if (p[prefix] == MOV_FROM_SEGMENT && modrm >> 6 == 3 && (modrm >> 3 & 7) == 1)
            site = (struct site){MOV_FROM_SEGMENT, prefix + 2, modrm & 7};
        else if (p[0] != PUSHFQ && p[0] != POPFQ)
            continue;
        if (!starts[at]) continue;
        printf("[vmm] 0x%lx: %s -> out dx, al\n", (unsigned long)(LOAD + at),
               site.opcode == PUSHFQ ? "pushfq" : site.opcode == POPFQ ? "popfq" : "mov from cs");
        sites[at] = site;
        memset(p, NOP, site.length);
        *p = TRAP;
    }
}

static void emulate(struct vm *vm, struct kvm_regs *regs, uint64_t at) {
    struct site site = sites[at];
    if (site.opcode == MOV_FROM_SEGMENT) {                   /* the CS the kernel believes it has */
        __u64 *gpr[] = {&regs->rax, &regs->rcx, &regs->rdx, &regs->rbx,
                           &regs->rsp, &regs->rbp, &regs->rsi, &regs->rdi};
        *gpr[site.reg] = (*gpr[site.reg] & ~0xffffull) | KERNEL_CODE;
        regs->rip = LOAD + at + site.length;                  /* past the NOPs too */
        HC_IOCTL(vm->vcpu, KVM_SET_REGS, regs);
        return;
    }
    /* PUSHFQ and POPFQ as in bt-translate.c; main as there, with `sites[at].length` for `sensitive[at]`. */
    // [hide]
    uint64_t flags, slot = site.opcode == PUSHFQ ? regs->rsp - 8 : regs->rsp;
    if (slot < LOAD || slot + 8 > RAM_SIZE) {
        printf("[vmm] stack outside RAM\n");
        exit(1);
    }
    if (site.opcode == PUSHFQ) {
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
    struct vm vm = vm_create(argv[1]);
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
        uint64_t at = regs.rip - 1 - LOAD;
        if (at < vm.image_size && sites[at].length) {
            emulate(&vm, &regs, at);
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
// [show]
