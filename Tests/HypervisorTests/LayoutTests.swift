import CKVM
import Foundation
import Testing

@testable import Hypervisor

/// The host-built tables and entry state, checked without KVM.
@Suite struct LayoutTests {
    @Test func pageTablesIdentityMapTheFirstFourGiBWithUserAccess() {
        let memory = TestRAM(size: 2 << 20)
        GuestLayout.writeTables(for: .long, into: memory.ram)
        let ram = memory.ram
        #expect(ram.load(UInt64.self, at: GuestLayout.pml4Address) == GuestLayout.pdptAddress | 7)
        for gib in 0..<4 {
            let directory = GuestLayout.pageDirectoryAddress + UInt64(gib) * 0x1000
            #expect(ram.load(UInt64.self, at: GuestLayout.pdptAddress + UInt64(gib) * 8) == directory | 7)
            for entry in [0, 1, 511] {
                let frame = (UInt64(gib) << 30) + (UInt64(entry) << 21)
                #expect(ram.load(UInt64.self, at: directory + UInt64(entry) * 8) == frame | 0x87)
            }
        }
        // The tables stay below the real-mode load address and the TSS, clear of every image.
        #expect(GuestLayout.pageDirectoryAddress + UInt64(GuestLayout.pageDirectoryCount) * 0x1000 <= GuestLayout.ring0StackTop)
        #expect(GuestLayout.tssAddress + UInt64(GuestLayout.tssLimit) < GuestLayout.highLoadAddress)
    }

    @Test func tssAllowsEveryPortAndRealModeWritesNothing() {
        let memory = TestRAM(size: 2 << 20)
        GuestLayout.writeTables(for: .user, into: memory.ram)
        let ram = memory.ram
        #expect(ram.load(UInt16.self, at: GuestLayout.tssAddress + 102) == 104)
        #expect(ram.load(UInt64.self, at: GuestLayout.tssAddress + 4) == GuestLayout.ring0StackTop)
        let bitmap = ram.bytes(at: GuestLayout.tssAddress + 104, count: 8192)!
        #expect(bitmap.allSatisfy { $0 == 0 })
        #expect(ram.load(UInt8.self, at: GuestLayout.tssAddress + UInt64(GuestLayout.tssLimit)) == 0xFF)

        let real = TestRAM(size: 1 << 20)
        GuestLayout.writeTables(for: .real, into: real.ram)
        #expect(real.buffer.allSatisfy { $0 == 0 })
    }

    @Test func gdtDescriptorsDecodeToTheDocumentedSegments() {
        let entries = GuestLayout.gdtEntries
        func field(_ d: UInt64, _ shift: UInt64, _ width: UInt64) -> UInt64 { d >> shift & (1 << width - 1) }
        let code64 = entries[Int(GuestLayout.code64Selector) / 8]
        #expect(field(code64, 53, 1) == 1 && field(code64, 54, 1) == 0) // L=1, D=0
        let userCode = entries[Int(GuestLayout.userCode64Selector) / 8]
        #expect(field(userCode, 45, 2) == 3) // DPL 3
        let code32 = entries[Int(GuestLayout.code32Selector) / 8]
        #expect(field(code32, 54, 1) == 1 && field(code32, 55, 1) == 1) // D=1, G=1
        let tss = entries[Int(GuestLayout.tssSelector) / 8]
        #expect(field(tss, 16, 24) == GuestLayout.tssAddress && field(tss, 40, 4) == 0xB)
        #expect(field(tss, 0, 16) | field(tss, 48, 4) << 16 == UInt64(GuestLayout.tssLimit))
    }

