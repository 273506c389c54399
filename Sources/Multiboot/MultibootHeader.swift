/// The Multiboot (version 1) header a kernel carries in its first 8 KiB, found the way QEMU's
/// `-kernel` finds it: the magic 0x1BADB002 at a 4-byte-aligned offset below 8,192 − 48, followed
/// by flags and a checksum that makes the three words sum to zero.
public struct MultibootHeader: Sendable, Hashable {
    public static let magic: UInt32 = 0x1BAD_B002
    /// What the loader puts in EAX for the kernel.
    public static let bootMagic: UInt32 = 0x2BAD_B002
    /// Flag bit 16: the header's address fields say where to load the file (the "a.out kludge").
    public static let addressFieldsFlag: UInt32 = 1 << 16
    /// Flag bit 2: the kernel asks for a video mode. Neither QEMU nor this machine has one to give.
    public static let videoModeFlag: UInt32 = 1 << 2
    /// QEMU searches offsets 0, 4, ... below this: the header (12 words at most) must fit in 8 KiB.
    static let searchEnd = 8192 - 48

    /// The header's own address fields, present when flag bit 16 is set.
    public struct Addresses: Sendable, Hashable {
        /// Where the header itself is meant to sit in memory.
        public var header: UInt32
        public var load: UInt32
        /// 0: load to the end of the file.
        public var loadEnd: UInt32
        /// 0: no bss beyond the loaded bytes.
        public var bssEnd: UInt32
        public var entry: UInt32
    }

    /// Byte offset of the magic number in the file.
    public var offset: Int
    public var flags: UInt32
    public var addresses: Addresses?

    /// The header in `bytes`, nil when there is none. Throws when the flags promise address fields
    /// the file is too short to hold.
    public static func find(in bytes: [UInt8], name: String) throws(BootError) -> MultibootHeader? {
        let file = LittleEndianBytes(bytes: bytes)
        for offset in stride(from: 0, to: min(searchEnd, bytes.count), by: 4) {
            let at = UInt64(offset)
            guard file.u32(at) == magic, let flags = file.u32(at + 4), let checksum = file.u32(at + 8),
                magic &+ flags &+ checksum == 0
            else { continue }
            var header = MultibootHeader(offset: offset, flags: flags, addresses: nil)
            if flags & addressFieldsFlag != 0 {
                guard let fields = file.u32(at + 12), let load = file.u32(at + 16), let loadEnd = file.u32(at + 20),
                    let bssEnd = file.u32(at + 24), let entry = file.u32(at + 28)
                else {
                    throw BootError(
                        .truncated,
                        "\(name): the Multiboot header at offset \(hex(offset)) sets flag bit 16 "
                            + "but the file ends before its address fields")
                }
                header.addresses = Addresses(header: fields, load: load, loadEnd: loadEnd, bssEnd: bssEnd, entry: entry)
            }
            return header
        }
        return nil
    }
}
