/// COM1: a 16550 UART with nothing attached. Bytes written to the transmit register are the guest's
/// output; everything else reads as an idle 16550, so polling drivers (and the divisor-latch dance of
/// a real driver's init) work. No interrupts: the machine has no interrupt controller.
struct UART: Sendable, Hashable {
    static let lineStatusTransmitterEmpty: UInt8 = 0x60 // THRE | TEMT: always ready to send
    static let modemStatusIdle: UInt8 = 0xB0 // DCD | DSR | CTS
    static let interruptNonePending: UInt8 = 0x01

    var interruptEnable: UInt8 = 0
    var lineControl: UInt8 = 0
    var modemControl: UInt8 = 0
    var scratch: UInt8 = 0
    var divisorLow: UInt8 = 0x0C // 9600 baud, as after a PC BIOS
    var divisorHigh: UInt8 = 0
    var fifoEnabled = false

    private var divisorLatch: Bool { lineControl & 0x80 != 0 }

    /// The register at `offset` (0...7) as the guest reads it.
    func read(_ offset: UInt16) -> UInt8 {
        switch offset {
        case 0: divisorLatch ? divisorLow : 0 // receive buffer: never any data
        case 1: divisorLatch ? divisorHigh : interruptEnable
        case 2: Self.interruptNonePending | (fifoEnabled ? 0xC0 : 0)
        case 3: lineControl
        case 4: modemControl
        case 5: Self.lineStatusTransmitterEmpty
        case 6: Self.modemStatusIdle
        default: scratch
        }
    }

    /// Writes the register at `offset`; returns the byte when it is transmitted.
    mutating func write(_ offset: UInt16, _ value: UInt8) -> UInt8? {
        switch offset {
        case 0:
            if divisorLatch { divisorLow = value } else { return value }
        case 1:
            if divisorLatch { divisorHigh = value } else { interruptEnable = value & 0x0F }
        case 2: fifoEnabled = value & 1 != 0
        case 3: lineControl = value
        case 4: modemControl = value & 0x1F
        case 7: scratch = value
        default: break // line and modem status are read-only
        }
        return nil
    }
}

/// The paravirtual console on port 0x500: one exit prints a whole block.
///
/// A 32-bit write of guest-physical address A, where A holds a little-endian u32 length n followed by n
/// bytes, appends those bytes to the output. A 32-bit read then returns the status of that request.
public enum ParavirtualConsole {
    /// Status codes read back from port 0x500. Part of the guest contract: never renumber.
    public enum Status: UInt32, Error, Sendable, CaseIterable {
        case ok = 0
        /// The 4-byte length, or the block it announces, is not entirely inside RAM.
        case outsideRAM = 1
        /// A + 4 + n does not fit in 32 bits: the block would wrap around the address space.
        case lengthOverflow = 2
        /// Appending n bytes would exceed the output limit; nothing was appended.
        case overOutputLimit = 3
        /// The request was not a 32-bit write.
        case badAccessSize = 4
        /// No request has been made yet.
        case noRequest = 5
    }

    /// Validates a request with overflow-checked arithmetic and returns the block to append, or why not.
    static func request(
        at address: UInt32, memory: GuestRAM, outputCount: Int, outputLimit: Int
    )
        -> Result<UnsafeRawBufferPointer, Status>
    {
        let header = UInt64(address)
        guard let length = memory.load(UInt32.self, at: header) else { return .failure(.outsideRAM) }
        // Both terms are below 2^32, so this 64-bit sum cannot overflow; the contract's limit is 2^32.
        let end = header + 4 + UInt64(length)
        guard end <= 1 << 32 else { return .failure(.lengthOverflow) }
        guard let block = memory.bytes(at: header + 4, count: UInt64(length)) else {
            return .failure(.outsideRAM)
        }
        let (total, overflow) = outputCount.addingReportingOverflow(Int(length))
        guard !overflow, total <= outputLimit else { return .failure(.overOutputLimit) }
        return .success(block)
    }
}
