import ArgumentParser
import Exercises
import Foundation
import Hypervisor

/// `hypercourse run`: runs one guest on the built-in hypervisor. Wiring only: assembling is
/// `Exercises.Nasm`, running is `Hypervisor.KVMSystem`, the report and exit codes are in `Exercises`.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one guest program on the built-in KVM hypervisor.",
        discussion: """
            FILE is a .asm file (assembled with nasm -f bin) or a flat binary image. The guest's output \
            goes to stdout and a one-line summary to stderr; with --trace and --steps, the exit timeline \
            and the step rows go to stderr too, between the two (with source lines for a .asm file). With \
            --json, one JSON object goes to stdout instead. The guest machine is described in \
            docs/guest-machine.md.

            Examples:
              hypercourse run hello.asm
              hypercourse run --trace --steps 10 hello.asm
              hypercourse run --mode long --trace --json hello64.asm
              hypercourse run --mode user --timeout 0.3 spin.asm
              hypercourse run --repeat 200 --json hello.bin

            Exit codes:
            \(RunSummary.exitCodeTable)
            """
    )

    @Option(help: "CPU mode the guest starts in: real, protected, long or user.")
    var mode: GuestMode = .real

    @Option(help: "Guest RAM in MiB (1 to 1024).")
    var memory: Int = MachineConfig.defaultMemoryMiB

    @Option(help: "Wall-clock limit in seconds; fractions allowed (e.g. 0.3).")
    var timeout: Double = 10

    @Option(help: "Most output bytes kept before the run ends as output-limit.")
    var outputLimit: Int = MachineConfig.defaultOutputLimit

    @Option(help: "Most VM exits before the run ends as exit-limit.")
    var exitLimit: Int = MachineConfig.defaultExitLimit

    @Flag(help: "Record the VM exits in order (a table on stderr, or in the JSON).")
    var trace = false

    @Option(help: "Single-step the first N instructions (a table on stderr, or in the JSON).")
    var steps: Int = 0

    @Flag(help: "Print one JSON object (output, end, exitCounts, registers, timing[, trace, steps]).")
    var json = false

    @Option(help: "Run the guest N times, each on a fresh VM; the report describes the last run.")
    var `repeat`: Int = 1

    @Option(help: "The KVM device to open.")
    var kvmDevice: String = KVMSystem.defaultDevicePath

    @Argument(help: "The guest: a .asm file or a flat .bin image.")
    var file: String

    func validate() throws {
        guard MachineConfig.memoryRangeMiB.contains(memory) else { throw ValidationError("--memory must be 1 to 1024") }
        guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be a positive number of seconds") }
        guard `repeat` >= 1 else { throw ValidationError("--repeat must be at least 1") }
        guard steps >= 0, outputLimit >= 0, exitLimit >= 1 else {
            throw ValidationError("--steps and --output-limit must not be negative, --exit-limit must be at least 1")
        }
    }

    func run() throws {
        let image: [UInt8], listing: String?
        switch loadImage() {
        case .success(let loaded): (image, listing) = loaded
        case .failure(let failure): throw failure.report()
        }
        let config = MachineConfig(
            mode: mode, memoryMiB: memory, timeout: .nanoseconds(Int64((timeout * 1e9).rounded())),
            outputLimit: outputLimit, exitLimit: exitLimit, trace: trace, steps: steps)
        var elapsed: [Double] = []
        var last: RunResult?
        do {
            let kvm = try KVMSystem(devicePath: kvmDevice)
            for _ in 0..<`repeat` {
                let result = try kvm.run(image, config: config)
                elapsed.append(Double(result.elapsed.components.attoseconds) / 1e12 + Double(result.elapsed.components.seconds) * 1e6)
                last = result
            }
        } catch {
            throw Failure(message: "error: \(error)", code: RunSummary.exitCode(for: error)).report()
        }
        guard let result = last else { return }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            let data = try encoder.encode(RunReport(last: result, elapsedMicros: elapsed))
            FileHandle.standardOutput.write(data + Data("\n".utf8))
        } else {
            FileHandle.standardOutput.write(Data(result.output))
            let tables = RunTables(mode: mode, listing: listing)
            let text = [tables.trace(of: result), tables.steps(of: result)].compactMap { $0 }.joined(separator: "\n")
            if !text.isEmpty {
                // Output without a final newline would otherwise run into the table on a terminal.
                let separate = result.output.last.map { $0 != 0x0A } ?? false
                FileHandle.standardError.write(Data(((separate ? "\n" : "") + text).utf8))
            }
        }
        FileHandle.standardError.write(Data((RunSummary.line(for: result, elapsedMicros: elapsed) + "\n").utf8))
        let code = RunSummary.exitCode(for: result.end)
        if code != 0 { throw ExitCode(code) }
    }

    /// The image, and nasm's listing when the guest is assembly and a table will need source lines.
    private func loadImage() -> Result<(image: [UInt8], listing: String?), Failure> {
        let url = URL(fileURLWithPath: file)
        guard FileManager.default.isReadableFile(atPath: url.path) else {
            return .failure(Failure(message: "\(file): error: cannot read the file", code: RunSummary.codeBadInput))
        }
        guard url.pathExtension.lowercased() == "asm" else {
            guard let data = FileManager.default.contents(atPath: url.path) else {
                return .failure(Failure(message: "\(file): error: cannot read the file", code: RunSummary.codeBadInput))
            }
            return .success(([UInt8](data), nil))
        }
        do {
            let assembly = try Nasm.locate().assemble(file: url, listing: !json && (trace || steps > 0))
            for warning in assembly.warnings { FileHandle.standardError.write(Data("\(asWritten(warning))\n".utf8)) }
            return .success((assembly.image, assembly.listing))
        } catch {
            let message: String
            if case .failed(let diagnostics) = error {
                message = diagnostics.map(asWritten).joined(separator: "\n")
            } else {
                message = "error: \(error)"
            }
            return .failure(Failure(message: message, code: RunSummary.exitCode(for: error)))
        }
    }
}

extension RunCommand {
    /// nasm names the file relative to its folder; report it as the user wrote it.
    func asWritten(_ diagnostic: NasmDiagnostic) -> String {
        var diagnostic = diagnostic
        if diagnostic.file == URL(fileURLWithPath: file).lastPathComponent { diagnostic.file = file }
        return diagnostic.description
    }
}

/// A failure already worded for the user: printed as is on stderr, then the process exits with `code`.
struct Failure: Error {
    let message: String
    let code: Int32

    func report() -> ExitCode {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        return ExitCode(code)
    }
}

extension GuestMode: ExpressibleByArgument {}
