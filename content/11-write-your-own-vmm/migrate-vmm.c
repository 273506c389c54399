// [hide]
#include "dirtylog.h"
// [show]
/* Pre-copy: copy all of RAM while the guest runs, then, round after round, only the pages written
 * since the previous round; stop the guest and copy the last ones. `dest` plays the destination host. */
static uint8_t *dest;
static size_t copied_total;

static size_t copy_dirty_pages(struct vm *vm, const uint64_t *bitmap) {
    size_t copied = 0;
    for (size_t page = 0; page < vm->ram_size / PAGE; page++) {
        if (!page_is_dirty(bitmap, page)) continue;
        memcpy(dest + page * PAGE, vm->ram + page * PAGE, PAGE);
        copied++;
    }
    copied_total += copied;
    return copied;
}

int main(int argc, char **argv) {
    struct vm vm = vm_create(0x400000);                  /* 4 MiB: 1024 pages */
    vm_load(&vm, argv[1], 0x100000);
    vm_enter_protected_mode(&vm, 0x100000);
    start_dirty_log(&vm);

    size_t pages = vm.ram_size / PAGE;
    uint64_t bitmap[pages / 64];
    dest = malloc(vm.ram_size);
    memcpy(dest, vm.ram, vm.ram_size);                   /* round 0: everything */
    copied_total = pages;
    printf("round 0: %zu pages (all of RAM)\n", pages);

    struct kvm_run *run = vm.run;
    for (;;) {
        HC_IOCTL(vm.vcpu, KVM_RUN, 0);
        if (run->exit_reason == KVM_EXIT_IO && run->io.port == 0x508) {
            uint8_t round = *((uint8_t *)run + run->io.data_offset);
            get_dirty_log(&vm, bitmap);
            printf("round %u: %zu page(s) written since the last round\n", round, copy_dirty_pages(&vm, bitmap));
        } else if (run->exit_reason == KVM_EXIT_HLT) {   /* the guest is stopped: stop-and-copy */
            get_dirty_log(&vm, bitmap);
            printf("stop-and-copy: %zu page(s)\n", copy_dirty_pages(&vm, bitmap));
            break;
        } else {
            printf("[vmm] unhandled %s\n", hc_exit_name(run->exit_reason));
            return 1;
        }
    }
    printf("copied %zu pages for %zu pages of RAM\n", copied_total, pages);
    printf("destination equals source: %s\n", memcmp(dest, vm.ram, vm.ram_size) == 0 ? "yes" : "no");
    return 0;
}
