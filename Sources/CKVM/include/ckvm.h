// C shim for <linux/kvm.h>. Holds no logic.
//
// Swift cannot import the _IO*/_IOW*/_IOR* request macros (they expand to expressions with casts and
// sizeof), nor call the variadic ioctl(2). This header exports each request number the hypervisor
// uses as a constant, and gives ioctl one non-variadic wrapper per argument kind, so that an integer
// argument is always passed at the full width of `unsigned long`, as the kernel reads it.
#pragma once
#include <linux/kvm.h>
#include <signal.h>
#include <sys/ioctl.h>

// MARK: request numbers (system fd)
static const unsigned long CKVM_GET_API_VERSION = KVM_GET_API_VERSION;
static const unsigned long CKVM_CREATE_VM = KVM_CREATE_VM;
static const unsigned long CKVM_CHECK_EXTENSION = KVM_CHECK_EXTENSION;
static const unsigned long CKVM_GET_VCPU_MMAP_SIZE = KVM_GET_VCPU_MMAP_SIZE;
static const unsigned long CKVM_GET_SUPPORTED_CPUID = KVM_GET_SUPPORTED_CPUID;

// MARK: request numbers (VM fd)
static const unsigned long CKVM_SET_USER_MEMORY_REGION = KVM_SET_USER_MEMORY_REGION;
static const unsigned long CKVM_SET_TSS_ADDR = KVM_SET_TSS_ADDR;
static const unsigned long CKVM_CREATE_VCPU = KVM_CREATE_VCPU;
static const unsigned long CKVM_CREATE_IRQCHIP = KVM_CREATE_IRQCHIP;
static const unsigned long CKVM_CREATE_PIT2 = KVM_CREATE_PIT2;

// MARK: request numbers (vCPU fd)
static const unsigned long CKVM_RUN = KVM_RUN;
static const unsigned long CKVM_GET_REGS = KVM_GET_REGS;
static const unsigned long CKVM_SET_REGS = KVM_SET_REGS;
static const unsigned long CKVM_GET_SREGS = KVM_GET_SREGS;
static const unsigned long CKVM_SET_SREGS = KVM_SET_SREGS;
static const unsigned long CKVM_SET_CPUID2 = KVM_SET_CPUID2;
static const unsigned long CKVM_SET_GUEST_DEBUG = KVM_SET_GUEST_DEBUG;
static const unsigned long CKVM_SET_SIGNAL_MASK = KVM_SET_SIGNAL_MASK;
static const unsigned long CKVM_GET_MP_STATE = KVM_GET_MP_STATE;
static const unsigned long CKVM_TRANSLATE = KVM_TRANSLATE;
static const unsigned long CKVM_GET_VCPU_EVENTS = KVM_GET_VCPU_EVENTS;
static const unsigned long CKVM_SET_VCPU_EVENTS = KVM_SET_VCPU_EVENTS;
static const unsigned long CKVM_GET_STATS_FD = KVM_GET_STATS_FD;
static const unsigned long CKVM_GET_MSRS = KVM_GET_MSRS;
static const unsigned long CKVM_SET_MSRS = KVM_SET_MSRS;

// MARK: structures

/// The argument of KVM_GET_MSRS / KVM_SET_MSRS for one MSR: `struct kvm_msrs` ends in a flexible
/// array, which Swift cannot size, so its header fields are spelled out before the one entry.
struct ckvm_one_msr {
    __u32 nmsrs;
    __u32 pad;
    struct kvm_msr_entry entry;
};

// MARK: flag values whose macros are expressions
static const unsigned long long CKVM_SYNC_X86_REGS = KVM_SYNC_X86_REGS;
static const unsigned long long CKVM_SYNC_X86_SREGS = KVM_SYNC_X86_SREGS;
static const unsigned int CKVM_GUESTDBG_ENABLE = KVM_GUESTDBG_ENABLE;
static const unsigned int CKVM_GUESTDBG_SINGLESTEP = KVM_GUESTDBG_SINGLESTEP;

/// The first real-time signal glibc leaves to applications (SIGRTMIN is a function call in glibc).
static inline int ckvm_sigrtmin(void) { return SIGRTMIN; }

/// The host's time-stamp counter (`rdtsc` is a compiler intrinsic Swift cannot call), to compare
/// with what a guest reads.
static inline unsigned long long ckvm_host_tsc(void) { return __builtin_ia32_rdtsc(); }

// MARK: ioctl wrappers, one per argument kind

/// An ioctl whose argument the kernel reads as an integer (KVM_CREATE_VM, KVM_CHECK_EXTENSION, ...).
static inline int ckvm_ioctl_value(int fd, unsigned long request, unsigned long value) {
    return ioctl(fd, request, value);
}

/// An ioctl whose argument is a pointer to a structure the kernel reads or fills.
static inline int ckvm_ioctl_pointer(int fd, unsigned long request, void *pointer) {
    return ioctl(fd, request, pointer);
}

// MARK: kvm_run access (the union members Swift reaches awkwardly)

/// Start of the port-I/O data buffer inside the mapped kvm_run (data_offset is relative to kvm_run).
static inline void *ckvm_run_io_data(struct kvm_run *run) { return (char *)run + run->io.data_offset; }

/// The 8-byte MMIO data buffer inside the mapped kvm_run.
static inline void *ckvm_run_mmio_data(struct kvm_run *run) { return run->mmio.data; }

/// KVM_GET_DIRTY_LOG for one slot into `bitmap` (one bit a page): the bitmap pointer sits in an
/// anonymous union Swift does not reach.
static inline int ckvm_get_dirty_log(int vm_fd, unsigned int slot, void *bitmap) {
    struct kvm_dirty_log log = { .slot = slot };
    log.dirty_bitmap = bitmap;
    return ioctl(vm_fd, KVM_GET_DIRTY_LOG, &log);
}

/// Sets immediate_exit from another thread (the watchdog) with a real atomic store.
static inline void ckvm_request_immediate_exit(struct kvm_run *run) {
    __atomic_store_n(&run->immediate_exit, 1, __ATOMIC_SEQ_CST);
}
