import CKVM

#if canImport(Glibc)
    import Glibc
#endif

/// One VM: its file descriptor and its RAM, mapped at guest-physical 0 in memory slot 0.
/// Created fresh for every run and torn down (fd closed, RAM unmapped) when released.
final class VirtualMachine {
    let fd: Int32
    let ram: GuestRAM

    /// Creates the VM and its RAM; `prepare` fills RAM (tables, image) before KVM maps it into the guest,
    /// so with `dirtyLog` only the guest's own writes are logged.
    init(system: KVMSystem, memoryBytes: UInt64, dirtyLog: Bool = false, prepare: (GuestRAM) -> Void) throws(KVMError) {
        let fd = ckvm_ioctl_value(system.fd, CKVM_CREATE_VM, 0)
        guard fd >= 0 else { throw .systemCall("KVM_CREATE_VM", .current) }
        // NORESERVE and anonymous: pages are zero-filled and cost nothing until the guest touches them.
        guard
            let base = mmap(
                nil, Int(memoryBytes), PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
            base != MAP_FAILED
        else {
            let error = Errno.current
            close(fd)
            throw .systemCall("mmap of \(memoryBytes >> 20) MiB guest RAM", error)
        }
        self.fd = fd
        self.ram = GuestRAM(base: base, size: memoryBytes)
        // From here on, deinit releases both.
        if system.needsTSSAddress {
            // Intel needs three pages of guest-physical space for real mode; they lie outside RAM.
            guard ckvm_ioctl_value(fd, CKVM_SET_TSS_ADDR, UInt(GuestLayout.kvmTSSAddress)) == 0 else {
                throw .systemCall("KVM_SET_TSS_ADDR", .current)
            }
        }
        prepare(ram)
        var region = kvm_userspace_memory_region(
            slot: 0, flags: dirtyLog ? UInt32(KVM_MEM_LOG_DIRTY_PAGES) : 0, guest_phys_addr: 0, memory_size: memoryBytes,
            userspace_addr: UInt64(UInt(bitPattern: base)))
        // Safe: the region struct lives across the call; KVM copies it.
        guard ckvm_ioctl_pointer(fd, CKVM_SET_USER_MEMORY_REGION, &region) == 0 else {
            throw .systemCall("KVM_SET_USER_MEMORY_REGION", .current)
        }
    }

    /// The `pc` machine's interrupt controllers and timer, in the kernel: two 8259 PICs, an IOAPIC and a
    /// local APIC per vCPU (KVM_CREATE_IRQCHIP, before any vCPU exists), and an 8254 PIT whose speaker
    /// port 0x61 KVM answers too (KVM_CREATE_PIT2 with KVM_PIT_SPEAKER_DUMMY), as QEMU sets them up.
    func createInterruptControllers() throws(KVMError) {
        guard ckvm_ioctl_value(fd, CKVM_CREATE_IRQCHIP, 0) == 0 else { throw .systemCall("KVM_CREATE_IRQCHIP", .current) }
        var pit = kvm_pit_config()
        pit.flags = UInt32(KVM_PIT_SPEAKER_DUMMY)
        // Safe: the config struct lives across the call; KVM copies it.
        guard ckvm_ioctl_pointer(fd, CKVM_CREATE_PIT2, &pit) == 0 else { throw .systemCall("KVM_CREATE_PIT2", .current) }
    }

    deinit {
        close(fd)
        // Safe: the vCPU (which holds a reference to us) is gone, so KVM no longer maps this memory.
        munmap(ram.base, Int(ram.size))
    }
}
