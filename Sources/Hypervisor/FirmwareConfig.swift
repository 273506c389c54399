/// QEMU's firmware configuration interface (fw_cfg), the port I/O flavour: a 16-bit write of a key to
/// the selector port chooses an item, and each byte read from the data port returns its next byte
/// (0 past the end, and for keys with no item). Kernels written for QEMU read their CPU count and
/// RAM size here; on open bus they would read 0xFFFF processors. No DMA interface (the ID item says so).
struct FirmwareConfig: Sendable, Hashable {
    static let selectorPort: UInt16 = 0x510
    static let dataPort: UInt16 = 0x511

    /// The keys of the items this machine offers (QEMU's numbering, `include/standard-headers/linux/qemu_fw_cfg.h`).
    enum Key: UInt16, CaseIterable {
        case signature = 0x00
        case id = 0x01
        case uuid = 0x02
        case ramSize = 0x03
        case noGraphic = 0x04
        case cpuCount = 0x05
        case maxCPUs = 0x0F
        case fileDirectory = 0x19
    }

    private let items: [UInt16: [UInt8]]
    private var selected: UInt16 = 0
    private var offset = 0

    init(ramBytes: UInt64, cpus: Int) {
        items = [
            Key.signature.rawValue: Array("QEMU".utf8),
            Key.id.rawValue: Self.littleEndian(UInt32(1), count: 4), // bit 0: the traditional interface; no DMA
            Key.uuid.rawValue: [UInt8](repeating: 0, count: 16),
            Key.ramSize.rawValue: Self.littleEndian(ramBytes, count: 8),
            Key.noGraphic.rawValue: Self.littleEndian(UInt64(1), count: 2),
            Key.cpuCount.rawValue: Self.littleEndian(UInt64(cpus), count: 2),
            Key.maxCPUs.rawValue: Self.littleEndian(UInt64(cpus), count: 2),
            Key.fileDirectory.rawValue: [0, 0, 0, 0] // a big-endian count of zero files
        ]
    }

    /// A write to the selector port. The write-channel bit (0x4000) is ignored, as on a read-only
    /// QEMU; the architecture bit (0x8000) selects items this machine does not have.
    mutating func select(_ key: UInt16) {
        selected = key & ~0x4000
        offset = 0
    }

    /// One byte from the data port.
    mutating func read() -> UInt8 {
        guard let item = items[selected], offset < item.count else { return 0 }
        defer { offset += 1 }
        return item[offset]
    }

    private static func littleEndian(_ value: some FixedWidthInteger, count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }
}
