import Testing

@testable import Hypervisor

/// Port 0x500 with hostile guest values, on synthetic exits over 1 MiB of fake RAM.
@Suite struct ParavirtualConsoleTests {
    let memory = TestRAM(size: 1 << 20)
    var size: UInt32 { UInt32(memory.buffer.count) }

    func put(_ value: UInt32, at address: Int) {
        for i in 0..<4 { memory.buffer[address + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
    }

    /// Writes `address` to port 0x500 (as a `size`-byte write) and reads the status back.
    func request(
        _ address: UInt32, size: Int = 4, outputLimit: Int = 1 << 16,
        into d: inout ExitDispatcher
    ) -> UInt32 {
        let data = UnsafeMutableRawBufferPointer.allocate(byteCount: 8, alignment: 8)
        defer { data.deallocate() }
        for i in 0..<4 { data[i] = UInt8(truncatingIfNeeded: address >> (8 * i)) }
        _ = d.dispatch(.io(PortAccess(port: 0x500, size: size, count: 1, isWrite: true), data: data))
        _ = d.dispatch(.io(PortAccess(port: 0x500, size: 4, count: 1, isWrite: false), data: data))
        return (0..<4).reduce(0) { $0 | UInt32(data[$1]) << (8 * $1) }
    }

    func fresh(outputLimit: Int = 1 << 16) -> ExitDispatcher {
        ExitDispatcher(memory: memory.ram, outputLimit: outputLimit, exitLimit: 1000, recordsAccesses: false)
    }

    @Test func aBlockIsAppendedInOneExit() {
        put(5, at: 0x1000)
        for (i, byte) in "Hello".utf8.enumerated() { memory.buffer[0x1004 + i] = byte }
        var d = fresh()
        #expect(request(0x1000, into: &d) == 0)
        #expect(d.output == Array("Hello".utf8))
        #expect(d.counts[.ioOut] == 1)
    }

    @Test func statusBeforeAnyRequestIsNoRequest() {
        var d = fresh()
        let data = UnsafeMutableRawBufferPointer.allocate(byteCount: 4, alignment: 4)
        defer { data.deallocate() }
        _ = d.dispatch(.io(PortAccess(port: 0x500, size: 4, count: 1, isWrite: false), data: data))
        #expect(data.load(as: UInt32.self) == ParavirtualConsole.Status.noRequest.rawValue)
    }

    @Test func zeroLengthSucceedsAndAppendsNothing() {
        put(0, at: 0x2000)
        var d = fresh()
        #expect(request(0x2000, into: &d) == 0)
        #expect(d.output.isEmpty)
    }

    @Test func blockEndingExactlyAtTheEndOfRAMIsFine() {
        put(3, at: Int(size) - 7)
        var d = fresh()
        #expect(request(size - 7, into: &d) == 0)
        #expect(d.output.count == 3)
    }

    @Test func lengthFieldStraddlingTheEndOfRAM() {
        var d = fresh()
        #expect(request(size - 3, into: &d) == ParavirtualConsole.Status.outsideRAM.rawValue)
        #expect(request(size - 1, into: &d) == ParavirtualConsole.Status.outsideRAM.rawValue)
    }

    @Test(arguments: [UInt32(1 << 20), 0x0100_0000, 0xFFFF_FFFC, 0xFFFF_FFFF])
    func addressBeyondRAM(address: UInt32) {
        var d = fresh()
        #expect(request(address, into: &d) == ParavirtualConsole.Status.outsideRAM.rawValue)
        #expect(d.output.isEmpty)
    }

    @Test func blockRunningPastTheEndOfRAM() {
        put(UInt32(1 << 20), at: 0x100) // a length bigger than RAM, but no 32-bit wrap
        var d = fresh()
        #expect(request(0x100, into: &d) == ParavirtualConsole.Status.outsideRAM.rawValue)
    }

    @Test(arguments: [UInt32.max, UInt32.max - 3, 0xFFFF_FF00])
    func lengthThatWrapsTheAddressSpace(length: UInt32) {
        put(length, at: 0x100)
        var d = fresh()
        #expect(request(0x100, into: &d) == ParavirtualConsole.Status.lengthOverflow.rawValue)
        #expect(d.output.isEmpty)
    }

    @Test func overTheOutputLimitAppendsNothing() {
        put(5, at: 0x3000)
        var d = fresh(outputLimit: 4)
        #expect(request(0x3000, into: &d) == ParavirtualConsole.Status.overOutputLimit.rawValue)
        #expect(d.output.isEmpty)
        put(4, at: 0x3000)
        #expect(request(0x3000, into: &d) == 0)
        #expect(d.output.count == 4)
    }

    @Test(arguments: [1, 2])
    func onlyThirtyTwoBitWritesAreRequests(size: Int) {
        put(1, at: 0)
        var d = fresh()
        #expect(request(0, size: size, into: &d) == ParavirtualConsole.Status.badAccessSize.rawValue)
        #expect(d.output.isEmpty)
    }
}
