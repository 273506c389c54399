import Common
import Testing

@testable import Hypervisor

/// The guest contract's device rules, checked on synthetic exits: no KVM involved.
@Suite struct ExitDispatcherTests {
    let memory = TestRAM(size: 1 << 20) // 1 MiB of fake guest RAM

    func dispatcher(outputLimit: Int = 64, exitLimit: Int = 1000, records: Bool = true) -> ExitDispatcher {
        ExitDispatcher(memory: memory.ram, outputLimit: outputLimit, exitLimit: exitLimit, recordsAccesses: records)
    }

    /// Sends one port access; returns the action and the data buffer afterwards (what an `in` reads).
    /// The accesses the last `port` call recorded.
    var accesses: [Access] { recorded.withLock { $0 } }
    private let recorded = Locked<[Access]>([])

    func port(
        _ d: inout ExitDispatcher, _ port: UInt16, write: [UInt8]? = nil, size: Int = 1, count: Int = 1
    )
        -> (DispatchAction, [UInt8])
    {
        let data = UnsafeMutableRawBufferPointer.allocate(byteCount: size * count, alignment: 8)
        defer { data.deallocate() }
        data.initializeMemory(as: UInt8.self, repeating: 0xAA)
        if let write { for (i, byte) in write.enumerated() { data[i] = byte } }
        var accesses: [Access] = []
        let action = d.dispatch(
            .io(PortAccess(port: port, size: size, count: count, isWrite: write != nil), data: data),
            accesses: &accesses)
        recorded.withLock { $0 = accesses }
        return (action, Array(data))
    }

