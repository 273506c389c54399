/// The parts of an ELF executable a boot loader needs: class, machine, entry point and program
/// headers. Every field is read with bounds checks (`LittleEndianBytes`) and checked against the file
/// before anything trusts it.
public struct ELFFile: Sendable, Hashable {
    public enum Width: Sendable, Hashable {
        case bits32, bits64

        var name: String { self == .bits32 ? "ELF32" : "ELF64" }
    }

    /// One program header.
    public struct Segment: Sendable, Hashable {
        /// Its position in the program header table, from 0 (how errors name it).
        public var index: Int
        public var type: UInt32
        public var flags: UInt32
        public var offset: UInt64
        public var virtualAddress: UInt64
        public var physicalAddress: UInt64
        public var fileSize: UInt64
        public var memorySize: UInt64

        public static let load: UInt32 = 1
        public var isLoad: Bool { type == Self.load }
        public var isExecutable: Bool { flags & 1 != 0 }
    }

    public static let machine386: UInt16 = 3
    public static let machineX86_64: UInt16 = 62
    static let executableType: UInt16 = 2

    public var width: Width
    public var machine: UInt16
    public var entry: UInt64
    public var segments: [Segment]

    /// Whether `bytes` start with the ELF magic number (and so should parse as ELF or fail as one).
    public static func hasMagic(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 4 && bytes[0] == 0x7F && bytes[1] == 0x45 && bytes[2] == 0x4C && bytes[3] == 0x46
    }

    /// Parses an x86 or x86-64 executable. `name` is how errors name the file.
    public init(parsing bytes: [UInt8], name: String) throws(BootError) {
        let file = LittleEndianBytes(bytes: bytes)
        guard Self.hasMagic(bytes), let elfClass = file.u8(4), let encoding = file.u8(5) else {
            throw BootError(.truncated, "\(name): not an ELF file, or cut off inside its identification bytes")
        }
        switch elfClass {
        case 1: width = .bits32
        case 2: width = .bits64
        default: throw BootError(.unsupported, "\(name): unknown ELF class \(elfClass) (1 is ELF32, 2 is ELF64)")
        }
        guard encoding == 1 else {
            throw BootError(.unsupported, "\(name): a big-endian ELF file (data encoding \(encoding)); x86 kernels are little-endian")
        }
        let header = try Self.readHeader(file, width: width, name: name)
        guard header.type == Self.executableType else {
            let what =
                [
                    1: "a relocatable object (link it first)", 3: "a shared object or position-independent executable",
                    4: "a core dump"
                ][Int(header.type)] ?? "ELF type \(header.type)"
            throw BootError(.unsupported, "\(name): \(what), not an executable (ET_EXEC)")
        }
        guard header.machine == Self.machine386 || header.machine == Self.machineX86_64 else {
            throw BootError(.unsupported, "\(name): built for ELF machine \(header.machine), not x86 (3) or x86-64 (62)")
        }
        machine = header.machine
        entry = header.entry
        segments = try Self.readSegments(file, width: width, header: header, name: name)
    }

    private struct Header {
        var type: UInt16
        var machine: UInt16
        var entry: UInt64
        var programHeaderOffset: UInt64
        var programHeaderSize: UInt16
        var programHeaderCount: UInt16
    }

    private static func readHeader(_ file: LittleEndianBytes, width: Width, name: String) throws(BootError) -> Header {
        let wide = width == .bits64
        let size: UInt64 = wide ? 64 : 52
        guard file.contains(0, size) else {
            throw BootError(.truncated, "\(name): the \(width.name) header needs \(size) bytes, the file has \(file.count)")
        }
        // In range: checked just above, so every read below succeeds.
        let word = { (offset: UInt64) in wide ? file.u64(offset)! : UInt64(file.u32(offset)!) }
        return Header(
            type: file.u16(16)!, machine: file.u16(18)!, entry: word(24), programHeaderOffset: word(wide ? 32 : 28),
            programHeaderSize: file.u16(wide ? 54 : 42)!, programHeaderCount: file.u16(wide ? 56 : 44)!)
    }

    private static func readSegments(
        _ file: LittleEndianBytes, width: Width, header: Header,
        name: String
    ) throws(BootError) -> [Segment] {
        let wide = width == .bits64
        let entrySize = UInt64(header.programHeaderSize), count = UInt64(header.programHeaderCount)
        let needed: UInt64 = wide ? 56 : 32
        guard count > 0 else { throw BootError(.malformed, "\(name): no program headers, so nothing to load") }
        guard entrySize >= needed else {
            throw BootError(.malformed, "\(name): program headers of \(entrySize) bytes; \(width.name) needs at least \(needed)")
        }
        // count ≤ 65,535 and entrySize ≤ 65,535, so the product cannot overflow 64 bits.
        guard file.contains(header.programHeaderOffset, entrySize * count) else {
            throw BootError(
                .truncated,
                "\(name): the \(count) program headers at offset \(hex(header.programHeaderOffset)) "
                    + "run past the end of the \(file.count)-byte file")
        }
        return try (0..<Int(count)).map { (index: Int) throws(BootError) -> Segment in
            let base = header.programHeaderOffset + UInt64(index) * entrySize
            // In range: the whole table was checked above.
            let segment =
                wide
                ? Segment(
                    index: index, type: file.u32(base)!, flags: file.u32(base + 4)!, offset: file.u64(base + 8)!,
                    virtualAddress: file.u64(base + 16)!, physicalAddress: file.u64(base + 24)!,
                    fileSize: file.u64(base + 32)!, memorySize: file.u64(base + 40)!)
                : Segment(
                    index: index, type: file.u32(base)!, flags: file.u32(base + 24)!, offset: UInt64(file.u32(base + 4)!),
                    virtualAddress: UInt64(file.u32(base + 8)!), physicalAddress: UInt64(file.u32(base + 12)!),
                    fileSize: UInt64(file.u32(base + 16)!), memorySize: UInt64(file.u32(base + 20)!))
            try check(segment, file: file, name: name)
            return segment
        }
    }

    private static func check(_ segment: Segment, file: LittleEndianBytes, name: String) throws(BootError) {
        guard segment.isLoad else { return }
        guard segment.fileSize <= segment.memorySize else {
            throw BootError(
                .malformed,
                "\(name): segment \(segment.index) has \(segment.fileSize) bytes in the file "
                    + "but only \(segment.memorySize) in memory (p_filesz > p_memsz)")
        }
        guard file.contains(segment.offset, segment.fileSize) else {
            throw BootError(
                .truncated,
                "\(name): segment \(segment.index) takes \(segment.fileSize) bytes from offset "
                    + "\(hex(segment.offset)), past the end of the \(file.count)-byte file")
        }
    }
}
