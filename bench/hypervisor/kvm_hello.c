// The C reference for the hypervisor benchmark (bench/hypervisor/run.sh).
//
// Plain C against <linux/kvm.h>: it runs a flat guest image on a fresh VM per run, doing the same
// setup, the same ioctls and the same device handling as the Swift path (Sources/Hypervisor) for the
// hello guest, so the two can be compared run for run:
//   create VM, set TSS address, map RAM (GDT, TSS and page tables as in GuestLayout.swift), create the
//   vCPU and map kvm_run, set the fixed CPUID table, set sregs/regs for the mode, set the vCPU signal
//   mask, arm a shared watchdog, run to the end (COM1 output, exit port, hlt), read the registers,
//   disarm, tear down.
// Keep it in step with Sources/Hypervisor/{GuestLayout,EntryState,CPUIDTable,RunLoop}.swift.
//
// With --pc it also creates the pc machine's in-kernel devices (KVM_CREATE_IRQCHIP, KVM_CREATE_PIT2),
// as `hypercourse run --machine pc` does: the lifecycle cost of that machine.
//
//   kvm_hello [--mode real|protected|long|user] [--pc] [--memory MIB] [--repeat N] [--quiet] IMAGE.bin
// Prints the guest's output once (unless --quiet), then one line on stderr:
//   c runs=N median_us=X p90_us=Y
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

enum mode { REAL, PROTECTED, LONG, USER };

#define GDT_ADDR 0x500
#define TSS_ADDR 0x8000
#define TSS_LIMIT (104 + 8192) // with an all-zero I/O permission bitmap and its 0xFF terminator
#define PML4_ADDR 0x1000
#define PDPT_ADDR 0x2000
#define PD_ADDR 0x3000
#define RING0_STACK_TOP 0x7C00
#define REAL_LOAD 0x7C00
#define HIGH_LOAD 0x100000
#define KVM_TSS_ADDR 0xFFFBD000
#define COM1 0x3F8
#define EXIT_PORT 0xF4
#define TIMEOUT_NS 10000000000LL

static int kvm_fd, vcpu_mmap_size, has_tss_addr, pc_machine;

static void die(const char *what) { perror(what); exit(70); }
static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

// ---- watchdog: one thread for the process, like Watchdog.swift ----
static pthread_mutex_t wd_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wd_cond;
static struct { int armed, fired; int64_t deadline, next_wakeup; pthread_t thread; struct kvm_run *run; } wd;
static int wd_signal;

static void noop_handler(int sig) { (void)sig; }

static void *watchdog_main(void *arg) {
    (void)arg;
    pthread_mutex_lock(&wd_lock);
    for (;;) {
        if (!wd.armed) { wd.next_wakeup = INT64_MAX; pthread_cond_wait(&wd_cond, &wd_lock); continue; }
        if (now_ns() >= wd.deadline) {
            wd.fired = 1;
            wd.armed = 0;
            __atomic_store_n(&wd.run->immediate_exit, 1, __ATOMIC_SEQ_CST);
            pthread_kill(wd.thread, wd_signal);
            continue;
        }
        wd.next_wakeup = wd.deadline;
        struct timespec ts = { wd.deadline / 1000000000LL, wd.deadline % 1000000000LL };
        pthread_cond_timedwait(&wd_cond, &wd_lock, &ts);
    }
    return NULL;
}

static void watchdog_start(void) {
    wd_signal = SIGRTMIN + 2;
    wd.next_wakeup = INT64_MAX;
    struct sigaction sa = { 0 };
    sa.sa_handler = noop_handler; // no SA_RESTART: KVM_RUN must return EINTR
    sigemptyset(&sa.sa_mask);
    sigaction(wd_signal, &sa, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&wd_cond, &attr);
    pthread_t t;
    if (pthread_create(&t, NULL, watchdog_main, NULL)) die("pthread_create");
    pthread_detach(t);
}

