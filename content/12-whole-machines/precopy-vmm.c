// [hide]
#include "11-write-your-own-vmm/dirtylog.h"
// [show]
/* Pre-copy over a modelled link. Time is the guest's: each checkpoint ends one tick, and the link
 * carries LINK pages per tick (read a tick as 1 ms: 32 pages of 4 KiB per ms is about 1 Gbit/s). */
#define LINK 32                 /* pages per tick */
#define MAX_DOWNTIME (LINK / 2) /* pages: stop when the rest takes at most half a tick */
#define MAX_ROUNDS 6            /* or after this many rounds, whatever is left */

static size_t count_dirty(const uint64_t *bitmap, size_t pages) {
    size_t count = 0;
    for (size_t page = 0; page < pages; page++) count += page_is_dirty(bitmap, page);
    return count;
}

/* Send (copy to dest) the pages the bitmap names; NULL: all of RAM. */
static size_t send_pages(struct vm *vm, uint8_t *dest, const uint64_t *bitmap) {
    size_t sent = 0;
    for (size_t page = 0; page < vm->ram_size / PAGE; page++) {
        if (bitmap && !page_is_dirty(bitmap, page)) continue;
        memcpy(dest + page * PAGE, vm->ram + page * PAGE, PAGE);
        sent++;
    }
    return sent;
}

/* Let the guest run for `ticks` ticks; 0 if it halted first. */
static int run_ticks(struct vm *vm, size_t ticks) {
    while (ticks > 0) {
        HC_IOCTL(vm->vcpu, KVM_RUN, 0);
        if (vm->run->exit_reason == KVM_EXIT_IO && vm->run->io.port == 0x508) ticks--;
        else if (vm->run->exit_reason == KVM_EXIT_HLT) return 0;
        else { printf("[vmm] unhandled %s\n", hc_exit_name(vm->run->exit_reason)); exit(1); }
    }
    return 1;
}

int main(int argc, char **argv) {
    struct vm vm = vm_create(0x200000);                  /* 2 MiB: 512 pages */
    vm_load(&vm, argv[1], 0x100000);
    vm_enter_protected_mode(&vm, 0x100000);
    start_dirty_log(&vm);
    size_t pages = vm.ram_size / PAGE, total = 0, ticks_total = 0;
    uint64_t bitmap[pages / 64];
    uint8_t *dest = malloc(vm.ram_size);

    printf("round  sent  ticks  dirtied meanwhile\n");
    const uint64_t *to_send = NULL;                      /* round 0: all of RAM */
    for (int round = 0;; round++) {
        size_t sent = send_pages(&vm, dest, to_send);    /* the guest keeps running */
        size_t ticks = (sent + LINK - 1) / LINK;         /* how long the link needs */
        int running = run_ticks(&vm, ticks);
        get_dirty_log(&vm, bitmap);                      /* written while we sent */
        size_t dirty = count_dirty(bitmap, pages);
        printf("%5d  %4zu  %5zu  %17zu\n", round, sent, ticks, dirty);
        total += sent, ticks_total += ticks, to_send = bitmap;
        const char *why = !running ? "the guest halted"
                        : dirty <= MAX_DOWNTIME ? "the rest fits in half a tick"
                        : round + 1 == MAX_ROUNDS ? "too many rounds" : NULL;
        if (why) {                                       /* stop the guest, send the rest */
            size_t last = send_pages(&vm, dest, bitmap);
            total += last;
            printf("stop-and-copy (%s): %zu pages, downtime %.2f ticks\n", why, last, (double)last / LINK);
            break;
        }
    }
    printf("sent %zu pages for %zu pages of RAM in %zu ticks of pre-copy\n", total, pages, ticks_total);
    printf("destination equals source: %s\n", memcmp(dest, vm.ram, vm.ram_size) == 0 ? "yes" : "no");
    return 0;
}
