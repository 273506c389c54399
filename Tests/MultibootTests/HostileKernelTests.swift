import Testing

@testable import Multiboot

/// Broken and hostile kernel files: each gets one clear error of the right kind, and none traps.
struct HostileKernelTests {
    static let ram: UInt64 = 16 << 20

    static func plan(_ elf: TestELF, modules: [MultibootKernel.Module] = [], ram: UInt64 = ram) throws(BootError) -> BootPlan {
        try MultibootLoader.plan(MultibootKernel(file: elf.bytes, name: "bad.elf", modules: modules), ramBytes: ram)
    }

    static func expectError(
        _ kind: BootError.Kind, _ words: String, _ make: () throws(BootError) -> BootPlan,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        do {
            let plan = try make()
            Issue.record("planned \(plan.chunks.count) chunks instead of failing", sourceLocation: sourceLocation)
        } catch {
            #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
            #expect(error.message.hasPrefix("bad.elf: "), "\(error)", sourceLocation: sourceLocation)
            #expect(error.message.contains(words), "\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func everyTruncationOfAValidKernelIsAnErrorNotATrap() {
        var elf = TestELF()
        elf.segments[0].data += [UInt8](repeating: 0x90, count: 64)
        let bytes = elf.bytes
        for length in 0..<bytes.count {
            let cut = Array(bytes[..<length])
            guard MultibootKernel.isKernel(cut) else { continue } // the header itself was cut off
            do {
                _ = try MultibootLoader.plan(MultibootKernel(file: cut, name: "bad.elf"), ramBytes: Self.ram)
                Issue.record("a kernel cut to \(length) of \(bytes.count) bytes was planned")
            } catch {
                #expect(error.kind == .truncated, "\(length): \(error)")
            }
        }
    }

    @Test func segmentDataPastTheEndOfTheFile() {
        var elf = TestELF()
        elf.segments.append(.init(physical: 0x20_0000, data: [1, 2, 3, 4]))
        var bytes = elf.bytes
        bytes.removeLast(2)
        Self.expectError(.truncated, "segment 1 takes 4 bytes from offset") {
            () throws(BootError) -> BootPlan in try MultibootLoader.plan(MultibootKernel(file: bytes, name: "bad.elf"), ramBytes: Self.ram)
        }
    }

    @Test func malformedHeadersAndTables() {
        var tiny = TestELF()
        tiny.type = 1
        Self.expectError(.unsupported, "relocatable object") { () throws(BootError) in try Self.plan(tiny) }
        var arm = TestELF()
        arm.machine = 40
        Self.expectError(.unsupported, "ELF machine 40") { () throws(BootError) in try Self.plan(arm) }
        var bss = TestELF()
        bss.segments[0].memorySize = 2
        Self.expectError(.malformed, "p_filesz > p_memsz") { () throws(BootError) in try Self.plan(bss) }
        var none = TestELF()
        none.segments[0].type = 4 // PT_NOTE
        Self.expectError(.malformed, "no loadable") { () throws(BootError) in try Self.plan(none) }

        var bytes = TestELF().bytes
        bytes[5] = 2 // big-endian
        Self.expectError(.unsupported, "big-endian") { () throws(BootError) in
            try MultibootLoader.plan(MultibootKernel(file: bytes, name: "bad.elf"), ramBytes: Self.ram)
        }
        var shortEntries = TestELF().bytes
        shortEntries[42] = 16 // e_phentsize
        Self.expectError(.malformed, "program headers of 16 bytes") { () throws(BootError) in
            try MultibootLoader.plan(MultibootKernel(file: shortEntries, name: "bad.elf"), ramBytes: Self.ram)
        }
        var farTable = TestELF().bytes
        farTable[28...31] = [0xF0, 0xFF, 0xFF, 0xFF] // e_phoff near 4 GiB
        Self.expectError(.truncated, "run past the end") { () throws(BootError) in
            try MultibootLoader.plan(MultibootKernel(file: farTable, name: "bad.elf"), ramBytes: Self.ram)
        }
    }

    @Test func segmentsOutsideRAMAndHugeSizes() {
        var high = TestELF()
        high.segments.append(.init(physical: 0xFF_F000, data: [1], memorySize: 0x2000))
        Self.expectError(.outsideRAM, "segment 1 covers 0xfff000–0x1001000, outside the 16 MiB of RAM") { () throws(BootError) in
            try Self.plan(high)
        }
        var huge = TestELF()
        huge.segments[0].memorySize = 0xFFFF_F000
        Self.expectError(.outsideRAM, "outside the 16 MiB") { () throws(BootError) in try Self.plan(huge) }
        var wrap = TestELF()
        wrap.wide = true
        wrap.machine = 62
        wrap.segments.append(.init(physical: 0xFFFF_FFFF_FFFF_F000, data: [], memorySize: 0x2000))
        Self.expectError(.outsideRAM, "wraps around") { () throws(BootError) in try Self.plan(wrap) }
        var entry = TestELF()
        entry.wide = true
        entry.entry = 0x1_0000_0000
        Self.expectError(.unsupported, "above 4 GiB") { () throws(BootError) in try Self.plan(entry) }
    }

    @Test func overlappingSegmentsAndTheLoadersArea() {
        var overlap = TestELF()
        overlap.segments.append(.init(physical: 0x10_0008, data: [1, 2, 3]))
        Self.expectError(.overlap, "segment 0 (0x100000–0x10000d) and segment 1 (0x100008–0x10000b) overlap") { () throws(BootError) in
            try Self.plan(overlap)
        }
        var low = TestELF()
        low.segments.append(.init(physical: 0x8000, data: [], memorySize: 0x2000))
        Self.expectError(.overlap, "overlaps the boot information at 0x9000–0x9700") { () throws(BootError) in try Self.plan(low) }
    }

    @Test func aModuleTooLargeForRAM() {
        let module = MultibootKernel.Module(bytes: [UInt8](repeating: 1, count: 15 << 20), string: "big.img arg")
        Self.expectError(.moduleTooLarge, "module 1 'big.img' (15728640 bytes) does not fit in RAM") { () throws(BootError) in
            try Self.plan(TestELF(), modules: [module])
        }
        var atTheTop = TestELF()
        atTheTop.segments.append(.init(physical: 0xFF_F000, data: [], memorySize: 0x1000))
        Self.expectError(.outsideRAM, "no room in RAM after the kernel") { () throws(BootError) in try Self.plan(atTheTop) }
    }

    @Test func badAddressFields() {
        func flat(_ addresses: [UInt32], tail: Int = 16) -> [UInt8] {
            TestELF.multibootHeader(flags: 1 << 16, addresses: addresses) + [UInt8](repeating: 0x90, count: tail)
        }
        let cases: [([UInt8], BootError.Kind, String)] = [
            (flat([0x10_0000, 0x10_0010, 0, 0, 0x10_0000]), .malformed, "header_addr 0x100000 is below load_addr"),
            (flat([0x10_0010, 0x10_0000, 0, 0, 0x10_0000]), .malformed, "more than the header's offset"),
            (flat([0x10_0000, 0x10_0000, 0x0F_0000, 0, 0x10_0000]), .malformed, "load_end_addr 0xf0000 is below"),
            (flat([0x10_0000, 0x10_0000, 0x10_1000, 0, 0x10_0000]), .truncated, "past the end of the 48-byte file"),
            (flat([0x10_0000, 0x10_0000, 0, 0x10_0004, 0x10_0000]), .malformed, "bss_end_addr 0x100004 is below"),
            (flat([0xFFFF_FFF0, 0xFFFF_FFF0, 0, 0, 0]), .outsideRAM, "go past 4 GiB"),
            (flat([0x200_0000, 0x200_0000, 0, 0, 0]), .outsideRAM, "outside the 16 MiB"),
            (Array(flat([0x10_0000], tail: 0)), .truncated, "ends before its address fields")
        ]
        for (file, kind, words) in cases {
            Self.expectError(kind, words) { () throws(BootError) in
                try MultibootLoader.plan(MultibootKernel(file: file, name: "bad.elf"), ramBytes: Self.ram)
            }
        }
        let noAddressesNoELF = TestELF.multibootHeader() + [0xF4]
        Self.expectError(.unsupported, "not ELF") { () throws(BootError) in
            try MultibootLoader.plan(MultibootKernel(file: noAddressesNoELF, name: "bad.elf"), ramBytes: Self.ram)
        }
    }

    /// Random byte flips in a valid kernel: every outcome is a plan inside RAM or a BootError.
    @Test func randomCorruptionsNeverTrapAndPlansStayInsideRAM() {
        var elf = TestELF()
        elf.segments.append(.init(physical: 0x20_0000, data: [UInt8](repeating: 0xCC, count: 40), memorySize: 0x100))
        let original = elf.bytes
        var state: UInt64 = 0x5EED
        func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 33
        }
        var planned = 0, refused = 0
        for _ in 0..<5_000 {
            var bytes = original
            for _ in 0..<(1 + next() % 4) { bytes[Int(next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: next()) }
            do {
                let plan = try MultibootLoader.plan(MultibootKernel(file: bytes, name: "fuzz"), ramBytes: Self.ram)
                planned += 1
                for chunk in plan.chunks {
                    #expect(chunk.address + UInt64(chunk.bytes.count) <= Self.ram)
                }
            } catch {
                refused += 1
                #expect(!error.message.isEmpty)
            }
        }
        #expect(planned > 0 && refused > 0)
    }
}
