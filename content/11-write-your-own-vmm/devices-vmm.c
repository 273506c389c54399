// [hide]
#include "myvmm.h"
// [show]
/* The devices: a few functions, each serving one kind of access. */
#define OPEN_BUS (~0ull)                             /* what a read finds where no device answers */
#define DEVICE_BASE 0xf0001000                       /* the MMIO device's two registers */

static uint32_t adder_total;                         /* the adder's only register */

/* An OUT of `value` to `port`: -1 to go on, or the status the run ends with. */
static int port_write(uint16_t port, uint32_t value) {
    switch (port) {
    case 0x3f8: putchar(value); return -1;            /* COM1 data: the console */
    case 0x600: adder_total += value; return -1;      /* the adder */
    case 0xf4:  return value & 0xff;                  /* the exit port */
    default:    return -1;                            /* no device: the write is lost */
    }
}

/* An IN from `port`: the value the guest's register receives. */
static uint64_t port_read(uint16_t port) {
    switch (port) {
    case 0x3fd: return 0x60;                          /* COM1 line status: ready to send */
    case 0x600: return adder_total;
    default:    return OPEN_BUS;
    }
}

static void mmio_write(uint64_t address, uint64_t value) {
    if (address == DEVICE_BASE + 4) putchar(value);   /* CHAR: print one byte */
}

static uint64_t mmio_read(uint64_t address) {
    if (address == DEVICE_BASE) return 0x564d4d31;    /* ID: "VMM1" in ASCII */
    return OPEN_BUS;
}

int main(int argc, char **argv) {
    struct vm vm = vm_create(0x200000);
    vm_load(&vm, argv[1], 0x100000);
    vm_enter_protected_mode(&vm, 0x100000);
    struct kvm_run *run = vm.run;
    for (;;) {
        HC_IOCTL(vm.vcpu, KVM_RUN, 0);
        if (run->exit_reason == KVM_EXIT_IO) {
            uint8_t *data = (uint8_t *)run + run->io.data_offset;
            for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size) {
                uint64_t value = 0;
                if (run->io.direction == KVM_EXIT_IO_OUT) {
                    memcpy(&value, data, run->io.size);
                    int status = port_write(run->io.port, value);
                    if (status >= 0) return status;
                } else {
                    value = port_read(run->io.port);
                    memcpy(data, &value, run->io.size);   /* the next KVM_RUN hands it to the guest */
                }
            }
        } else if (run->exit_reason == KVM_EXIT_MMIO) {
            uint64_t value = 0;
            if (run->mmio.is_write) {
                memcpy(&value, run->mmio.data, run->mmio.len);
                mmio_write(run->mmio.phys_addr, value);
            } else {
                value = mmio_read(run->mmio.phys_addr);
                memcpy(run->mmio.data, &value, run->mmio.len);
            }
        } else if (run->exit_reason == KVM_EXIT_HLT) {
            return 0;
        } else {
            printf("[vmm] unhandled %s\n", hc_exit_name(run->exit_reason));
            return 1;
        }
    }
}
