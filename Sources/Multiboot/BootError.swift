/// Why a kernel cannot be booted: one sentence naming the problem, the file part and the addresses
/// involved. Every check of a kernel file, its Multiboot header and its modules ends in one of these;
/// nothing in this module traps or reads past the end of a file.
public struct BootError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// The file ends before a structure it declares (ELF header, program headers, segment data,
        /// Multiboot header fields).
        case truncated
        /// A valid file of a kind this loader does not boot (big-endian, another machine, an object file).
        case unsupported
        /// Fields that contradict each other (p_filesz > p_memsz, bad Multiboot address fields).
        case malformed
        /// A segment, the boot information or a module lies outside guest RAM.
        case outsideRAM
        /// Two segments claim the same memory, or a segment covers the loader's own area.
        case overlap
        /// A module file is too large for the RAM left after the kernel.
        case moduleTooLarge
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// `0x` and lowercase hex digits, as addresses are written everywhere else in the project.
func hex<T: BinaryInteger>(_ value: T) -> String { "0x" + String(value, radix: 16) }

/// `[start, end)` as `0x100000–0x10a000`.
func span(_ start: UInt64, _ end: UInt64) -> String { hex(start) + "–" + hex(end) }

/// Little-endian reads from a file's bytes: nil instead of reading past the end, with the offset
/// arithmetic overflow-checked, so hostile offsets and sizes in a header cannot trap.
struct LittleEndianBytes {
    let bytes: [UInt8]

    var count: UInt64 { UInt64(bytes.count) }

    /// Whether `offset ..< offset + length` lies inside the file.
    func contains(_ offset: UInt64, _ length: UInt64) -> Bool {
        let (end, overflow) = offset.addingReportingOverflow(length)
        return !overflow && end <= count
    }

    func u8(_ offset: UInt64) -> UInt8? { read(offset, 1).map(UInt8.init) }
    func u16(_ offset: UInt64) -> UInt16? { read(offset, 2).map(UInt16.init) }
    func u32(_ offset: UInt64) -> UInt32? { read(offset, 4).map(UInt32.init) }
    func u64(_ offset: UInt64) -> UInt64? { read(offset, 8) }

    private func read(_ offset: UInt64, _ width: UInt64) -> UInt64? {
        guard contains(offset, width) else { return nil }
        let start = Int(offset)
        return (0..<Int(width)).reduce(UInt64(0)) { $0 | UInt64(bytes[start + $1]) << (8 * UInt64($1)) }
    }
}
