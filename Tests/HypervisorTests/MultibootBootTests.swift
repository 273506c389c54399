import Foundation
import Multiboot
import Testing

@testable import Hypervisor

/// Multiboot kernels built by nasm, clang and ld.lld, booted on real /dev/kvm.
@Suite(.enabled(if: TestKVM.deviceExists, "skipped: /dev/kvm is absent on this machine"))
struct MultibootBootTests {
    @Test(arguments: [false, true])
    func theKernelIsEnteredAsTheMultibootSpecificationSays(wide: Bool) throws {
        let result = try TestKernels.boot(TestKernels.build(["entry-state.asm"], wide: wide))
        #expect(result.end == .exited(status: 2))
        let r = result.registers
        #expect(r.rax == 0x2BAD_B002)
        #expect(r.rbx == 0x9500)
        #expect(r.rcx & 0xFFFF == 0x08)
        #expect(r.rdx & 0xFFFF_FFFF == 0x0010_0010) // SS and DS
        #expect(r.rsi & 0x8000_0001 == 0x1) // CR0: protected mode, paging off
        #expect(r.rdi & 0x200 == 0) // interrupts off
        #expect(r.rbp == 0x7C00)
    }

    @Test func theInformationStructureCommandLineModulesAndMemoryMap() throws {
        let kernel = try TestKernels.build(["c-entry.asm", "boot-info.c"])
        let modules = [
            MultibootKernel.Module(bytes: [0xDE, 0xAD, 0xBE, 0xEF, 1], string: "first.bin one=1 two"),
            MultibootKernel.Module(bytes: Array(repeating: 0x42, count: 9000), string: "second.img")
        ]
        let result = try TestKernels.boot(kernel, name: "build/kernel.elf", append: "console=ttyS0 x=\"y z\"", modules: modules) {
            $0.memoryMiB = 64
        }
        let plan = try MultibootLoader.plan(MultibootKernel(file: kernel.elf, name: "k", modules: modules), ramBytes: 64 << 20)
        let first = plan.modules[0].start
        #expect(result.end == .exited(status: 0))
        let text = String(decoding: result.output, as: UTF8.self)
        #expect(
            text == """
                magic 0x2badb002
                flags 0x24f
                mem_lower 639 mem_upper 64512
                cmdline 'build/kernel.elf console=ttyS0 x="y z"'
                loader 'hypercourse'
                modules 2
                  'first.bin one=1 two' 5 bytes at \(hex(first)): 0xde 0xad 0xbe 0xef (page-aligned)
                  'second.img' 9000 bytes at \(hex(first + 0x1000)): 0x42 0x42 0x42 0x42 (page-aligned)
                mmap
                  0x0 0x9fc00 type 1
                  0x9fc00 0x400 type 2
                  0xf0000 0x10000 type 2
                  0x100000 0x3f00000 type 1

                """)
    }

    @Test func aKernelThatDoesNotFitIsRefusedBeforeAnyVMExists() throws {
        let kernel = try TestKernels.build(["entry-state.asm"])
        let huge = MultibootKernel.Module(bytes: [UInt8](repeating: 0, count: 2 << 20), string: "huge.bin")
        #expect(throws: KVMError.self) {
            try TestKernels.boot(kernel, modules: [huge]) { $0.memoryMiB = 2 }
        }
        do {
            _ = try TestKernels.boot(kernel, modules: [huge]) { $0.memoryMiB = 2 }
        } catch let KVMError.badKernel(error) {
            #expect(error.kind == .moduleTooLarge)
        }
    }
}
