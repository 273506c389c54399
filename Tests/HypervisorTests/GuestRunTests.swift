import Foundation
import Testing

@testable import Hypervisor

/// Real guests, assembled by nasm, on real /dev/kvm.
@Suite(.enabled(if: TestKVM.deviceExists, "skipped: /dev/kvm is absent on this machine"))
struct GuestRunTests {
    @Test(arguments: GuestMode.allCases)
    func helloInEveryMode(mode: GuestMode) throws {
        let result = try TestKVM.run(TestKVM.hello(mode), mode: mode)
        #expect(String(decoding: result.output, as: UTF8.self) == "Hello from \(mode) mode!\n")
        #expect(result.end == (mode == .user ? .exited(status: 0) : .halt))
        #expect(result.exitCounts[.ioOut] == "Hello from \(mode) mode!\n".utf8.count + (mode == .user ? 1 : 0))
        #expect(result.exitCounts[.ioIn] >= result.exitCounts[.ioOut] - 1) // it polled the line status
        #expect(result.host == HostKind.detect())
        #expect(result.machineVersion == GuestMachine.version)
        #expect(result.elapsed > .zero)
    }

    @Test(arguments: [(GuestMode.real, 42), (.protected, 0), (.long, 255), (.user, 7)])
    func exitPortStatus(mode: GuestMode, status: Int) throws {
        let result = try TestKVM.run("mov eax, 0x1200 + \(status)\nout 0xf4, eax\nhlt", mode: mode)
        #expect(result.end == .exited(status: UInt8(status)))
        #expect(result.end.status == status)
        // KVM was let finish the out: RIP is past it on every host.
        #expect(result.registers.rip == mode.loadAddress + (mode == .real ? 9 : 7))
    }

    @Test(arguments: GuestMode.allCases)
    func unknownPortReadsAllOnes(mode: GuestMode) throws {
        let result = try TestKVM.run(
            """
            mov eax, 0x12345678
            in al, 0x80
            mov dx, 0x1234
            in ax, dx
            mov ebx, eax
            in eax, dx
            out 0x80, al
            out 0xf4, al
            """, mode: mode)
        #expect(result.registers.rax & 0xFFFF_FFFF == 0xFFFF_FFFF)
        #expect(result.registers.rbx & 0xFFFF_FFFF == 0x1234_FFFF)
        #expect(result.end == .exited(status: 0xFF))
    }

    @Test func unmappedMMIOIsOpenBusInRealMode() throws {
        // With 1 MiB of RAM, FFFF:0010 is guest-physical 0x100000: just past the end of RAM.
        let result = try TestKVM.run(
            """
            mov ax, 0xffff
            mov es, ax
            mov byte [es:0x10], 0x12
            mov bl, [es:0x10]
            hlt
            """, mode: .real
        ) { $0.memoryMiB = 1 }
        #expect(result.registers.rbx & 0xFF == 0xFF)
        #expect(result.exitCounts[.mmioWrite] == 1 && result.exitCounts[.mmioRead] == 1)
    }

    @Test(arguments: [GuestMode.protected, .long, .user])
    func unmappedMMIOIsOpenBus(mode: GuestMode) throws {
        let reg = mode == .protected ? "eax" : "rax"
        let result = try TestKVM.run(
            """
            mov dword [0x40000000], 0x12345678
            mov \(reg), [0x40000000]
            mov \(reg == "eax" ? "ebx" : "rbx"), \(reg)
            mov al, 0
            out 0xf4, al
            """, mode: mode)
        #expect(result.registers.rbx == (mode == .protected ? 0xFFFF_FFFF : UInt64.max))
        #expect(result.exitCounts[.mmioWrite] == 1 && result.exitCounts[.mmioRead] == 1)
    }

    @Test(arguments: GuestMode.allCases)
    func ramWriteThenRead(mode: GuestMode) throws {
        // The last four bytes of 16 MiB: inside RAM up to the very end.
        let address = mode == .real ? "0x7000" : "0xfffffc"
        let result = try TestKVM.run(
            """
            mov dword [\(address)], 0xcafef00d
            mov ecx, [\(address)]
            mov al, 0
            out 0xf4, al
            """, mode: mode)
        #expect(result.registers.rcx & 0xFFFF_FFFF == 0xCAFE_F00D)
        #expect(result.exitCounts[.mmioRead] == 0 && result.exitCounts[.mmioWrite] == 0)
    }