    @Test(arguments: GuestMode.allCases)
    func entryStateMatchesTheContract(mode: GuestMode) {
        var sregs = kvm_sregs()
        let regs = EntryState.apply(mode, memoryBytes: 16 << 20, to: &sregs)
        #expect(regs.rip == mode.loadAddress)
        switch mode {
        case .real:
            #expect(regs.rsp == 0x7C00 && sregs.cs.selector == 0 && sregs.cs.base == 0 && sregs.ss.base == 0)
        case .protected:
            #expect(regs.rsp == 16 << 20 && sregs.cr0 & 1 == 1 && sregs.cr0 >> 31 == 0 && sregs.cs.db == 1)
        case .long, .user:
            #expect(regs.rsp == 16 << 20 && sregs.cr0 >> 31 == 1 && sregs.efer & 0x500 == 0x500 && sregs.cs.l == 1)
            #expect(sregs.cr3 == GuestLayout.pml4Address)
            #expect(sregs.cs.dpl == (mode == .user ? 3 : 0))
            #expect(regs.rflags & 0x3000 == (mode == .user ? 0x3000 : 0))
        }
        if mode != .real { #expect(sregs.idt.limit == 0 && sregs.tr.type == 11) }
    }

    @Test func cpuidTableIsFixedAndSaysWhoWeAre() {
        let leaf0 = CPUIDTable.entries.first { $0.function == 0 }!
        let vendor = [leaf0.ebx, leaf0.edx, leaf0.ecx].flatMap { word in (0..<4).map { UInt8(word >> (8 * $0) & 0xFF) } }
        #expect(String(decoding: vendor, as: UTF8.self) == CPUIDTable.vendor)
        let leaf1 = CPUIDTable.entries.first { $0.function == 1 }!
        #expect(leaf1.ecx >> 31 == 1) // hypervisor present
        #expect(leaf1.edx & 1 << 25 != 0 && leaf1.edx & 1 << 26 != 0) // sse, sse2
        let extended = CPUIDTable.entries.first { $0.function == 0x8000_0001 }!
        #expect(extended.edx & 1 << 29 != 0) // long mode: KVM refuses EFER.LME without it
        #expect(CPUIDTable.kvmBuffer().count == 8 + CPUIDTable.entries.count * MemoryLayout<kvm_cpuid_entry2>.stride)
    }

    @Test func configValidationNamesTheProblem() {
        #expect(throws: KVMError.self) { try MachineConfig(memoryMiB: 0).validate() }
        #expect(throws: KVMError.self) { try MachineConfig(memoryMiB: 1025).validate() }
        #expect(throws: KVMError.self) { try MachineConfig(timeout: .zero).validate() }
        #expect(throws: KVMError.self) { try MachineConfig(mode: .long, memoryMiB: 1).validate(imageSize: 1) }
        #expect(throws: Never.self) { try MachineConfig(mode: .long, memoryMiB: 2).validate(imageSize: 1 << 20) }
        #expect(throws: KVMError.self) { try MachineConfig(mode: .long, memoryMiB: 2).validate(imageSize: (1 << 20) + 1) }
        #expect(throws: Never.self) { try MachineConfig(mode: .real, memoryMiB: 1).validate(imageSize: 0x1000) }
    }

    @Test func guestRAMRejectsEveryRangeThatLeavesIt() {
        let memory = TestRAM(size: 4096)
        let ram = memory.ram
        #expect(ram.contains(0, count: 4096))
        #expect(!ram.contains(1, count: 4096))
        #expect(!ram.contains(UInt64.max, count: 2)) // would wrap
        #expect(ram.contains(4096, count: 0)) // an empty range at the very end is inside
        #expect(ram.load(UInt32.self, at: 4093) == nil)
        #expect(ram.load(UInt32.self, at: 4092) == 0)
        #expect(ram.bytes(at: UInt64.max - 1, count: 4) == nil)
    }

    @Test func hostKindComesFromLoadedModules() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("hv-modules-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        #expect(HostKind.detect(sysModule: root.path) == .unknown)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("kvm_intel"), withIntermediateDirectories: true)
        #expect(HostKind.detect(sysModule: root.path) == .vmx)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("kvm_pvm"), withIntermediateDirectories: true)
        #expect(HostKind.detect(sysModule: root.path) == .pvm)
        // The provenance line on every page tells the two kinds of host apart, each by its own words.
        #expect(Set(HostKind.allCases.map(\.description)).count == HostKind.allCases.count)
        for kind in HostKind.allCases {
            #expect(kind.description.contains("hardware") == (kind == .vmx || kind == .svm), "\(kind): \(kind.description)")
            #expect(kind.description.contains("PVM") == (kind == .pvm), "\(kind): \(kind.description)")
        }
    }

    @Test func exitKindNamesAreStable() {
        #expect(
            ExitKind.allCases.map(\.rawValue) == [
                "io-out", "io-in", "mmio-read", "mmio-write", "hlt", "shutdown", "internal-error", "fail-entry",
                "debug", "interrupted", "system-event", "exception", "other"
            ])
        var counts = ExitCounts()
        counts[.hlt] = 1
        counts[.ioOut] = 13
        #expect(counts.description == "io-out 13, hlt 1" && counts.total == 14)
    }
}
