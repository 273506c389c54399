import Foundation
import Testing

@testable import Hypervisor

/// The dirty log: a guest writes known pages between checkpoints, and each checkpoint records exactly
/// those pages. Paging stays off so that no page-table accessed or dirty bits count as writes (KVM's
/// shadow paging on PVM and the CPU's on hardware set them differently).
@Suite(.enabled(if: TestKVM.deviceExists, "skipped: /dev/kvm is absent on this machine"))
struct DirtyLogTests {
    static let guest = """
        mov dx, 0x508
        mov eax, 1
        out dx, eax                  ; nothing written yet
        mov dword [0x200000], 1
        mov dword [0x200ffc], 1         ; the same page again
        mov dword [0x201000], 1
        mov dword [0x300000], 1
        mov eax, 2
        out dx, eax                  ; 0x200000-0x202000 and 0x300000-0x301000
        mov byte [0x300fff], 2
        mov eax, 3
        out dx, eax                  ; that page again, alone
        mov edi, 0x400800
        mov ecx, 4096
        xor eax, eax
        rep stosd                       ; 16 KiB from 0x400800: five pages
        mov eax, 0xabcdef01
        out dx, eax
        mov eax, 5
        out dx, eax                  ; nothing since
        hlt
        """

    static let expected: [(UInt32, [PageRange])] = [
        (1, []),
        (2, [PageRange(start: 0x20_0000, end: 0x20_2000), PageRange(start: 0x30_0000, end: 0x30_1000)]),
        (3, [PageRange(start: 0x30_0000, end: 0x30_1000)]),
        (0xABCD_EF01, [PageRange(start: 0x40_0000, end: 0x40_5000)]),
        (5, [])
    ]

    @Test(arguments: [MachineProfile.lesson, .pc])
    func checkpointsCountExactlyThePagesWrittenSinceThePreviousOne(machine: MachineProfile) throws {
        let result = try TestKVM.run(Self.guest, mode: .protected) {
            $0.dirtyLog = true; $0.machine = machine; $0.trace = true
        }
        #expect(result.end == .halt)
        let checkpoints = try #require(result.checkpoints)
        #expect(checkpoints.map(\.number) == Self.expected.map(\.0))
        #expect(checkpoints.map(\.ranges) == Self.expected.map(\.1))
        #expect(checkpoints.map(\.pages) == [0, 3, 1, 5, 0])
        // Each names the exit that took it, as the trace numbers it.
        let trace = try #require(result.trace?.entries)
        for checkpoint in checkpoints {
            #expect(trace.first { $0.exitNumber == checkpoint.exitNumber }?.port == 0x508)
        }
    }

    @Test func withoutTheDirtyLogThePortIsOpenBus() throws {
        let result = try TestKVM.run(Self.guest, mode: .protected)
        #expect(result.checkpoints == nil && result.end == .halt)
    }

    @Test func rangesAreRunsOfSetBits() {
        let bitmap: [UInt64] = [0b1011, 1 << 63, 1]
        #expect(
            DirtyLog.ranges(bitmap, pages: 129) == [
                PageRange(start: 0, end: 0x2000), PageRange(start: 0x3000, end: 0x4000), PageRange(start: 127 * 0x1000, end: 129 * 0x1000)
            ])
        #expect(DirtyLog.ranges([UInt64.max], pages: 64) == [PageRange(start: 0, end: 64 * 0x1000)])
    }
}
