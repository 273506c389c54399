import Testing

@testable import Multiboot

/// The layout QEMU's `-kernel` gives a Multiboot kernel, reproduced without KVM.
struct MultibootPlanTests {
    static let ram: UInt64 = 128 << 20

    @Test func theHeaderIsFoundOnlyWithAValidChecksumAtAnAlignedOffsetBelow8KiB() throws {
        let header = TestELF.multibootHeader()
        #expect(try MultibootHeader.find(in: [0, 0, 0, 0] + header, name: "k")?.offset == 4)
        #expect(try MultibootHeader.find(in: [0, 0] + header, name: "k") == nil) // unaligned
        var bad = header
        bad[8] ^= 1
        #expect(try MultibootHeader.find(in: bad, name: "k") == nil) // checksum
        let last = [UInt8](repeating: 0, count: 8144) + header
        #expect(try MultibootHeader.find(in: last, name: "k") == nil) // QEMU stops before 8192 − 48
        #expect(try MultibootHeader.find(in: [UInt8](repeating: 0, count: 8140) + header, name: "k")?.offset == 8140)
    }

    @Test func anELF32KernelWithModulesIsLaidOutAsQEMUDoes() throws {
        var elf = TestELF()
        elf.segments[0].memorySize = 0x1800 // bss past the file bytes
        let kernel = MultibootKernel(
            file: elf.bytes, name: "out/kernel.elf", appendText: "console=ttyS0 quiet",
            modules: [
                .init(bytes: [1, 2, 3], string: "initrd.img root=/dev/ram"), .init(bytes: Array(repeating: 7, count: 5000), string: "two")
            ])
        let plan = try MultibootLoader.plan(kernel, ramBytes: Self.ram)
        let ram = PlannedRAM(plan, ramBytes: Int(Self.ram))
        #expect(plan.entry == 0x10_0000 && plan.infoAddress == 0x9500)
        #expect(plan.kernelStart == 0x10_0000 && plan.kernelEnd == 0x10_1800)

        let info: UInt64 = 0x9500
        #expect(ram.u32(info) == 0x24F)
        #expect(ram.u32(info + 4) == 639 && ram.u32(info + 8) == 127 * 1024)
        #expect(ram.u32(info + 12) == 0x8000_FFFF)
        #expect(ram.string(ram.u32(info + 16)) == "out/kernel.elf console=ttyS0 quiet")
        #expect(ram.string(ram.u32(info + 64)) == "hypercourse")

        // The module list right after the kernel, page-aligned; the strings after it.
        #expect(ram.u32(info + 20) == 2)
        let list = UInt64(ram.u32(info + 24))
        #expect(list == 0x10_2000)
        #expect(ram.string(ram.u32(list + 8)) == "initrd.img root=/dev/ram")
        #expect(ram.string(ram.u32(list + 24)) == "two")
        let first = UInt64(ram.u32(list)), second = UInt64(ram.u32(list + 16))
        #expect(first == 0x10_3000 && ram.u32(list + 4) == 0x10_3003)
        #expect(second == 0x10_4000 && ram.u32(list + 20) == 0x10_4000 + 5000)
        #expect(ram.bytes[Int(first)..<Int(first) + 3] == [1, 2, 3])
        #expect(ram.bytes[Int(second) + 4999] == 7 && ram.bytes[Int(second) + 5000] == 0)
        #expect(plan.modules.map(\.string) == ["initrd.img root=/dev/ram", "two"])
        // The kernel's bytes, and zeros for its bss.
        #expect(ram.u32(0x10_0000) == MultibootHeader.magic && ram.bytes[0x10_000C] == 0xF4)
    }

