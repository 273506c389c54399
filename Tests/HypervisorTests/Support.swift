import Foundation
import Testing

@testable import Hypervisor

/// Shared pieces for the tests that run real guests on real /dev/kvm, assembled by real nasm.
enum TestKVM {
    /// Tests that need KVM skip only when the device is absent; when it exists they must pass.
    static let deviceExists = FileManager.default.fileExists(atPath: KVMSystem.defaultDevicePath)

    /// One system for the whole test process, like the build uses.
    static let system: KVMSystem? = try? KVMSystem()

    static func kvm() throws -> KVMSystem {
        do { return try KVMSystem() } catch {
            Issue.record("\(KVMSystem.defaultDevicePath) exists but cannot be used: \(error)"); throw error
        }
    }

    /// Runs `source` (nasm syntax, without the `bits`/`org` header, which is added for the mode).
    static func run(_ source: String, mode: GuestMode, configure: (inout MachineConfig) -> Void = { _ in }) throws -> RunResult {
        var config = MachineConfig(mode: mode)
        configure(&config)
        return try (system ?? kvm()).run(try assemble(source, mode: mode), config: config)
    }

    static func header(for mode: GuestMode) -> String {
        switch mode {
        case .real: "bits 16\norg 0x7c00\n"
        case .protected: "bits 32\norg 0x100000\n"
        case .long, .user: "bits 64\norg 0x100000\n"
        }
    }

    /// Assembles with the real nasm (`nasm -f bin`).
    static func assemble(_ source: String, mode: GuestMode) throws -> [UInt8] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hv-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("guest.asm"), output = directory.appendingPathComponent("guest.bin")
        try (header(for: mode) + source).write(to: input, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["nasm", "-f", "bin", "-o", output.path, input.path]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw AssemblyFailed(message: message) }
        return [UInt8](try Data(contentsOf: output))
    }

    struct AssemblyFailed: Error, CustomStringConvertible {
        let message: String
        var description: String { "nasm failed: \(message)" }
    }

    /// The classic hello guest for each mode: prints through COM1, polling the line status register,
    /// and ends with `hlt` (or the exit port at ring 3, where `hlt` is privileged).
    static func hello(_ mode: GuestMode) -> String {
        let si = mode == .real ? "si" : mode == .protected ? "esi" : "rsi"
        return """
                mov \(si), message
            next:
                mov dx, 0x3fd
            poll:
                in al, dx
                test al, 0x20
                jz poll
                mov al, [\(si)]
                inc \(si)
                test al, al
                jz done
                mov dx, 0x3f8
                out dx, al
                jmp next
            done:
            \(mode == .user ? "    mov al, 0\n    out 0xf4, al" : "    hlt")
            message: db "Hello from \(mode) mode!", 10, 0
            """
    }

    /// A small stable sum of the outcome kinds, for tallies.
    static func tally(_ results: [EndReason]) -> [String: Int] {
        results.reduce(into: [:]) { $0[$1.name, default: 0] += 1 }
    }
}

/// Owns a zero-filled buffer posing as guest RAM, for the pure tests.
final class TestRAM {
    let buffer: UnsafeMutableRawBufferPointer
    var ram: GuestRAM { GuestRAM(base: buffer.baseAddress!, size: UInt64(buffer.count)) }

    init(size: Int) {
        buffer = .allocate(byteCount: size, alignment: 4096)
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
    }

    deinit { buffer.deallocate() }
}
