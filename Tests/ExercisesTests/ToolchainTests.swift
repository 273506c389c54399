import Foundation
import Testing

@testable import Exercises

/// Guests are built with the Swift toolchain's own LLVM tools, never a distribution's.
@Suite struct ToolchainTests {
    /// The folder of `swiftc` on PATH, symlinks resolved.
    var swiftcFolder: String? {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(directory)/swiftc"
            if FileManager.default.isExecutableFile(atPath: candidate) {
                return URL(fileURLWithPath: candidate).resolvingSymlinksInPath().deletingLastPathComponent().path
            }
        }
        return nil
    }

    @Test func llvmToolsComeFromTheSwiftToolchain() throws {
        let found = Toolchain.locate()
        let folder = try #require(found.llvmBin)
        #expect(folder == swiftcFolder)
        #expect(folder != "/usr/bin" && !folder.hasPrefix("/usr/lib/llvm"))
        for tool in [found.clang, found.lld, found.objcopy, found.objdump, found.symbolizer] {
            #expect(FileManager.default.isExecutableFile(atPath: tool ?? ""))
        }
        #expect(found.nasm != nil)
    }

    @Test func withoutSwiftcOnPathTheRunningRuntimesToolchainIsUsed() {
        // The process runs on the toolchain's libswiftCore.so; its usr/bin has the tools.
        let found = Toolchain.locate(environment: ["PATH": "/nonexistent"])
        #expect(found.llvmBin == swiftcFolder)
        #expect(found.nasm == nil)
    }

    @Test func anExplicitFolderWinsOnlyWhenItHasEveryTool() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("llvm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        var environment = ProcessInfo.processInfo.environment
        environment["HYPERCOURSE_LLVM_BIN"] = empty.path
        #expect(Toolchain.locate(environment: environment).llvmBin == swiftcFolder)
        environment["HYPERCOURSE_LLVM_BIN"] = swiftcFolder
        #expect(Toolchain.locate(environment: environment).llvmBin == swiftcFolder)
    }
}