    @Test func theMemoryMapDescribesConventionalMemoryTheBIOSHolesAndRAMFrom1MiB() throws {
        let plan = try MultibootLoader.plan(MultibootKernel(file: TestELF().bytes, name: "k"), ramBytes: 16 << 20)
        let ram = PlannedRAM(plan, ramBytes: 16 << 20)
        #expect(ram.u32(0x9500 + 48) == 0x9000)
        let length = ram.u32(0x9500 + 44)
        #expect(length == 4 * 24)
        let entries = (0..<UInt64(length / 24)).map { i -> [UInt64] in
            let at = 0x9000 + i * 24
            return [UInt64(ram.u32(at)), ram.u64(at + 4), ram.u64(at + 12), UInt64(ram.u32(at + 20))]
        }
        #expect(
            entries == [
                [20, 0, 0x9FC00, 1], [20, 0x9FC00, 0x400, 2], [20, 0xF0000, 0x10000, 2],
                [20, 0x100000, 15 << 20, 1]
            ])
        #expect(ram.u32(0x9500 + 8) == 15 * 1024)
    }

    @Test func anEmptyAppendStillLeavesTheSpaceAfterTheName() throws {
        let plan = try MultibootLoader.plan(MultibootKernel(file: TestELF().bytes, name: "kernel"), ramBytes: Self.ram)
        #expect(PlannedRAM(plan, ramBytes: Int(Self.ram)).string(PlannedRAM(plan, ramBytes: Int(Self.ram)).u32(0x9500 + 16)) == "kernel ")
        #expect(plan.commandLine == "kernel ")
    }

    @Test func theEntryIsTranslatedToAPhysicalAddressWhenTheSegmentsAreLinkedHigh() throws {
        var elf = TestELF()
        elf.segments[0].virtual = 0xC010_0000
        elf.entry = 0xC010_000C
        let plan = try MultibootLoader.plan(MultibootKernel(file: elf.bytes, name: "k"), ramBytes: Self.ram)
        #expect(plan.entry == 0x10_000C)
    }

    @Test func anELF64KernelLoadsByPhysicalAddressToo() throws {
        var elf = TestELF()
        elf.wide = true
        elf.machine = 62
        elf.segments.append(.init(physical: 0x20_0000, virtual: 0xFFFF_FFFF_8020_0000, data: [9, 9], memorySize: 0x3000, flags: 6))
        let plan = try MultibootLoader.plan(MultibootKernel(file: elf.bytes, name: "k64"), ramBytes: Self.ram)
        let ram = PlannedRAM(plan, ramBytes: Int(Self.ram))
        #expect(plan.kernelEnd == 0x20_3000 && ram.bytes[0x20_0001] == 9)
        #expect(ram.u32(0x9500 + 24) == 0x20_3000) // the module list follows the highest segment
    }

    @Test func aFlatKernelLoadsByItsHeadersAddressFields() throws {
        // header at file offset 8, meant to sit at 0x200008: the file loads at 0x200000, bss to 0x203000.
        let header = TestELF.multibootHeader(flags: 1 << 16, addresses: [0x20_0008, 0x20_0000, 0, 0x20_3000, 0x20_0004])
        let file: [UInt8] = [0x90, 0x90, 0x90, 0x90, 0xF4, 0, 0, 0] + header + [0xAB]
        #expect(MultibootKernel.isKernel(file))
        let plan = try MultibootLoader.plan(MultibootKernel(file: file, name: "flat.bin"), ramBytes: Self.ram)
        let ram = PlannedRAM(plan, ramBytes: Int(Self.ram))
        #expect(plan.entry == 0x20_0004)
        #expect(plan.kernelStart == 0x20_0000 && plan.kernelEnd == 0x20_3000)
        #expect(ram.bytes[0x20_0004] == 0xF4 && ram.bytes[0x20_0000 + 8 + 32] == 0xAB)
        #expect(ram.u32(0x9500 + 24) == 0x20_3000)
    }

    @Test func isKernelNeedsTheHeader() {
        #expect(MultibootKernel.isKernel(TestELF().bytes))
        var plain = TestELF()
        plain.segments[0].data = [0xF4]
        #expect(!MultibootKernel.isKernel(plain.bytes))
        #expect(!MultibootKernel.isKernel([0xF4]))
    }
}
