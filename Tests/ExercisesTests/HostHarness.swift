import Foundation

@testable import Exercises

/// Compiles parts of the guest runtime together with a C test harness for this machine, with the
/// Swift toolchain's clang, and runs it: the runtime's C checked against the host's own FPU and glibc.
struct HostHarness {
    var output = ""
    var status: Int32 = -1

    /// `runtimeFiles`: names from `GuestRuntime.files` to compile with the harness; `defines` rename
    /// runtime functions that would clash with the host's C library.
    static func run(
        harness: String, runtimeFiles: [String], defines: [String] = [], arguments: [String] = [],
        extraFiles: [String: String] = [:]
    ) throws -> HostHarness {
        let clang = try requireClang()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("host-harness-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for file in GuestRuntime.files {
            try Data(file.text.utf8).write(to: folder.appendingPathComponent(file.name))
        }
        for (name, text) in extraFiles.merging(["harness.c": harness], uniquingKeysWith: { $1 }) {
            try Data(text.utf8).write(to: folder.appendingPathComponent(name))
        }
        var objects: [String] = []
        for name in runtimeFiles {
            let object = folder.appendingPathComponent(name + ".o").path
            let compiled = try execute(
                clang,
                ["-O2", "-w", "-I", folder.path, "-c", folder.appendingPathComponent(name).path, "-o", object] + defines.map { "-D" + $0 })
            guard compiled.status == 0 else { return compiled }
            objects.append(object)
        }
        let program = folder.appendingPathComponent("harness").path
        let linked = try execute(
            clang, ["-O2", "-w", "-I", folder.path, folder.appendingPathComponent("harness.c").path] + objects + ["-o", program])
        guard linked.status == 0 else { return linked }
        return try execute(program, arguments)
    }

    struct MissingClang: Error, CustomStringConvertible {
        var description: String { "the Swift toolchain's clang was not found" }
    }

    static func requireClang() throws -> String {
        guard let clang = Toolchain.locate().clang else { throw MissingClang() }
        return clang
    }

    static func execute(_ executable: String, _ arguments: [String]) throws -> HostHarness {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return HostHarness(output: String(decoding: data, as: UTF8.self), status: process.terminationStatus)
    }
}
