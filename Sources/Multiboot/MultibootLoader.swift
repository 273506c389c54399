/// Plans a Multiboot boot exactly as QEMU's `-kernel` lays it out (hw/i386/multiboot.c): the kernel at
/// its own addresses; right after it, page-aligned, the module list, the module strings, the kernel
/// command line and the boot loader's name; then each module, page-aligned. The memory map and the
/// information structure go at 0x9000 and 0x9500. Pure: it only computes, and checks every range
/// against RAM before anything is written.
public enum MultibootLoader {
    public static func plan(_ kernel: MultibootKernel, ramBytes: UInt64) throws(BootError) -> BootPlan {
        let name = kernel.name
        guard let header = try MultibootHeader.find(in: kernel.file, name: name) else {
            throw BootError(
                .unsupported,
                "\(name): no Multiboot header (magic 0x1badb002 with a valid checksum) "
                    + "in the first 8 KiB")
        }
        let image: KernelImage
        if let fields = header.addresses {
            image = try .addressFields(fields, headerOffset: header.offset, bytes: kernel.file, name: name)
        } else if ELFFile.hasMagic(kernel.file) {
            image = try .elf(kernel.file, name: name)
        } else {
            throw BootError(
                .unsupported,
                "\(name): the Multiboot header has no address fields (flag bit 16) and "
                    + "the file is not ELF, so nothing says where to load it")
        }
        try image.check(ramBytes: ramBytes, loaderArea: MultibootLayout.loaderArea, name: name)
        return try layOut(kernel, image: image, ramBytes: ramBytes)
    }

    private static func layOut(_ kernel: MultibootKernel, image: KernelImage, ramBytes: UInt64) throws(BootError) -> BootPlan {
        let base = image.low
        let listOffset = MultibootLayout.pageAlign(image.high - base)
        let moduleCount = UInt64(kernel.modules.count)
        let stringsOffset = listOffset + 16 * moduleCount
        var strings: [UInt8] = []
        var moduleStrings: [UInt64] = []
        for module in kernel.modules {
            moduleStrings.append(base + stringsOffset + UInt64(strings.count))
            strings += Array(module.string.utf8) + [0]
        }
        let commandLineAddress = base + stringsOffset + UInt64(strings.count)
        strings += Array(kernel.commandLine.utf8) + [0]
        let bootloaderAddress = base + stringsOffset + UInt64(strings.count)
        strings += Array(MultibootLayout.bootloaderName.utf8) + [0]
        var size = MultibootLayout.pageAlign(stringsOffset + UInt64(strings.count))
        guard base + size <= ramBytes else {
            throw BootError(
                .outsideRAM,
                "\(kernel.name): no room in RAM after the kernel (which ends at "
                    + "\(hex(image.high))) for the module list and command line: they need up to \(hex(base + size)), "
                    + "RAM ends at \(hex(ramBytes))")
        }
        var list: [UInt8] = []
        var chunks = image.pieces.map { BootPlan.Chunk(address: $0.address, bytes: $0.bytes) }
        var loaded: [BootPlan.LoadedModule] = []
        for (index, module) in kernel.modules.enumerated() {
            let start = base + size, length = UInt64(module.bytes.count)
            guard start + length <= ramBytes else {
                throw BootError(
                    .moduleTooLarge,
                    "\(kernel.name): module \(index + 1) '\(MultibootKernel.Module.fileName(of: module.string))' "
                        + "(\(length) bytes) does not fit in RAM: it would occupy \(span(start, start + length)), "
                        + "RAM ends at \(hex(ramBytes))")
            }
            chunks.append(BootPlan.Chunk(address: start, bytes: module.bytes[...]))
            loaded.append(BootPlan.LoadedModule(start: start, end: start + length, string: module.string))
            for word in [start, start + length, moduleStrings[index], 0] { list += littleEndian(UInt32(word)) }
            size = MultibootLayout.pageAlign(size + length)
        }
        chunks.append(BootPlan.Chunk(address: base + listOffset, bytes: (list + strings)[...]))
        let info = MultibootInfo(
            ramBytes: ramBytes, commandLine: commandLineAddress, moduleCount: moduleCount,
            moduleList: base + listOffset, bootloaderName: bootloaderAddress)
        chunks.append(BootPlan.Chunk(address: MultibootLayout.memoryMapAddress, bytes: info.memoryMapBytes[...]))
        chunks.append(BootPlan.Chunk(address: MultibootLayout.infoAddress, bytes: info.structureBytes[...]))
        return BootPlan(
            chunks: chunks, entry: image.entry, infoAddress: UInt32(MultibootLayout.infoAddress),
            kernelStart: image.low, kernelEnd: image.high, modules: loaded, commandLine: kernel.commandLine)
    }
}

func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    (0..<MemoryLayout<T>.size).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
}
