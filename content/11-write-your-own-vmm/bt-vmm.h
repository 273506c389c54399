/* bt-vmm.h: the monitor of "Binary translation in your VMM" (chapter "Write your own VMM"), without its
 * main: the VM of long-vmm.c, but with the guest kernel *deprivileged*: it runs at CPL 3 with IOPL 0,
 * the way a classic trap-and-emulate monitor runs a guest kernel. Its functions are inline so a program
 * that uses only some of them compiles without warnings. */
#include "hypercourse-vmm.h"
#include <errno.h>

#define RAM_SIZE   (16 << 20)
#define LOAD       0x100000                  /* the guest's image, as on the course's machine */
#define GDT        0x500
#define PML4       0x1000
#define TSS        0x8000
#define KERNEL_CODE 0x18                    /* GDT entry 3: where the guest kernel believes it runs */
#define USER_CODE  0x2b                      /* GDT entry 5, RPL 3 */
#define USER_DATA  0x33                      /* GDT entry 6, RPL 3 */
#define TSS_SEL    0x38                      /* GDT entries 7-8 */
#define RFLAGS_IF  (1u << 9)

struct vm {
    int fd, vcpu;
    uint8_t *ram;
    struct kvm_run *run;
    size_t image_size;
};

static inline void set_u64(struct vm *vm, uint64_t address, uint64_t value) {
    memcpy(vm->ram + address, &value, 8);
}

/* Page tables (1 GiB identity map, 2 MiB pages) with the user bit, so CPL 3 may use every page; a GDT
 * with ring-3 code and data; and a 64-bit TSS whose I/O bitmap allows every port, since with IOPL 0
 * the processor consults the bitmap before an IN or OUT at CPL 3 can reach the VMM. */
static inline void build_tables(struct vm *vm) {
    set_u64(vm, PML4, (PML4 + 0x1000) | 7);                  /* present, writable, user */
    set_u64(vm, PML4 + 0x1000, (PML4 + 0x2000) | 7);
    for (uint64_t i = 0; i < 512; i++)
        set_u64(vm, PML4 + 0x2000 + 8 * i, (i << 21) | 0x87); /* + PS: a 2 MiB page */
    set_u64(vm, GDT + 3 * 8, 0x00af9a000000ffff);            /* 64-bit code, DPL 0: the kernel's own */
    set_u64(vm, GDT + 5 * 8, 0x00affa000000ffff);            /* 64-bit code, DPL 3 */
    set_u64(vm, GDT + 6 * 8, 0x00cff2000000ffff);            /* data, DPL 3 */
    uint64_t limit = 104 + 8192;                             /* TSS, bitmap, the 0xff after it */
    set_u64(vm, GDT + 7 * 8, (limit & 0xffff) | (uint64_t)TSS << 16 | 0x8bull << 40);
    vm->ram[TSS + 102] = 104;                                /* the bitmap starts after the TSS */
    vm->ram[TSS + 104 + 8192] = 0xff;                        /* bitmap all zero: every port allowed */
}

static inline struct kvm_segment segment(uint16_t selector, uint8_t type, int code) {
    struct kvm_segment s = {
        .base = 0, .limit = 0xffffffff, .selector = selector, .type = type, .present = 1,
        .dpl = 3, .s = 1, .l = code, .db = !code, .g = 1,
    };
    return s;
}

/* Long mode at CPL 3: the guest kernel's code segment has DPL 3, RFLAGS has IOPL 0 and IF 1. */
static inline void enter_ring3(struct vm *vm) {
    struct kvm_sregs sregs;
    HC_IOCTL(vm->vcpu, KVM_GET_SREGS, &sregs);
    sregs.cs = segment(USER_CODE, 0xb, 1);
    sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = segment(USER_DATA, 0x3, 0);
    struct kvm_segment tr = {.base = TSS, .limit = 104 + 8192, .selector = TSS_SEL, .type = 0xb, .present = 1};
    sregs.tr = tr;
    sregs.gdt.base = GDT;
    sregs.gdt.limit = 9 * 8 - 1;
    sregs.idt.base = 0;
    sregs.idt.limit = 0;                                     /* no IDT: an exception is a triple fault */
    sregs.cr3 = PML4;
    sregs.cr4 = 1 << 5;                                      /* PAE */
    sregs.cr0 = 0x80010033;                                  /* PG, WP, NE, ET, MP, PE */
    sregs.efer = 0x500;                                      /* LME, LMA */
    HC_IOCTL(vm->vcpu, KVM_SET_SREGS, &sregs);
    struct kvm_regs regs = {.rip = LOAD, .rsp = RAM_SIZE, .rflags = 0x2 | RFLAGS_IF};
    HC_IOCTL(vm->vcpu, KVM_SET_REGS, &regs);
}

static inline struct vm vm_create(const char *image_path) {
    struct vm vm = {0};
    vm.fd = HC_IOCTL(HC_KVM_FD, KVM_CREATE_VM, 0);
    if (ioctl(HC_KVM_FD, KVM_CHECK_EXTENSION, KVM_CAP_SET_TSS_ADDR) > 0)
        HC_IOCTL(vm.fd, KVM_SET_TSS_ADDR, 0xfffbd000);
    vm.ram = hc_add_ram(vm.fd, RAM_SIZE);
    uint8_t *image = hc_read_file(image_path, &vm.image_size);
    memcpy(vm.ram + LOAD, image, vm.image_size);
    build_tables(&vm);
    vm.vcpu = HC_IOCTL(vm.fd, KVM_CREATE_VCPU, 0);
    vm.run = hc_map_run(HC_KVM_FD, vm.vcpu);
    enter_ring3(&vm);
    return vm;
}

/* The two devices: an OUT of `byte` to COM1's data port or to the exit port. Returns the exit
 * status, or -1 to go on. The guest kernel does nothing else with ports. */
static inline int serve_out(uint16_t port, uint8_t byte) {
    if (port == 0x3f8)
        putchar(byte);
    else if (port == 0xf4)
        return byte;
    else
        printf("[vmm] no device at port 0x%x\n", port);
    return -1;
}

/* The port and byte of a KVM_EXIT_IO, if it is a one-byte OUT (the only kind this guest makes). */
static inline int out_byte(struct kvm_run *run, uint16_t *port, uint8_t *byte) {
    if (run->exit_reason != KVM_EXIT_IO || run->io.direction != KVM_EXIT_IO_OUT || run->io.size != 1)
        return 0;
    *port = run->io.port;
    *byte = *((uint8_t *)run + run->io.data_offset);
    return 1;
}

// ANCHOR: complete
/* KVM completes an OUT only when KVM_RUN is called again; with immediate_exit set it completes it and
 * returns at once (EINTR) without running the guest. Then RIP is past the OUT on every kind of host. */
static inline void complete_out(struct vm *vm, struct kvm_regs *regs) {
    vm->run->immediate_exit = 1;
    if (ioctl(vm->vcpu, KVM_RUN, 0) == 0 || errno != EINTR) {
        printf("[vmm] KVM_RUN with immediate_exit did not return EINTR\n");
        exit(1);
    }
    vm->run->immediate_exit = 0;
    HC_IOCTL(vm->vcpu, KVM_GET_REGS, regs);
}
// ANCHOR_END: complete
