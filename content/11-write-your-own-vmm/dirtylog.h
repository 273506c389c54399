/* dirtylog.h: the dirty-log functions of "The dirty log from the VMM side", first program. */
#include "myvmm.h"
#define PAGE 4096

/* Slot 0 again, with KVM_MEM_LOG_DIRTY_PAGES: from now on KVM notes each page the guest writes. */
static void start_dirty_log(struct vm *vm) {
    struct kvm_userspace_memory_region slot = {
        .slot = 0, .flags = KVM_MEM_LOG_DIRTY_PAGES, .guest_phys_addr = 0,
        .memory_size = vm->ram_size, .userspace_addr = (uint64_t)vm->ram,
    };
    HC_IOCTL(vm->fd, KVM_SET_USER_MEMORY_REGION, &slot);
}

/* The log since the last call (KVM clears it as it hands it over): bit n is page n of the slot. */
static void get_dirty_log(struct vm *vm, uint64_t *bitmap) {
    struct kvm_dirty_log log = {.slot = 0, .dirty_bitmap = bitmap};
    HC_IOCTL(vm->fd, KVM_GET_DIRTY_LOG, &log);
}

static int page_is_dirty(const uint64_t *bitmap, size_t page) {
    return (bitmap[page / 64] >> (page % 64)) & 1;
}