// ---- guest memory layout, as GuestLayout.swift ----
static void write_layout(uint8_t *ram, enum mode m) {
    if (m == REAL) return;
    uint64_t *gdt = (uint64_t *)(ram + GDT_ADDR);
    gdt[0] = 0;
    gdt[1] = 0x00CF9B000000FFFFull; // 0x08 code32
    gdt[2] = 0x00CF93000000FFFFull; // 0x10 data
    gdt[3] = 0x00AF9B000000FFFFull; // 0x18 code64
    gdt[4] = 0x00CF93000000FFFFull; // 0x20 data
    gdt[5] = 0x00AFFB000000FFFFull; // 0x28 code64 ring 3
    gdt[6] = 0x00CFF3000000FFFFull; // 0x30 data ring 3
    uint64_t base = TSS_ADDR, limit = TSS_LIMIT;
    gdt[7] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x8Bull << 40) | (((limit >> 16) & 0xF) << 48)
        | ((base >> 24 & 0xFF) << 56);
    gdt[8] = base >> 32;
    uint8_t *tss = ram + TSS_ADDR;
    uint32_t sp0 = RING0_STACK_TOP;
    memcpy(tss + 4, &sp0, 4);
    if (m == PROTECTED) { uint16_t ss0 = 0x10; memcpy(tss + 8, &ss0, 2); }
    uint16_t iopb = 104;
    memcpy(tss + 102, &iopb, 2);
    tss[TSS_LIMIT] = 0xFF; // the bitmap itself is zero (fresh anonymous memory): every port allowed
    if (m == PROTECTED) return;
    uint64_t *pml4 = (uint64_t *)(ram + PML4_ADDR), *pdpt = (uint64_t *)(ram + PDPT_ADDR);
    pml4[0] = PDPT_ADDR | 7;
    for (int i = 0; i < 4; i++) {
        pdpt[i] = (PD_ADDR + i * 0x1000) | 7;
        uint64_t *pd = (uint64_t *)(ram + PD_ADDR + i * 0x1000);
        for (int j = 0; j < 512; j++) pd[j] = ((uint64_t)(i * 512 + j) << 21) | 0x87;
    }
}

// ---- the fixed CPUID table, as CPUIDTable.swift ----
static void reg_string(const char *s, uint32_t *a, uint32_t *b, uint32_t *c) {
    memcpy(a, s, 4); memcpy(b, s + 4, 4); memcpy(c, s + 8, 4);
}
static int cpuid_table(struct kvm_cpuid_entry2 *e) {
    int n = 0;
    memset(e, 0, sizeof(struct kvm_cpuid_entry2) * 12);
    e[n].function = 0; e[n].eax = 7; reg_string("Hypercourse ", &e[n].ebx, &e[n].edx, &e[n].ecx); n++;
    e[n].function = 1; e[n].eax = 0x00000601; e[n].ebx = 0x00010800; e[n].ecx = 0x80000001; e[n].edx = 0x0789A17D; n++;
    e[n].function = 7; e[n].flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX; n++;
    e[n].function = 0x40000000; e[n].eax = 0x40000000; reg_string("Hypercourse ", &e[n].ebx, &e[n].ecx, &e[n].edx); n++;
    e[n].function = 0x80000000; e[n].eax = 0x80000008; n++;
    e[n].function = 0x80000001; e[n].ecx = 1; e[n].edx = (1u << 11) | (1u << 20) | (1u << 29); n++;
    static const char brand[48] = "Hypercourse virtual CPU";
    for (int i = 0; i < 3; i++, n++) {
        e[n].function = 0x80000002 + i;
        memcpy(&e[n].eax, brand + 16 * i, 4); memcpy(&e[n].ebx, brand + 16 * i + 4, 4);
        memcpy(&e[n].ecx, brand + 16 * i + 8, 4); memcpy(&e[n].edx, brand + 16 * i + 12, 4);
    }
    e[n].function = 0x80000008; e[n].eax = 0x3024; n++;
    return n;
}

static struct kvm_segment seg(uint16_t sel, uint8_t type, uint8_t dpl, int code64) {
    struct kvm_segment s = { .base = 0, .limit = 0xFFFFFFFF, .selector = sel, .type = type, .present = 1,
        .dpl = dpl, .db = code64 ? 0 : 1, .s = 1, .l = code64, .g = 1 };
    return s;
}

