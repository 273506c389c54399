@testable import Multiboot

/// Builds small ELF executables byte by byte, so the tests can make exactly the broken files they
/// need. The first segment's data starts with a Multiboot header unless told otherwise.
struct TestELF {
    struct Segment {
        var physical: UInt64
        var virtual: UInt64? = nil
        var data: [UInt8]
        var memorySize: UInt64? = nil
        var flags: UInt32 = 5 // R X
        var type: UInt32 = 1
    }

    var wide = false
    var machine: UInt16 = 3
    var type: UInt16 = 2
    var entry: UInt64 = 0x10_0000
    var segments: [Segment] = [Segment(physical: 0x10_0000, data: TestELF.multibootHeader() + [0xF4])]

    static func multibootHeader(flags: UInt32 = 0, addresses: [UInt32] = []) -> [UInt8] {
        let words = [MultibootHeader.magic, flags, 0 &- MultibootHeader.magic &- flags] + addresses
        return words.flatMap { littleEndian($0) }
    }

    var headerSize: Int { wide ? 64 : 52 }
    var entrySize: Int { wide ? 56 : 32 }

    var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: headerSize)
        out[0...3] = [0x7F, 0x45, 0x4C, 0x46]
        out[4] = wide ? 2 : 1
        out[5] = 1
        out[6] = 1
        put(&out, 16, type)
        put(&out, 18, machine)
        put(&out, 20, UInt32(1))
        word(&out, 24, entry)
        word(&out, wide ? 32 : 28, UInt64(headerSize)) // program headers right after the header
        put(&out, wide ? 52 : 40, UInt16(headerSize))
        put(&out, wide ? 54 : 42, UInt16(entrySize))
        put(&out, wide ? 56 : 44, UInt16(segments.count))
        var dataOffset = headerSize + entrySize * segments.count
        var table: [UInt8] = []
        for segment in segments {
            var ph = [UInt8](repeating: 0, count: entrySize)
            let memory = segment.memorySize ?? UInt64(segment.data.count)
            put(&ph, 0, segment.type)
            if wide {
                put(&ph, 4, segment.flags)
                put(&ph, 8, UInt64(dataOffset)); put(&ph, 16, segment.virtual ?? segment.physical)
                put(&ph, 24, segment.physical); put(&ph, 32, UInt64(segment.data.count)); put(&ph, 40, memory)
            } else {
                put(&ph, 4, UInt32(dataOffset)); put(&ph, 8, UInt32(truncatingIfNeeded: segment.virtual ?? segment.physical))
                put(&ph, 12, UInt32(truncatingIfNeeded: segment.physical)); put(&ph, 16, UInt32(segment.data.count))
                put(&ph, 20, UInt32(truncatingIfNeeded: memory)); put(&ph, 24, segment.flags)
            }
            table += ph
            dataOffset += segment.data.count
        }
        return out + table + segments.flatMap(\.data)
    }

    private func word(_ out: inout [UInt8], _ offset: Int, _ value: UInt64) {
        if wide { put(&out, offset, value) } else { put(&out, offset, UInt32(truncatingIfNeeded: value)) }
    }

    private func put<T: FixedWidthInteger>(_ out: inout [UInt8], _ offset: Int, _ value: T) {
        for (i, byte) in littleEndian(value).enumerated() { out[offset + i] = byte }
    }

    /// Offset in `bytes` of segment `index`'s data.
    func dataOffset(of index: Int) -> Int {
        headerSize + entrySize * segments.count + segments[..<index].reduce(0) { $0 + $1.data.count }
    }
}

/// Reads back what a plan writes, as the guest would see RAM.
struct PlannedRAM {
    var bytes: [UInt8]

    init(_ plan: BootPlan, ramBytes: Int) {
        bytes = [UInt8](repeating: 0, count: ramBytes)
        for chunk in plan.chunks {
            for (i, byte) in chunk.bytes.enumerated() { bytes[Int(chunk.address) + i] = byte }
        }
    }

    func u32(_ address: UInt64) -> UInt32 {
        (0..<4).reduce(0) { $0 | UInt32(bytes[Int(address) + $1]) << (8 * UInt32($1)) }
    }

    func u64(_ address: UInt64) -> UInt64 { UInt64(u32(address)) | UInt64(u32(address + 4)) << 32 }

    func string(_ address: UInt32) -> String {
        let start = Int(address)
        let end = bytes[start...].firstIndex(of: 0) ?? bytes.count
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }
}