    @Test(arguments: [GuestMode.protected, .long, .user])
    func faultWithNoIDTIsACrash(mode: GuestMode) throws {
        let result = try TestKVM.run("mov al, 'x'\nmov dx, 0x3f8\nout dx, al\nud2\nhlt", mode: mode)
        #expect(result.output == Array("x".utf8))
        let crash = try #require(result.end.crash, "expected a crash, got \(result.end)")
        #expect([.shutdown, .internalError].contains(crash.kind))
        #expect(result.end.name == "crash")
    }

    @Test(arguments: [GuestMode.real, .user])
    func printingForeverStopsAtExactlyTheOutputLimit(mode: GuestMode) throws {
        let result = try TestKVM.run("mov dx, 0x3f8\nmov al, '*'\nagain: out dx, al\njmp again", mode: mode) {
            $0.outputLimit = 3000
        }
        #expect(result.end == .outputLimit)
        #expect(result.output == [UInt8](repeating: 0x2A, count: 3000))
    }

    @Test func exitLimitEndsAChattyGuest() throws {
        let result = try TestKVM.run("again: in al, 0x80\njmp again", mode: .user) { $0.exitLimit = 500 }
        #expect(result.end == .exitLimit)
        #expect(result.exitCounts.total == 500)
    }

    @Test func cpuidReportsTheFixedTable() throws {
        let result = try TestKVM.run(
            """
            xor eax, eax
            cpuid
            mov esi, ebx
            mov edi, edx
            mov ebp, ecx
            mov eax, 0x80000001
            cpuid
            mov r8d, ecx
            mov r9d, edx
            mov eax, 0x80000002
            cpuid
            mov r10d, eax
            mov eax, 1
            cpuid
            hlt
            """, mode: .long)
        let r = result.registers
        let vendor = [r.rsi, r.rdi, r.rbp].flatMap { word in (0..<4).map { UInt8(word >> (8 * $0) & 0xFF) } }
        #expect(String(decoding: vendor, as: UTF8.self) == CPUIDTable.vendor)
        #expect(r.r8 == 1 && r.r9 == UInt64(CPUIDTable.extendedEDX))
        #expect(r.r10 == 0x6570_7948) // "Hype", the start of the brand string
        #expect(r.rcx >> 31 & 1 == 1) // hypervisor present, on every host
        if result.host != .pvm {
            // PVM rewrites leaves 1, 7 and 0xD with the host's features (its guests' ring-3 code runs
            // natively, so it cannot hide them); hardware KVM shows the table as set.
            #expect(r.rcx & 0xFFFF_FFFF == UInt64(CPUIDTable.leaf1ECX))
            #expect(r.rdx & 0xFFFF_FFFF == UInt64(CPUIDTable.leaf1EDX))
        }
    }

    @Test func memorySizeIsHonoured() throws {
        // RSP starts at the top of RAM.
        let result = try TestKVM.run("mov rax, rsp\nhlt", mode: .long) { $0.memoryMiB = 64 }
        #expect(result.registers.rax == 64 << 20)
    }

    @Test func imageThatDoesNotFitIsAConfigurationError() throws {
        let kvm = try TestKVM.system ?? TestKVM.kvm()
        #expect(throws: KVMError.self) {
            try kvm.run([UInt8](repeating: 0xF4, count: 2 << 20), config: MachineConfig(mode: .long, memoryMiB: 2))
        }
    }

    @Test func concurrentRunsOnManyThreadsStayApart() throws {
        let kvm = try TestKVM.system ?? TestKVM.kvm()
        let images = try GuestMode.allCases.map { try TestKVM.assemble(TestKVM.hello($0), mode: $0) }
        let results = Results()
        DispatchQueue.concurrentPerform(iterations: 32) { i in
            let mode = GuestMode.allCases[i % 4]
            results.add(i, Result { try kvm.run(images[i % 4], config: MachineConfig(mode: mode)) })
        }
        for (i, outcome) in results.all {
            let mode = GuestMode.allCases[i % 4]
            let result = try outcome.get()
            #expect(String(decoding: result.output, as: UTF8.self) == "Hello from \(mode) mode!\n")
        }
        #expect(results.all.count == 32)
    }
}

/// A lock-protected collection for results coming back from many threads.
final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [(Int, Result<RunResult, any Error>)] = []
    func add(_ index: Int, _ result: Result<RunResult, any Error>) { lock.withLock { items.append((index, result)) } }
    var all: [(Int, Result<RunResult, any Error>)] { lock.withLock { items } }
}
