/// The Multiboot information structure and memory map, as bytes. The fields QEMU fills are filled
/// the same way (flags 0x24f: memory, boot device, command line, modules, memory map, boot loader
/// name); `mem_lower` and `mem_upper` and the map describe this machine's RAM.
struct MultibootInfo {
    static let flagMemory: UInt32 = 1 << 0
    static let flagBootDevice: UInt32 = 1 << 1
    static let flagCommandLine: UInt32 = 1 << 2
    static let flagModules: UInt32 = 1 << 3
    static let flagMemoryMap: UInt32 = 1 << 6
    static let flagBootloaderName: UInt32 = 1 << 9
    /// No BIOS drive: QEMU's value.
    static let bootDevice: UInt32 = 0x8000_FFFF

    let ramBytes: UInt64
    let commandLine: UInt64
    let moduleCount: UInt64
    let moduleList: UInt64
    let bootloaderName: UInt64

    /// Entries of 24 bytes: `size` (20), then base, length and type.
    var memoryMapBytes: [UInt8] {
        MultibootLayout.memoryMap(ramBytes: ramBytes).flatMap { entry in
            littleEndian(UInt32(20)) + littleEndian(entry.start) + littleEndian(entry.length) + littleEndian(entry.type)
        }
    }

    /// KiB of memory below 640 KiB and, from 1 MiB, up to the first hole (here: the end of RAM).
    var lowerKiB: UInt32 { UInt32(MultibootLayout.conventionalMemoryEnd / 1024) }
    var upperKiB: UInt32 { ramBytes > 0x10_0000 ? UInt32((ramBytes - 0x10_0000) / 1024) : 0 }

    var structureBytes: [UInt8] {
        var bytes = [UInt8](repeating: 0, count: MultibootLayout.infoSize)
        func put(_ value: UInt32, at offset: Int) {
            for (i, byte) in littleEndian(value).enumerated() { bytes[offset + i] = byte }
        }
        put(
            Self.flagMemory | Self.flagBootDevice | Self.flagCommandLine | Self.flagModules | Self.flagMemoryMap
                | Self.flagBootloaderName, at: 0)
        put(lowerKiB, at: 4)
        put(upperKiB, at: 8)
        put(Self.bootDevice, at: 12)
        put(UInt32(commandLine), at: 16)
        put(UInt32(moduleCount), at: 20)
        put(UInt32(moduleList), at: 24)
        put(UInt32(memoryMapBytes.count), at: 44)
        put(UInt32(MultibootLayout.memoryMapAddress), at: 48)
        put(UInt32(bootloaderName), at: 64)
        return bytes
    }
}
