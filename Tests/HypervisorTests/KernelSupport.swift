import Common
import Foundation
import Multiboot
import Testing

@testable import Hypervisor

/// Builds the test kernels in `Kernels/` with the real tools, at test time: nasm for assembly, the
/// Swift toolchain's clang for C, its ld.lld to link them with `kernel.ld`.
enum TestKernels {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Kernels")

    /// A tool from PATH (the toolchain's bin folder is on it wherever `swift test` runs).
    static func tool(_ name: String) throws -> String {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let path = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw TestKVM.AssemblyFailed(message: "\(name) is not on PATH")
    }

    struct Built: Sendable {
        var elf: [UInt8]
        var path: String
    }

    private static let cache = Locked<[String: Built]>([:])

    /// Links the named sources (`.asm` and `.c` files in `Kernels/`) into an ELF kernel. `wide` makes it
    /// ELF64 (32-bit entry code in a 64-bit file, as kernels that enter long mode themselves are built),
    /// with C compiled for long mode; `elf32` then converts the file to ELF32, the only kind QEMU boots.
    static func build(_ sources: [String], wide: Bool = false, elf32: Bool = false, defines: [String] = []) throws -> Built {
        let key = sources.joined(separator: "+") + (wide ? "/64" : "/32") + (elf32 ? "/elf32" : "") + defines.joined(separator: ",")
        if let built = cache.withLock({ $0[key] }) { return built }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hv-kernel-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var objects: [String] = []
        for (index, source) in sources.enumerated() {
            let input = folder.appendingPathComponent(source).path, object = directory.appendingPathComponent("\(index).o").path
            if source.hasSuffix(".asm") {
                try run(
                    tool("nasm"),
                    ["-f", wide ? "elf64" : "elf32", "-I", folder.path + "/", "-o", object] + defines.map { "-D" + $0 } + [input])
            } else {
                try run(tool("clang"), try cFlags(wide: wide) + ["-I", folder.path, "-o", object] + defines.map { "-D" + $0 } + [input])
            }
            objects.append(object)
        }
        let output = directory.appendingPathComponent("kernel.elf").path
        try run(
            tool("ld.lld"),
            [
                "-m", wide ? "elf_x86_64" : "elf_i386", "-T", folder.appendingPathComponent("kernel.ld").path,
                "-o", output
            ] + objects)
        if elf32 { try run(tool("llvm-objcopy"), ["-O", "elf32-i386", output]) }
        let built = Built(elf: [UInt8](try Data(contentsOf: URL(fileURLWithPath: output))), path: output)
        cache.withLock { $0[key] = built }
        return built
    }

    /// The C flags `Kernels/c-flags` gives a 32-bit or a long-mode (`wide`) kernel; bench/qemu/run.py
    /// reads the same file.
    private static func cFlags(wide: Bool) throws -> [String] {
        let text = try String(contentsOf: folder.appendingPathComponent("c-flags"), encoding: .utf8)
        var named: [String: [String]] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            named[String(line[..<colon])] = line[line.index(after: colon)...].split(separator: " ").map(String.init)
        }
        guard let mode = named[wide ? "64" : "32"], let common = named["common"] else {
            throw TestKVM.AssemblyFailed(message: "Kernels/c-flags lacks a '\(wide ? "64" : "32")' or a 'common' line")
        }
        return mode + common
    }

    /// Assembles a file in `Kernels/` with `nasm -f bin` into a flat image.
    static func flat(_ source: String, defines: [String] = []) throws -> [UInt8] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hv-flat-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("image.bin").path
        try run(tool("nasm"), ["-f", "bin", "-o", output] + defines.map { "-D" + $0 } + [folder.appendingPathComponent(source).path])
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: output)))
    }

    private static func run(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = errors
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestKVM.AssemblyFailed(message: "\((executable as NSString).lastPathComponent) failed: \(message)")
        }
    }

    /// Boots a kernel with the given command line and modules.
    static func boot(
        _ built: Built, name: String = "kernel.elf", append: String = "", modules: [MultibootKernel.Module] = [],
        configure: (inout MachineConfig) -> Void = { _ in }
    ) throws -> RunResult {
        var config = MachineConfig(memoryMiB: 128, machine: .pc)
        configure(&config)
        let kernel = MultibootKernel(file: built.elf, name: name, appendText: append, modules: modules)
        return try (TestKVM.system ?? TestKVM.kvm()).run(.multiboot(kernel), config: config)
    }
}
