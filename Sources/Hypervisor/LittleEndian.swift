/// Reads the little-endian integers of guest memory, port and MMIO data and CPUID strings: x86 stores
/// every multi-byte value lowest byte first, whatever the host's order.
enum LittleEndian {
    /// The value of `size` bytes at `offset` (only the first 8 count: nothing wider fits a UInt64).
    static func value<Bytes: RandomAccessCollection>(_ bytes: Bytes, at offset: Int, size: Int) -> UInt64
    where Bytes.Element == UInt8, Bytes.Index == Int {
        let start = bytes.startIndex + offset
        return (0..<min(size, 8)).reduce(0) { $0 | UInt64(bytes[start + $1]) << (8 * UInt64($1)) }
    }
}
