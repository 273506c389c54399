/// Where a Multiboot kernel, its modules and its boot information go in guest RAM: bytes to copy
/// (RAM starts zero-filled, so zero fill needs no entry), the entry point, and the address of the
/// information structure. Every range in it lies inside the RAM it was planned for.
public struct BootPlan: Sendable, Hashable {
    public struct Chunk: Sendable, Hashable {
        public var address: UInt64
        public var bytes: ArraySlice<UInt8>
    }

    public struct LoadedModule: Sendable, Hashable {
        public var start: UInt64
        public var end: UInt64
        public var string: String
    }

    public var chunks: [Chunk]
    /// EIP at entry.
    public var entry: UInt32
    /// EBX at entry: the Multiboot information structure.
    public var infoAddress: UInt32
    /// The kernel's memory, bss included: [low, high).
    public var kernelStart: UInt64
    public var kernelEnd: UInt64
    public var modules: [LoadedModule]
    public var commandLine: String
}

/// QEMU's addresses for what the loader writes itself, and this machine's memory map.
public enum MultibootLayout {
    /// The memory map (e820-style entries of 24 bytes, each starting with its size, 20).
    public static let memoryMapAddress: UInt64 = 0x9000
    /// The 88-byte Multiboot information structure.
    public static let infoAddress: UInt64 = 0x9500
    public static let infoSize = 88
    /// The loader's area, which no kernel segment may overlap: the memory map, the information
    /// structure, and the GDT the hypervisor enters the kernel with (at `gdtAddress`).
    public static let loaderArea: Range<UInt64> = 0x9000..<0x9700
    public static let gdtAddress: UInt64 = 0x9600
    /// The `boot_loader_name` string.
    public static let bootloaderName = "hypercourse"
    static let pageSize: UInt64 = 4096

    /// Conventional memory as a PC BIOS reports it (639 KiB, the last KiB being the EBDA), in bytes.
    public static let conventionalMemoryEnd: UInt64 = 0x9_FC00

    /// (start, length, type) of each memory-map entry for `ramBytes` of RAM from address 0: the
    /// conventional memory, the EBDA and BIOS areas a PC reserves (type 2), and RAM from 1 MiB up.
    public static func memoryMap(ramBytes: UInt64) -> [(start: UInt64, length: UInt64, type: UInt32)] {
        var map: [(start: UInt64, length: UInt64, type: UInt32)] = [
            (0, conventionalMemoryEnd, 1),
            (conventionalMemoryEnd, 0xA_0000 - conventionalMemoryEnd, 2),
            (0xF_0000, 0x1_0000, 2)
        ]
        if ramBytes > 0x10_0000 { map.append((0x10_0000, ramBytes - 0x10_0000, 1)) }
        return map
    }

    static func pageAlign(_ value: UInt64) -> UInt64 { (value + pageSize - 1) & ~(pageSize - 1) }
}
