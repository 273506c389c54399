/// The memory a kernel file asks for, before the loader adds its modules and strings: pieces of the
/// file at physical addresses (with zero fill up to each piece's memory size), and the entry point.
/// Built from ELF program headers, or from the Multiboot header's address fields (flag bit 16).
struct KernelImage {
    struct Piece {
        /// How errors name it: `segment 2`, or `the image the header's address fields describe`.
        var what: String
        var address: UInt64
        var memorySize: UInt64
        var bytes: ArraySlice<UInt8>

        var end: UInt64 { address + memorySize } // checked not to overflow when the piece is made
    }

    var pieces: [Piece]
    var entry: UInt32

    var low: UInt64 { pieces.map(\.address).min() ?? 0 }
    var high: UInt64 { pieces.map(\.end).max() ?? 0 }

    /// From an ELF executable's PT_LOAD segments (empty ones skipped), at their physical addresses.
    /// The entry is translated from virtual to physical when a segment's addresses differ and the
    /// entry lies in its executable file bytes, as QEMU's ELF loader does.
    static func elf(_ bytes: [UInt8], name: String) throws(BootError) -> KernelImage {
        let elf = try ELFFile(parsing: bytes, name: name)
        var entry = elf.entry
        var pieces: [Piece] = []
        for segment in elf.segments where segment.isLoad && segment.memorySize > 0 {
            let (_, overflow) = segment.physicalAddress.addingReportingOverflow(segment.memorySize)
            guard !overflow else {
                throw BootError(
                    .outsideRAM,
                    "\(name): segment \(segment.index) at \(hex(segment.physicalAddress)) with "
                        + "\(segment.memorySize) bytes wraps around the address space")
            }
            let start = Int(segment.offset) // in the file: ELFFile checked offset + fileSize
            pieces.append(
                Piece(
                    what: "segment \(segment.index)", address: segment.physicalAddress,
                    memorySize: segment.memorySize,
                    bytes: bytes[start..<start + Int(segment.fileSize)]))
            if segment.virtualAddress != segment.physicalAddress, segment.isExecutable,
                elf.entry >= segment.virtualAddress, elf.entry - segment.virtualAddress < segment.fileSize
            {
                entry = elf.entry - segment.virtualAddress + segment.physicalAddress
            }
        }
        guard !pieces.isEmpty else { throw BootError(.malformed, "\(name): no loadable (PT_LOAD) segment with any bytes") }
        guard let entry32 = UInt32(exactly: entry) else {
            throw BootError(
                .unsupported,
                "\(name): entry point \(hex(entry)) is above 4 GiB; a Multiboot kernel "
                    + "starts in 32-bit protected mode")
        }
        return KernelImage(pieces: pieces, entry: entry32)
    }

    /// From the Multiboot header's address fields, with QEMU's checks.
    static func addressFields(
        _ fields: MultibootHeader.Addresses, headerOffset: Int, bytes: [UInt8],
        name: String
    ) throws(BootError) -> KernelImage {
        let what = "\(name): the Multiboot header's address fields"
        guard fields.header >= fields.load else {
            throw BootError(.malformed, "\(what): header_addr \(hex(fields.header)) is below load_addr \(hex(fields.load))")
        }
        guard fields.header - fields.load <= UInt32(headerOffset) else {
            throw BootError(
                .malformed,
                "\(what): header_addr − load_addr (\(hex(fields.header - fields.load))) is more "
                    + "than the header's offset in the file (\(hex(headerOffset)))")
        }
        let textOffset = UInt64(UInt32(headerOffset) - (fields.header - fields.load))
        let loadSize: UInt64
        if fields.loadEnd != 0 {
            guard fields.loadEnd >= fields.load else {
                throw BootError(.malformed, "\(what): load_end_addr \(hex(fields.loadEnd)) is below load_addr \(hex(fields.load))")
            }
            loadSize = UInt64(fields.loadEnd - fields.load)
        } else {
            loadSize = UInt64(bytes.count) - textOffset
        }
        guard textOffset + loadSize <= UInt64(bytes.count) else {
            throw BootError(
                .truncated,
                "\(what) load \(loadSize) bytes from offset \(hex(textOffset)), past the end "
                    + "of the \(bytes.count)-byte file")
        }
        let load = UInt64(fields.load)
        guard load + loadSize <= 1 << 32 else {
            throw BootError(.outsideRAM, "\(what): \(loadSize) bytes at \(hex(load)) go past 4 GiB")
        }
        var memorySize = loadSize
        if fields.bssEnd != 0 {
            guard UInt64(fields.bssEnd) >= load + loadSize else {
                throw BootError(
                    .malformed,
                    "\(what): bss_end_addr \(hex(fields.bssEnd)) is below the end of the loaded "
                        + "bytes (\(hex(load + loadSize)))")
            }
            memorySize = UInt64(fields.bssEnd) - load
        }
        let piece = Piece(
            what: "the image its address fields describe", address: load, memorySize: memorySize,
            bytes: bytes[Int(textOffset)..<Int(textOffset + loadSize)])
        return KernelImage(pieces: [piece], entry: fields.entry)
    }

    /// Every piece inside RAM, none overlapping another or the loader's own area.
    func check(ramBytes: UInt64, loaderArea: Range<UInt64>, name: String) throws(BootError) {
        for piece in pieces {
            guard piece.end <= ramBytes else {
                throw BootError(
                    .outsideRAM,
                    "\(name): \(piece.what) covers \(span(piece.address, piece.end)), outside "
                        + "the \(ramBytes >> 20) MiB of RAM (\(span(0, ramBytes)))")
            }
            guard piece.end <= loaderArea.lowerBound || piece.address >= loaderArea.upperBound else {
                throw BootError(
                    .overlap,
                    "\(name): \(piece.what) covers \(span(piece.address, piece.end)), which "
                        + "overlaps the boot information at \(span(loaderArea.lowerBound, loaderArea.upperBound))")
            }
        }
        let sorted = pieces.sorted { $0.address < $1.address }
        for (previous, next) in zip(sorted, sorted.dropFirst()) where next.address < previous.end {
            throw BootError(
                .overlap,
                "\(name): \(previous.what) (\(span(previous.address, previous.end))) and "
                    + "\(next.what) (\(span(next.address, next.end))) overlap")
        }
    }
}
