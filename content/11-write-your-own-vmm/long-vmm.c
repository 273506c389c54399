// [hide]
#include "myvmm.h"
// [show]
#define PML4 0x1000                                  /* the page tables, below the image */
#define PDPT 0x2000
#define PD   0x3000
#define PRESENT_WRITABLE 0x3
#define HUGE 0x80                                     /* a 2 MiB page in a page directory entry */

/* Identity-map the first 1 GiB with 2 MiB pages: PML4[0] -> PDPT[0] -> PD[0..511]. */
static void build_page_tables(struct vm *vm) {
    uint64_t *pml4 = (uint64_t *)(vm->ram + PML4), *pdpt = (uint64_t *)(vm->ram + PDPT);
    uint64_t *pd = (uint64_t *)(vm->ram + PD);
    pml4[0] = PDPT | PRESENT_WRITABLE;
    pdpt[0] = PD | PRESENT_WRITABLE;
    for (uint64_t i = 0; i < 512; i++)
        pd[i] = (i << 21) | PRESENT_WRITABLE | HUGE;
}

/* 64-bit long mode: paging on with PAE tables, EFER.LME and LMA, a code segment with L = 1. */
static void vm_enter_long_mode(struct vm *vm, uint64_t entry) {
    build_page_tables(vm);
    struct kvm_sregs sregs;
    HC_IOCTL(vm->vcpu, KVM_GET_SREGS, &sregs);
    struct kvm_segment code = {
        .base = 0, .limit = 0xffffffff, .selector = 0x18, .present = 1,
        .type = 0xb, .s = 1, .l = 1, .g = 1,          /* 64-bit code: L = 1, and D must be 0 */
    };
    struct kvm_segment data = code;
    data.selector = 0x20;
    data.type = 0x3;
    data.l = 0;
    data.db = 1;
    sregs.cs = code;
    sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
    sregs.cr3 = PML4;
    sregs.cr4 = 1 << 5;                              /* CR4.PAE */
    sregs.cr0 = 0x80000011;                          /* CR0.PG, ET, PE */
    sregs.efer = 0x500;                              /* EFER.LME (bit 8) and LMA (bit 10) */
    HC_IOCTL(vm->vcpu, KVM_SET_SREGS, &sregs);
    struct kvm_regs regs = {.rip = entry, .rsp = vm->ram_size, .rflags = 0x2};
    HC_IOCTL(vm->vcpu, KVM_SET_REGS, &regs);
}

/* The console, the exit port, COM1's line status, and the course's paravirtual console at 0x500:
 * an OUT of a guest-physical address A, where A holds a 32-bit length n and then n bytes. */
static uint32_t pv_status = 5;                       /* "no request yet" */

static int serve_io(struct vm *vm) {
    struct kvm_run *run = vm->run;
    uint8_t *data = (uint8_t *)run + run->io.data_offset;
    uint32_t value = 0;
    memcpy(&value, data, run->io.size);
    if (run->io.direction == KVM_EXIT_IO_IN) {
        uint32_t answer = run->io.port == 0x3fd ? 0x60 : run->io.port == 0x500 ? pv_status : 0xffffffff;
        memcpy(data, &answer, run->io.size);
        return -1;
    }
    if (run->io.port == 0x3f8) fwrite(data, run->io.size, run->io.count, stdout);
    if (run->io.port == 0xf4) return value & 0xff;
    if (run->io.port == 0x500) {
        uint32_t length;
        pv_status = 1;                               /* "not inside RAM" until proven otherwise */
        if (run->io.size == 4 && (uint64_t)value + 4 <= vm->ram_size) {
            memcpy(&length, vm->ram + value, 4);
            if ((uint64_t)value + 4 + length <= vm->ram_size) {
                fwrite(vm->ram + value + 4, 1, length, stdout);
                pv_status = 0;
            }
        }
    }
    return -1;
}

int main(int argc, char **argv) {
    struct vm vm = vm_create(16 << 20);                   /* 16 MiB, like the course's machine */
    vm_load(&vm, argv[1], 0x100000);
    vm_enter_long_mode(&vm, 0x100000);
    for (;;) {
        HC_IOCTL(vm.vcpu, KVM_RUN, 0);
        if (vm.run->exit_reason == KVM_EXIT_IO) {
            int status = serve_io(&vm);
            if (status >= 0) return status;
        } else if (vm.run->exit_reason == KVM_EXIT_HLT) {
            return 0;
        } else {
            printf("[vmm] unhandled %s\n", hc_exit_name(vm.run->exit_reason));
            return 1;
        }
    }
}
