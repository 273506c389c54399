/// A bounds-checked view of guest RAM: guest-physical 0 ..< size, mapped at `base` in the host.
///
/// Every access the guest can steer goes through `contains(_:count:)`, which does its arithmetic with
/// overflow checks, so no guest-supplied address or length can make the host touch memory outside the
/// mapping. The view does not own the memory: `VirtualMachine` does, and outlives every view.
struct GuestRAM: @unchecked Sendable {
    // unchecked Sendable: a view is used only on the thread running its VM.
    let base: UnsafeMutableRawPointer
    let size: UInt64

    /// Whether guest-physical `address ..< address + count` lies entirely inside RAM.
    func contains(_ address: UInt64, count: UInt64) -> Bool {
        let (end, overflow) = address.addingReportingOverflow(count)
        return !overflow && end <= size
    }

    /// The little-endian integer at `address`, or nil when any byte of it is outside RAM.
    func load<T: FixedWidthInteger>(_ type: T.Type, at address: UInt64) -> T? {
        guard contains(address, count: UInt64(MemoryLayout<T>.size)) else { return nil }
        // Safe: the whole value lies inside the mapping (checked above); loadUnaligned allows any offset.
        return T(littleEndian: base.loadUnaligned(fromByteOffset: Int(address), as: T.self))
    }

    /// The bytes at `address ..< address + count`, or nil when any of them is outside RAM.
    func bytes(at address: UInt64, count: UInt64) -> UnsafeRawBufferPointer? {
        guard contains(address, count: count) else { return nil }
        // Safe: the range lies inside the mapping (checked above), which outlives this view's use.
        return UnsafeRawBufferPointer(start: base + Int(address), count: Int(count))
    }

    /// Stores a little-endian integer. Only the host's own layout code calls this, with its constants;
    /// an out-of-range store is a bug in this module, so it traps rather than corrupting memory.
    func store<T: FixedWidthInteger>(_ value: T, at address: UInt64) {
        precondition(contains(address, count: UInt64(MemoryLayout<T>.size)), "store outside guest RAM")
        // Safe: in range (checked above).
        base.storeBytes(of: value.littleEndian, toByteOffset: Int(address), as: T.self)
    }

    /// Copies `bytes` to `address`. Traps when they do not fit; callers validate image sizes first.
    func copy(_ bytes: [UInt8], to address: UInt64) {
        precondition(contains(address, count: UInt64(bytes.count)), "copy outside guest RAM")
        bytes.withUnsafeBytes { source in
            // Safe: destination range checked above; source is the array's own storage.
            if let start = source.baseAddress { (base + Int(address)).copyMemory(from: start, byteCount: source.count) }
        }
    }
}
