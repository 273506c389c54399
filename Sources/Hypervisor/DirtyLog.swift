import CKVM

#if canImport(Glibc)
    import Glibc
#endif

/// The pages a guest wrote between two checkpoints, from KVM's dirty log (RAM registered with
/// KVM_MEM_LOG_DIRTY_PAGES). KVM_GET_DIRTY_LOG returns the bitmap and clears it in one call, so each
/// checkpoint counts exactly the pages written since the previous one (or since the guest started).
final class DirtyLog: Sendable {
    let vmFD: Int32
    let pages: Int

    init(vmFD: Int32, memoryBytes: UInt64) {
        self.vmFD = vmFD
        self.pages = Int(memoryBytes / 4096)
    }

    func checkpoint(_ number: UInt32, cpu: Int, exitNumber: Int) throws(KVMError) -> Checkpoint {
        var bitmap = [UInt64](repeating: 0, count: (pages + 63) / 64)
        // Safe: the bitmap has one bit for every page of the slot (KVM writes exactly that many, rounded
        // up to 64 bits), and it lives across the call.
        let result = bitmap.withUnsafeMutableBytes { ckvm_get_dirty_log(vmFD, 0, $0.baseAddress) }
        guard result == 0 else { throw .systemCall("KVM_GET_DIRTY_LOG", .current) }
        let ranges = Self.ranges(bitmap, pages: pages)
        let count = bitmap.reduce(0) { $0 + $1.nonzeroBitCount }
        return Checkpoint(number: number, cpu: cpu, exitNumber: exitNumber, pages: count, ranges: ranges)
    }

    /// Runs of consecutive set bits as byte ranges of guest-physical memory.
    static func ranges(_ bitmap: [UInt64], pages: Int) -> [PageRange] {
        var ranges: [PageRange] = []
        var start: Int?
        for page in 0...pages {
            let dirty = page < pages && bitmap[page / 64] >> UInt64(page % 64) & 1 == 1
            if dirty, start == nil { start = page }
            if !dirty, let first = start {
                ranges.append(PageRange(start: UInt64(first) * 4096, end: UInt64(page) * 4096))
                start = nil
            }
        }
        return ranges
    }
}

/// Guest-physical memory from `start` up to (not including) `end`.
public struct PageRange: Sendable, Hashable, Codable, CustomStringConvertible {
    public var start: UInt64
    public var end: UInt64

    public init(start: UInt64, end: UInt64) {
        self.start = start
        self.end = end
    }

    public var pages: Int { Int((end - start) / 4096) }
    public var description: String { hex(start) + "–" + hex(end) }
}

/// One dirty-log checkpoint: the guest wrote `number` to port 0x508.
public struct Checkpoint: Sendable, Hashable, Codable {
    /// The value the guest wrote (its own numbering).
    public var number: UInt32
    /// The vCPU that wrote it.
    public var cpu: Int
    /// The run's exit number of that write (its index in the exit timeline).
    public var exitNumber: Int
    /// 4 KiB pages written since the previous checkpoint (by any vCPU, or by KVM on the guest's behalf).
    public var pages: Int
    /// The same pages as ranges, in address order.
    public var ranges: [PageRange]

    public init(number: UInt32, cpu: Int, exitNumber: Int, pages: Int, ranges: [PageRange]) {
        self.number = number
        self.cpu = cpu
        self.exitNumber = exitNumber
        self.pages = pages
        self.ranges = ranges
    }
}