static void set_entry_state(int vcpu, enum mode m, uint64_t ram_size) {
    struct kvm_sregs sr;
    if (ioctl(vcpu, KVM_GET_SREGS, &sr) < 0) die("KVM_GET_SREGS");
    struct kvm_regs r = { .rflags = 2 };
    if (m == REAL) {
        struct kvm_segment *all[] = { &sr.cs, &sr.ds, &sr.es, &sr.fs, &sr.gs, &sr.ss };
        for (int i = 0; i < 6; i++) { all[i]->selector = 0; all[i]->base = 0; }
        r.rip = REAL_LOAD; r.rsp = REAL_LOAD;
    } else {
        sr.gdt.base = GDT_ADDR; sr.gdt.limit = 9 * 8 - 1;
        sr.idt.base = 0; sr.idt.limit = 0;
        sr.tr = (struct kvm_segment){ .base = TSS_ADDR, .limit = TSS_LIMIT, .selector = 0x38, .type = 11, .present = 1 };
        struct kvm_segment code, data;
        if (m == PROTECTED) {
            code = seg(0x08, 0xB, 0, 0); data = seg(0x10, 0x3, 0, 0);
            sr.cr0 = 0x33; sr.cr4 = 0x600; sr.efer = 0;
        } else {
            code = m == USER ? seg(0x2B, 0xB, 3, 1) : seg(0x18, 0xB, 0, 1);
            data = m == USER ? seg(0x33, 0x3, 3, 0) : seg(0x20, 0x3, 0, 0);
            sr.cr0 = 0x80010033; sr.cr4 = 0x620; sr.cr3 = PML4_ADDR; sr.efer = 0x500;
        }
        sr.cs = code; sr.ds = sr.es = sr.fs = sr.gs = sr.ss = data;
        r.rip = HIGH_LOAD; r.rsp = ram_size;
        if (m == USER) r.rflags = 0x3002;
    }
    if (ioctl(vcpu, KVM_SET_SREGS, &sr) < 0) die("KVM_SET_SREGS");
    if (ioctl(vcpu, KVM_SET_REGS, &r) < 0) die("KVM_SET_REGS");
}

