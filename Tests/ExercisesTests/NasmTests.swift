import Foundation
import Testing

@testable import Exercises

/// The nasm wrapper, with the real nasm.
@Suite struct NasmTests {
    func scratch() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nasm-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test func assemblesAFlatBinaryWithAListing() throws {
        let nasm = try Nasm.locate()
        let assembly = try nasm.assemble(source: "bits 16\norg 0x7c00\nmov al, 'H'\nout 0xf4, al\nhlt\n", listing: true)
        #expect(assembly.image == [0xB0, 0x48, 0xE6, 0xF4, 0xF4])
        let listing = try #require(assembly.listing)
        #expect(listing.contains("00000002 E6F4") && listing.contains("out 0xf4, al"))
    }

    @Test func errorsComeBackAsFileLineAndMessage() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("broken.asm")
        try "bits 16\nmov ax, 1\nfrobnicate ax\n".write(to: file, atomically: true, encoding: .utf8)
        do {
            _ = try Nasm.locate().assemble(file: file)
            Issue.record("nasm accepted a bad instruction")
        } catch {
            guard case .failed(let diagnostics) = error else { Issue.record("got \(error)"); return }
            let first = try #require(diagnostics.first)
            #expect(first.file == "broken.asm" && first.line == 3 && first.severity == "error")
            #expect(first.message.contains("instruction expected"))
            #expect(first.description == "broken.asm:3: error: \(first.message)")
        }
    }

    @Test func includesResolveNextToTheFile() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        try "%define ANSWER 42\n".write(to: directory.appendingPathComponent("defs.inc"), atomically: true, encoding: .utf8)
        let file = directory.appendingPathComponent("main.asm")
        try "%include \"defs.inc\"\ndb ANSWER\n".write(to: file, atomically: true, encoding: .utf8)
        #expect(try Nasm.locate().assemble(file: file).image == [42])
    }

    @Test func warningsAreKeptOnSuccess() throws {
        let assembly = try Nasm.locate().assemble(source: "bits 16\nmov al, 300\n")
        #expect(assembly.image.count == 2)
        #expect(assembly.warnings.first?.line == 2 && assembly.warnings.first?.severity == "warning")
    }

    @Test func missingNasmGivesTheInstallLine() throws {
        let empty = try scratch()
        defer { try? FileManager.default.removeItem(at: empty) }
        #expect(throws: NasmError.missing) { try Nasm.locate(searchPath: empty.path) }
        #expect(NasmError.missing.description.hasSuffix(Nasm.installLine))
        #expect(throws: NasmError.missing) { try Nasm(executable: empty.appendingPathComponent("nasm").path).assemble(source: "db 1") }
    }

    /// The install line the tool prints installs the package the project's own installer does.
    @Test func theInstallLineMatchesTheInstaller() throws {
        let script = try String(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("make.sh"), encoding: .utf8)
        let line = try #require(script.split(separator: "\n").first { $0.hasPrefix("BUILD_DEBS=(") })
        let installed = Set(line.dropFirst("BUILD_DEBS=(".count).prefix { $0 != ")" }.split(separator: " ").map(String.init))
        let words = Nasm.installLine.split(separator: " ").map(String.init)
        #expect(words.prefix(2) == ["apt-get", "install"])
        let packages = words.dropFirst(2).filter { !$0.hasPrefix("-") }
        #expect(!packages.isEmpty && Set(packages).isSubset(of: installed), "\(packages) vs make.sh's \(installed)")
    }

    @Test func parsesNasmsMessageShapes() {
        let parsed = NasmDiagnostic.parse(
            """
            dir/a b.asm:12: error: symbol `x' not defined
            nasm: fatal: unable to open input file `zz.asm' No such file or directory
            some other chatter
            c.asm:4: warning: byte data exceeds bounds [-w+number-overflow]
            """)
        #expect(parsed.count == 3)
        #expect(parsed[0] == NasmDiagnostic(file: "dir/a b.asm", line: 12, severity: "error", message: "symbol `x' not defined"))
        #expect(parsed[1].file == "nasm" && parsed[1].line == nil && parsed[1].severity == "fatal")
        #expect(parsed[2].severity == "warning" && parsed[2].line == 4)
    }
}
