/* myvmm.h: the VMM of "A minimal VMM" (chapter "Write your own VMM"), step 3, without its main (its
 * functions inline, so a program that uses only some of them compiles without warnings):
 * a VM with RAM at guest-physical 0, one vCPU, and the guest entered in 32-bit protected mode. */
#include "hypercourse-vmm.h"

struct vm {
    int kvm, fd, vcpu;
    uint8_t *ram;
    size_t ram_size;
    struct kvm_run *run;
};

static inline struct vm vm_create(size_t ram_size) {
    struct vm vm = {.kvm = HC_KVM_FD, .ram_size = ram_size};
    vm.fd = HC_IOCTL(vm.kvm, KVM_CREATE_VM, 0);
    if (ioctl(vm.kvm, KVM_CHECK_EXTENSION, KVM_CAP_SET_TSS_ADDR) > 0)
        HC_IOCTL(vm.fd, KVM_SET_TSS_ADDR, 0xfffbd000);
    vm.ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct kvm_userspace_memory_region slot = {
        .slot = 0, .guest_phys_addr = 0, .memory_size = ram_size, .userspace_addr = (uint64_t)vm.ram,
    };
    HC_IOCTL(vm.fd, KVM_SET_USER_MEMORY_REGION, &slot);
    vm.vcpu = HC_IOCTL(vm.fd, KVM_CREATE_VCPU, 0);
    long run_size = HC_IOCTL(vm.kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    vm.run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm.vcpu, 0);
    return vm;
}

static inline void vm_load(struct vm *vm, const char *path, uint64_t address) {
    size_t size;
    uint8_t *image = hc_read_file(path, &size);
    if (address + size > vm->ram_size) {
        fprintf(stderr, "%s does not fit in RAM\n", path);
        exit(1);
    }
    memcpy(vm->ram + address, image, size);
}

/* 32-bit protected mode, paging off: flat code and data segments, CR0.PE set. */
static inline void vm_enter_protected_mode(struct vm *vm, uint32_t entry) {
    struct kvm_sregs sregs;
    HC_IOCTL(vm->vcpu, KVM_GET_SREGS, &sregs);
    struct kvm_segment code = {
        .base = 0, .limit = 0xffffffff, .selector = 0x08, .present = 1,
        .type = 0xb, .s = 1, .db = 1, .g = 1,            /* code: execute/read, accessed; 32-bit; 4 KiB units */
    };
    struct kvm_segment data = code;
    data.selector = 0x10;
    data.type = 0x3;                                     /* data: read/write, accessed */
    sregs.cs = code;
    sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
    sregs.cr0 |= 1;                                      /* CR0.PE */
    HC_IOCTL(vm->vcpu, KVM_SET_SREGS, &sregs);
    struct kvm_regs regs = {.rip = entry, .rsp = vm->ram_size, .rflags = 0x2};
    HC_IOCTL(vm->vcpu, KVM_SET_REGS, &regs);
}