// One run on a fresh VM; returns microseconds from KVM_CREATE_VM to the last munmap.
static double run_once(const uint8_t *image, size_t image_size, enum mode m, uint64_t ram_size,
                       uint8_t *out, size_t *out_len) {
    int64_t start = now_ns();
    int vm = ioctl(kvm_fd, KVM_CREATE_VM, 0UL);
    if (vm < 0) die("KVM_CREATE_VM");
    uint8_t *ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (ram == MAP_FAILED) die("mmap ram");
    if (has_tss_addr && ioctl(vm, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR) < 0) die("KVM_SET_TSS_ADDR");
    if (pc_machine) {
        if (ioctl(vm, KVM_CREATE_IRQCHIP, 0UL) < 0) die("KVM_CREATE_IRQCHIP");
        struct kvm_pit_config pit = { .flags = 0 };
        if (ioctl(vm, KVM_CREATE_PIT2, &pit) < 0) die("KVM_CREATE_PIT2");
    }
    write_layout(ram, m);
    memcpy(ram + (m == REAL ? REAL_LOAD : HIGH_LOAD), image, image_size);
    struct kvm_userspace_memory_region region = { .slot = 0, .guest_phys_addr = 0, .memory_size = ram_size,
        .userspace_addr = (uint64_t)(uintptr_t)ram };
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) die("KVM_SET_USER_MEMORY_REGION");
    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0UL);
    if (vcpu < 0) die("KVM_CREATE_VCPU");
    struct kvm_run *run = mmap(NULL, vcpu_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED) die("mmap kvm_run");

    union { struct kvm_cpuid2 h; uint8_t bytes[sizeof(struct kvm_cpuid2) + 12 * sizeof(struct kvm_cpuid_entry2)]; } cpuid;
    cpuid.h.nent = cpuid_table(cpuid.h.entries);
    cpuid.h.padding = 0;
    if (ioctl(vcpu, KVM_SET_CPUID2, &cpuid) < 0) die("KVM_SET_CPUID2");
    set_entry_state(vcpu, m, ram_size);

    // Block the watchdog signal outside KVM_RUN; let it through only inside KVM_RUN.
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, wd_signal);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    struct timespec none = { 0, 0 };
    while (sigtimedwait(&block, NULL, &none) == wd_signal) {}
    union { struct kvm_signal_mask h; uint8_t bytes[sizeof(struct kvm_signal_mask) + 8]; } mask;
    mask.h.len = 8;
    memcpy(mask.h.sigset, &old, 8);
    mask.h.sigset[(wd_signal - 1) / 8] &= (uint8_t)~(1u << ((wd_signal - 1) % 8));
    if (ioctl(vcpu, KVM_SET_SIGNAL_MASK, &mask) < 0) die("KVM_SET_SIGNAL_MASK");

    pthread_mutex_lock(&wd_lock);
    wd.armed = 1; wd.fired = 0; wd.deadline = start + TIMEOUT_NS; wd.thread = pthread_self(); wd.run = run;
    int wake = wd.deadline < wd.next_wakeup; // as Watchdog.swift: no wakeup when it would wake earlier anyway
    pthread_mutex_unlock(&wd_lock);
    if (wake) pthread_cond_signal(&wd_cond);

    *out_len = 0;
    for (int done = 0; !done;) {
        if (ioctl(vcpu, KVM_RUN, 0UL) < 0) {
            if (errno == EINTR) { if (wd.fired) { fprintf(stderr, "timeout\n"); break; } continue; }
            die("KVM_RUN");
        }
        switch (run->exit_reason) {
        case KVM_EXIT_IO: {
            uint8_t *data = (uint8_t *)run + run->io.data_offset;
            if (run->io.direction == KVM_EXIT_IO_OUT) {
                if (run->io.port == COM1 && run->io.size == 1) {
                    for (uint32_t i = 0; i < run->io.count; i++) if (*out_len < 65536) out[(*out_len)++] = data[i];
                } else if (run->io.port == EXIT_PORT) done = 1;
            } else if (run->io.port == COM1 + 5 && run->io.size == 1) {
                memset(data, 0x60, run->io.count);
            } else {
                memset(data, 0xFF, (size_t)run->io.size * run->io.count);
            }
            break;
        }
        case KVM_EXIT_HLT: done = 1; break;
        default: fprintf(stderr, "unexpected exit %u\n", run->exit_reason); done = 1; break;
        }
    }
    pthread_mutex_lock(&wd_lock);
    wd.armed = 0;
    pthread_mutex_unlock(&wd_lock);
    // Let KVM complete the last access (the exit-port out) without running the guest, as the Swift path.
    run->immediate_exit = 1;
    ioctl(vcpu, KVM_RUN, 0UL);
    struct kvm_regs regs;
    if (ioctl(vcpu, KVM_GET_REGS, &regs) < 0) die("KVM_GET_REGS");
    struct timespec zero = { 0, 0 };
    while (sigtimedwait(&block, NULL, &zero) == wd_signal) {} // a late watchdog signal, as SignalBlock
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    munmap(run, vcpu_mmap_size);
    close(vcpu);
    close(vm);
    munmap(ram, ram_size);
    return (double)(now_ns() - start) / 1000.0;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    enum mode m = REAL;
    uint64_t mib = 16;
    int repeat = 1, quiet = 0;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--mode") && i + 1 < argc) {
            const char *v = argv[++i];
            m = !strcmp(v, "protected") ? PROTECTED : !strcmp(v, "long") ? LONG : !strcmp(v, "user") ? USER : REAL;
        } else if (!strcmp(argv[i], "--memory") && i + 1 < argc) mib = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--repeat") && i + 1 < argc) repeat = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--quiet")) quiet = 1;
        else if (!strcmp(argv[i], "--pc")) pc_machine = 1;
        else path = argv[i];
    }
    if (!path || repeat < 1) { fprintf(stderr, "usage: kvm_hello [--mode M] [--memory MIB] [--repeat N] IMAGE\n"); return 2; }
    FILE *f = fopen(path, "rb");
    if (!f) die(path);
    static uint8_t image[1 << 20];
    size_t image_size = fread(image, 1, sizeof image, f);
    fclose(f);

    kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm_fd < 0) die("/dev/kvm");
    if (ioctl(kvm_fd, KVM_GET_API_VERSION, 0UL) != KVM_API_VERSION) { fprintf(stderr, "bad KVM API\n"); return 70; }
    vcpu_mmap_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0UL);
    has_tss_addr = ioctl(kvm_fd, KVM_CHECK_EXTENSION, (unsigned long)KVM_CAP_SET_TSS_ADDR) > 0;
    watchdog_start();

    double *us = calloc((size_t)repeat, sizeof(double));
    static uint8_t out[65536];
    size_t out_len = 0;
    for (int i = 0; i < repeat; i++) us[i] = run_once(image, image_size, m, mib << 20, out, &out_len);
    if (!quiet) fwrite(out, 1, out_len, stdout);
    qsort(us, (size_t)repeat, sizeof(double), cmp_double);
    int p90 = (int)((repeat - 1) * 0.9 + 0.5);
    fprintf(stderr, "c runs=%d median_us=%.1f p90_us=%.1f\n", repeat, us[(repeat - 1) / 2], us[p90]);
    return 0;
}
