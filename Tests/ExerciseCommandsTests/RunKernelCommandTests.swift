import Foundation
import Testing

/// `hypercourse run` with Multiboot kernels: a flat kernel whose header has address fields, written
/// in assembly, so `run` assembles it and then boots it as qemu -kernel would.
extension RunCommandTests {
    static let kernel = """
        bits 32
        org 0x100000
        header:
            dd 0x1BADB002, 0x10000, -(0x1BADB002 + 0x10000)
            dd header, header, 0, 0, start
        start:
            mov esp, 0x80000
            mov esi, [ebx + 16]         ; the command line
            call print
            mov esi, [ebx + 24]         ; the first module's string, if there is one
            cmp dword [ebx + 20], 0
            je .memory
            mov esi, [esi + 8]
            call print
        .memory:
            mov eax, [ebx + 8]          ; mem_upper in KiB
            call hex
            mov al, 0
            out 0xf4, al
        print:                          ; ESI: a string, printed with a newline
            lodsb
            test al, al
            jz .done
            mov dx, 0x3f8
            out dx, al
            jmp print
        .done:
            mov al, 10
            out dx, al
            ret
        hex:                            ; EAX in hex, eight digits
            mov ecx, 8
            mov dx, 0x3f8
        .digit:
            rol eax, 4
            push eax
            and al, 15
            add al, '0'
            cmp al, '9'
            jbe .out
            add al, 'a' - '9' - 1
        .out:
            out dx, al
            pop eax
            loop .digit
            ret
        """

    @Test func aKernelBootsWithItsNameAppendAndModules() throws {
        let source = try file("kernel.asm", Self.kernel)
        let module = source.deletingLastPathComponent().appendingPathComponent("mod.bin")
        try Data([1, 2, 3]).write(to: module)
        let result = try run(["--append", "quiet x=1", "--initrd", "\(module.path) arg=2", source.path])
        #expect(result.status == 0, "\(result.stderr)")
        // 128 MiB by default for a kernel: 127 MiB above 1 MiB is 0x1fc00 KiB.
        #expect(String(decoding: result.stdout, as: UTF8.self) == "\(source.path) quiet x=1\n\(module.path) arg=2\n0001fc00")
        let small = try run(["--memory", "2", source.path])
        #expect(String(decoding: small.stdout, as: UTF8.self) == "\(source.path) \n00000400")
    }

    @Test func kernelOptionsAreCheckedAgainstTheFile() throws {
        let kernel = try file("kernel.asm", Self.kernel)
        let mode = try run(["--mode", "long", kernel.path])
        #expect(mode.status == 12 && mode.stderr.contains("--mode long does not apply to a Multiboot kernel"))
        let missing = try run(["--initrd", "/nonexistent/mod.bin x", kernel.path])
        #expect(missing.status == 12 && missing.stderr.contains("/nonexistent/mod.bin: error: cannot read the module"))
        let flat = try file("flat.asm", "bits 16\norg 0x7c00\nhlt\n")
        let append = try run(["--append", "x", flat.path])
        #expect(append.status == 12 && append.stderr.contains("--append and --initrd are for Multiboot kernels"))

        let big = kernel.deletingLastPathComponent().appendingPathComponent("big.bin")
        try Data(count: 3 << 20).write(to: big)
        let tooLarge = try run(["--memory", "2", "--initrd", big.path, kernel.path])
        #expect(tooLarge.status == 12)
        #expect(tooLarge.stderr.contains("module 1 'big.bin'") || tooLarge.stderr.contains("module 1 '\(big.path)'"), "\(tooLarge.stderr)")

        var elf = Data([0x7F, 0x45, 0x4C, 0x46, 1, 1, 1])
        elf.append(Data(count: 100))
        let plain = kernel.deletingLastPathComponent().appendingPathComponent("plain.elf")
        try elf.write(to: plain)
        let notMultiboot = try run([plain.path])
        #expect(notMultiboot.status == 12 && notMultiboot.stderr.contains("an ELF file without a Multiboot header"))
    }
}
