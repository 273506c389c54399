import CKVM

#if canImport(Glibc)
    import Glibc
#endif

/// KVM's binary statistics for one vCPU (KVM_GET_STATS_FD): counters such as `exits`, `halt_exits`,
/// `irq_injections`, `nmi_injections`, `irq_window_exits`. They vary between hosts and runs, so results
/// carry them to show, never to verify.
enum KVMStatistics {
    /// Every counter (cumulative), gauge (instant) and peak of one value, by name; histograms are left out.
    static func read(fd: Int32) -> [String: UInt64] {
        guard let header = readBytes(fd, offset: 0, count: 24) else { return [:] }
        let word = { (i: Int) in header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self) } }
        let nameSize = Int(word(1)), count = Int(word(2)), descriptors = Int(word(4)), data = Int(word(5))
        let descriptorSize = 16 + nameSize
        guard nameSize > 0, nameSize <= 4096, count <= 10_000,
            let table = readBytes(fd, offset: descriptors, count: count * descriptorSize)
        else { return [:] }
        var values: [String: UInt64] = [:]
        for index in 0..<count {
            let base = index * descriptorSize
            let fields = table.withUnsafeBytes { raw in
                (
                    flags: raw.loadUnaligned(fromByteOffset: base, as: UInt32.self),
                    size: raw.loadUnaligned(fromByteOffset: base + 6, as: UInt16.self),
                    offset: raw.loadUnaligned(fromByteOffset: base + 8, as: UInt32.self)
                )
            }
            // Type in the low four bits: 0 cumulative, 1 instant, 2 peak; 3 and 4 are histograms.
            guard fields.flags & 0xF <= 2, fields.size == 1,
                let value = readBytes(fd, offset: data + Int(fields.offset), count: 8)
            else { continue }
            let nameBytes = table[(base + 16)..<(base + 16 + nameSize)].prefix { $0 != 0 }
            values[String(decoding: nameBytes, as: UTF8.self)] = value.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        }
        return values
    }

    private static func readBytes(_ fd: Int32, offset: Int, count: Int) -> [UInt8]? {
        guard count > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: count)
        // Safe: pread writes at most `count` bytes into the array's own storage.
        let got = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
        return got == count ? bytes : nil
    }
}