    func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }

    @Test func com1TransmitIsOutputAndLineStatusSaysReady() {
        var d = dispatcher()
        #expect(port(&d, 0x3F8, write: [0x48]).0 == .resume)
        #expect(port(&d, 0x3F8, write: [0x69]).0 == .resume)
        #expect(d.output == Array("Hi".utf8))
        #expect(port(&d, 0x3FD).1 == [0x60])
        #expect(d.counts[.ioOut] == 2 && d.counts[.ioIn] == 1)
    }

    @Test func com1OtherRegistersReadAsAnIdle16550() {
        var d = dispatcher()
        #expect(port(&d, 0x3FA).1 == [0x01]) // no interrupt pending
        _ = port(&d, 0x3FA, write: [0x07]) // enable FIFOs
        #expect(port(&d, 0x3FA).1 == [0xC1])
        _ = port(&d, 0x3FF, write: [0x5A])
        #expect(port(&d, 0x3FF).1 == [0x5A]) // scratch register keeps its value
        #expect(port(&d, 0x3FE).1 == [0xB0])
        #expect(port(&d, 0x3F8).1 == [0x00]) // nothing received
        #expect(d.output.isEmpty)
    }

    @Test func divisorLatchWritesAreNotOutput() {
        var d = dispatcher()
        _ = port(&d, 0x3FB, write: [0x80]) // DLAB on
        _ = port(&d, 0x3F8, write: [0x01]) // divisor low: 115200 baud
        _ = port(&d, 0x3F9, write: [0x00])
        #expect(port(&d, 0x3F8).1 == [0x01])
        _ = port(&d, 0x3FB, write: [0x03]) // 8N1, DLAB off
        _ = port(&d, 0x3F8, write: [0x21])
        #expect(d.output == [0x21])
    }

    @Test func sixteenBitAccessReachesTwoConsecutiveRegisters() {
        var d = dispatcher()
        #expect(port(&d, 0x3FC, size: 2).1 == [0x00, 0x60]) // MCR, then LSR
        #expect(port(&d, 0x3FF, size: 2).1 == [0x00, 0xFF]) // scratch, then open bus at 0x400
    }

    @Test(arguments: [1, 2, 4])
    func unknownPortsReadAllOnesAndIgnoreWrites(size: Int) {
        var d = dispatcher()
        #expect(port(&d, 0x80, size: size).1 == [UInt8](repeating: 0xFF, count: size))
        #expect(port(&d, 0x1234, write: [1, 2, 3, 4].prefix(size).map { $0 }, size: size).0 == .resume)
        #expect(d.output.isEmpty)
    }

    @Test func exitPortEndsWithTheLowByteOfTheValue() {
        var d = dispatcher()
        #expect(port(&d, 0xF4, write: [42]).0 == .end(.exited(status: 42)))
        var wide = dispatcher()
        #expect(port(&wide, 0xF4, write: le32(0x1234_5601), size: 4).0 == .end(.exited(status: 1)))
        var read = dispatcher()
        #expect(port(&read, 0xF4).1 == [0xFF]) // reading it is open bus
    }

    @Test func mmioReadsAllOnesAndWritesAreIgnored() {
        var d = dispatcher()
        let data = UnsafeMutableRawBufferPointer.allocate(byteCount: 8, alignment: 8)
        defer { data.deallocate() }
        data.initializeMemory(as: UInt8.self, repeating: 0)
        var accesses: [Access] = []
        #expect(d.dispatch(.mmio(address: 0xFEE0_0000, size: 4, isWrite: false, data: data), accesses: &accesses) == .resume)
        #expect(Array(data) == [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0])
        #expect(d.dispatch(.mmio(address: 0xFEE0_0000, size: 8, isWrite: true, data: data), accesses: &accesses) == .resume)
        #expect(d.counts[.mmioRead] == 1 && d.counts[.mmioWrite] == 1)
        #expect(accesses.map(\.address) == [0xFEE0_0000, 0xFEE0_0000])
        #expect(accesses.first?.value == 0xFFFF_FFFF)
    }

    @Test func outputLimitKeepsExactlyTheLimit() {
        var d = dispatcher(outputLimit: 3)
        for byte in Array("abc".utf8) { #expect(port(&d, 0x3F8, write: [byte]).0 == .resume) }
        #expect(port(&d, 0x3F8, write: [0x64]).0 == .end(.outputLimit))
        #expect(d.output == Array("abc".utf8))
    }

    @Test func stringOutputStopsAtTheLimitMidInstruction() {
        var d = dispatcher(outputLimit: 2)
        #expect(port(&d, 0x3F8, write: Array("xyz".utf8), count: 3).0 == .end(.outputLimit))
        #expect(d.output == Array("xy".utf8))
        #expect(d.counts[.ioOut] == 1) // one exit, three elements
        #expect(accesses.count == 3)
    }

    @Test func exitLimitCountsEveryExit() {
        var d = dispatcher(exitLimit: 3)
        #expect(port(&d, 0x80).0 == .resume)
        #expect(port(&d, 0x80).0 == .resume)
        #expect(port(&d, 0x80).0 == .end(.exitLimit))
    }

    @Test func haltAndInterruptions() {
        var d = dispatcher()
        #expect(d.dispatch(.interrupted(timedOut: false)) == .resume) // a stray signal: go on
        #expect(d.dispatch(.interrupted(timedOut: true)) == .end(.timeout))
        #expect(d.dispatch(.hlt) == .end(.halt))
        #expect(d.counts[.interrupted] == 2 && d.counts[.hlt] == 1)
    }

    @Test func guestFailuresAreCrashesWithTheRawDetail() {
        var d = dispatcher()
        let cases: [(VMExit, String, UInt64)] = [
            (.shutdown, "shutdown", 0), (.internalError(suberror: 1), "internal-error", 1),
            (.failEntry(reason: 0x21), "fail-entry", 0x21), (.exception(vector: 6, errorCode: 0), "exception", 6),
            (.systemEvent(type: 2), "system-event", 2), (.runFailed(Errno(rawValue: 14)), "run-failed", 14),
            (.unknown(reason: 99), "other", 99)
        ]
        for (exit, kind, code) in cases {
            guard case .end(.crash(let detail)) = d.dispatch(exit) else {
                Issue.record("\(exit) did not end as a crash")
                continue
            }
            #expect(detail.kind.rawValue == kind && detail.code == code && !detail.message.isEmpty)
        }
        #expect(d.counts.total == cases.count)
    }

    @Test func malformedPortExitIsACrashNotAnOutOfBoundsRead() {
        var d = dispatcher()
        let data = UnsafeMutableRawBufferPointer.allocate(byteCount: 1, alignment: 1)
        defer { data.deallocate() }
        let action = d.dispatch(.io(PortAccess(port: 0x3F8, size: 4, count: 4096, isWrite: true), data: data))
        guard case .end(.crash) = action else { Issue.record("expected a crash, got \(action)"); return }
    }
}
