import CKVM
import Multiboot

/// What a run boots.
public enum GuestImage: Sendable, Hashable {
    /// A flat binary, loaded at the mode's load address and entered in the mode's entry state
    /// (`MachineConfig.mode`, docs/guest-machine.md).
    case flat([UInt8])
    /// A Multiboot kernel, laid out and entered as QEMU's `-kernel` does (`MultibootLoader`).
    case multiboot(MultibootKernel)
}

/// How one image fills RAM and starts the boot vCPU: checked and planned before any VM exists, so
/// a bad image costs no VM and never writes outside RAM.
struct GuestBoot {
    let image: GuestImage
    let config: MachineConfig
    private let plan: BootPlan?

    init(_ image: GuestImage, config: MachineConfig) throws(KVMError) {
        self.image = image
        self.config = config
        switch image {
        case .flat(let bytes):
            try config.validate(imageSize: bytes.count)
            plan = nil
        case .multiboot(let kernel):
            try config.validate()
            do { plan = try MultibootLoader.plan(kernel, ramBytes: config.memoryBytes) } catch { throw .badKernel(error) }
        }
    }

    /// Writes the tables and the image into fresh (zero-filled) RAM.
    func fill(_ ram: GuestRAM) {
        switch image {
        case .flat(let bytes):
            GuestLayout.writeTables(for: config.mode, into: ram)
            ram.copy(bytes, to: config.mode.loadAddress)
        case .multiboot:
            guard let plan else { return }
            GuestLayout.writeMultibootGDT(into: ram)
            for chunk in plan.chunks { ram.copy(Array(chunk.bytes), to: chunk.address) }
        }
    }

    /// Sets the boot vCPU's entry state in `sregs` (as read from the fresh vCPU) and returns its
    /// general registers.
    func enter(_ sregs: inout kvm_sregs) -> kvm_regs {
        guard let plan else { return EntryState.apply(config.mode, memoryBytes: config.memoryBytes, to: &sregs) }
        return EntryState.multiboot(entry: plan.entry, info: plan.infoAddress, to: &sregs)
    }

    /// Whether paging on the hypervisor's table address (CR3 = 0x1000) means its identity map: true
    /// for flat images, whose tables the lesson machine builds; a kernel builds its own.
    var trustsHostPageTables: Bool { plan == nil }

    /// The mode whose names fit the boot vCPU's registers at entry.
    var entryMode: GuestMode { plan == nil ? config.mode : .protected }
}
