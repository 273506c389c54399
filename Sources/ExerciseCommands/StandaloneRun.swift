import Common
import Exercises
import Foundation
import Hypervisor

/// `hypercourse run`: one guest file, run on the built-in hypervisor, with its options checked and
/// its output composed here, so the CLI only declares arguments and the rules are tested.
public struct StandaloneRun: Sendable {
    public var file: String
    /// nil: real mode for a flat image. A Multiboot kernel has its own entry state and takes none.
    public var mode: GuestMode?
    /// nil: `MachineConfig.defaultMemoryMiB` for a flat image, `kernelMemoryMiB` for a kernel.
    public var memoryMiB: Int?
    /// `--append`: a Multiboot kernel's command line after its file name.
    public var appendText: String?
    /// `--initrd "FILE [ARGS]"`, in order: a Multiboot kernel's modules.
    public var initrds: [String] = []
    /// nil: `pc` for a Multiboot kernel, `lesson` for a flat image.
    public var machine: MachineProfile?
    public var cpus = 1
    public var cpu: CPUModel = .hypercourse64
    public var dirtyLog = false
    public var timeoutSeconds: Double = Double(MachineConfig.defaultTimeout.components.seconds)
    public var outputLimit: Int = MachineConfig.defaultOutputLimit
    public var exitLimit: Int = MachineConfig.defaultExitLimit
    public var trace = false
    public var steps = 0
    public var json = false
    public var repeatCount = 1
    public var kvmDevice: String = KVMSystem.defaultDevicePath
    /// `--content DIR`: the folder a `.asm` or `.c` file's includes resolve in and must stay inside,
    /// as a course's content folder; nil: the file's own folder.
    public var content: String?
    /// The toolchain that builds `.asm` and `.c` files.
    public var toolchain: Toolchain = .locate()

    /// `--repeat`: enough for a stable median; each run is a fresh VM (0.3 to 4 ms).
    public static let repeatRange = 1...100_000

    public init(file: String) { self.file = file }

    /// What `hypercourse run` writes, in order (nasm's warnings, the output, the tables, the summary
    /// line), and its exit code (`RunSummary`).
    public struct Outcome: Sendable {
        public enum Stream: Sendable { case standardOutput, standardError }
        public var writes: [(stream: Stream, data: Data)] = []
        public var exitCode: Int32 = RunSummary.codeSuccess

        mutating func out(_ data: Data) { writes.append((.standardOutput, data)) }
        mutating func err(_ text: String) { writes.append((.standardError, Data(text.utf8))) }

        public var stdout: Data { writes.filter { $0.stream == .standardOutput }.reduce(Data()) { $0 + $1.data } }
        public var stderr: String {
            String(decoding: writes.filter { $0.stream == .standardError }.reduce(Data()) { $0 + $1.data }, as: UTF8.self)
        }
    }

    /// The first option out of range, worded for the command line, or nil. Every numeric option is
    /// checked against the same limits as an exercise's options (`MachineConfig`), before any
    /// conversion that could trap.
    public func invalidOption() -> String? {
        func range<T>(_ range: ClosedRange<T>) -> String { "\(range.lowerBound) to \(range.upperBound)" }
        if let memoryMiB, !MachineConfig.memoryRangeMiB.contains(memoryMiB) {
            return "--memory must be \(range(MachineConfig.memoryRangeMiB)) (MiB)"
        }
        if MachineConfig.timeout(seconds: timeoutSeconds) == nil {
            return "--timeout must be a number of seconds \(MachineConfig.timeoutRangeText)"
        }
        if !MachineConfig.outputLimitRange.contains(outputLimit) {
            return "--output-limit must be \(range(MachineConfig.outputLimitRange)) (bytes)"
        }
        if !MachineConfig.exitLimitRange.contains(exitLimit) { return "--exit-limit must be \(range(MachineConfig.exitLimitRange))" }
        if !MachineConfig.stepsRange.contains(steps) { return "--steps must be \(range(MachineConfig.stepsRange))" }
        if !MachineConfig.cpusRange.contains(cpus) { return "--cpus must be \(range(MachineConfig.cpusRange))" }
        if !Self.repeatRange.contains(repeatCount) { return "--repeat must be \(range(Self.repeatRange))" }
        return nil
    }

    /// Loads, runs and reports. Never throws: every failure is a message and an exit code.
    public func perform() -> Outcome {
        var outcome = Outcome()
        if let problem = invalidOption() {
            outcome.err("error: \(problem)\n")
            outcome.exitCode = RunSummary.codeBadInput
            return outcome
        }
        let source = GuestFile.language(of: URL(fileURLWithPath: file)).map { _ in
            GuestFileBuilder(toolchain: toolchain, cacheDirectory: Self.userCache())
        }
        defer { source?.finish() }
        let image: GuestImage, built: BuiltGuestFile?
        switch load(with: source, warnings: &outcome).flatMap({ loaded in guest(loaded.image).map { ($0, loaded.built) } }) {
        case .success(let loaded): (image, built) = loaded
        case .failure(let failure):
            outcome.err(failure.message + "\n")
            outcome.exitCode = failure.code
            return outcome
        }
        let config = machineConfig(for: image)
        var elapsed: [Double] = []
        var last: RunResult?
        do {
            let kvm = try KVMSystem(devicePath: kvmDevice)
            for _ in 0..<repeatCount {
                let result = try kvm.run(image, config: config)
                elapsed.append(Double(result.elapsed.components.attoseconds) / 1e12 + Double(result.elapsed.components.seconds) * 1e6)
                last = result
            }
        } catch {
            outcome.err("error: \(error)\n")
            outcome.exitCode = RunSummary.exitCode(for: error)
            return outcome
        }
        guard let result = last else { return outcome }
        // A kernel assembled from a .asm file loads where its header says, not where the listing counts from.
        let flat: Bool
        if case .flat = image { flat = true } else { flat = false }
        let map = built.flatMap { built in flat ? source?.addressMap(built, for: result) : nil } ?? .empty
        report(result, elapsed: elapsed, config: config, map: map, into: &outcome)
        outcome.exitCode = RunSummary.exitCode(for: result.end)
        return outcome
    }

    /// Writes the guest's output, its trace and step tables, and the summary line (or the JSON report).
    private func report(_ result: RunResult, elapsed: [Double], config: MachineConfig, map: AddressMap, into outcome: inout Outcome) {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            // A report of plain strings and numbers always encodes.
            outcome.out(
                ((try? encoder.encode(RunReport(last: result, elapsedMicros: elapsed, mode: config.mode, map: map))) ?? Data())
                    + Data("\n".utf8))
        } else {
            outcome.out(Data(result.output))
            let tables = RunTables(mode: config.mode, map: map)
            let text = [tables.trace(of: result), tables.steps(of: result)].compactMap { $0 }.joined(separator: "\n")
            if !text.isEmpty {
                // Output without a final newline would otherwise run into the table on a terminal.
                let separate = result.output.last.map { $0 != 0x0A } ?? false
                outcome.err((separate ? "\n" : "") + text)
            }
        }
        // Output without a final newline would run into the summary on a terminal.
        let unterminated = !json && result.output.last.map { $0 != 0x0A } ?? false
        let tablesPrinted = outcome.writes.last?.stream == .standardError
        outcome.err(
            (unterminated && !tablesPrinted ? "\n" : "") + RunSummary.line(for: result, elapsedMicros: elapsed, map: map, mode: config.mode)
                + "\n")
    }

    struct Failure: Error {
        var message: String
        var code: Int32
    }

    /// The image: read from a binary file, or built from a `.asm` or `.c` file by `builder`.
    private func load(with builder: GuestFileBuilder?, warnings: inout Outcome) -> Result<(image: [UInt8], built: BuiltGuestFile?), Failure>
    {
        let url = URL(fileURLWithPath: file)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            return .failure(
                Failure(message: "\(file): error: is a folder, not a .asm or .c file or a .bin image", code: RunSummary.codeBadInput))
        }
        guard FileManager.default.isReadableFile(atPath: url.path) else {
            return .failure(Failure(message: "\(file): error: cannot read the file", code: RunSummary.codeBadInput))
        }
        if let builder, let language = GuestFile.language(of: url) {
            return build(language, with: builder, warnings: &warnings).map { ($0.image, $0) }
        }
        if content != nil {
            return .failure(
                Failure(
                    message: "\(file): error: --content is for .asm and .c files, whose includes it resolves; "
                        + "this is an image", code: RunSummary.codeBadInput))
        }
        // Judged by its size before it is read: a 2 GB file is not loaded to find it does not fit.
        let data: Data
        do {
            data = try TextFile.bytes(url, limit: Int64(MachineConfig.memoryRangeMiB.upperBound) << 20)
        } catch {
            let reason =
                switch error {
                case .notAFile(let kind): "is \(kind), not a file"
                case .tooLarge(let size):
                    "the image is \(FileSize.mebibytes(size)), more than the largest guest RAM (\(MachineConfig.memoryRangeMiB.upperBound) MiB)"
                default: "cannot read the file"
                }
            return .failure(Failure(message: "\(file): error: \(reason)", code: RunSummary.codeBadInput))
        }
        guard !data.isEmpty else {
            return .failure(
                Failure(
                    message: "\(file): error: the image is empty (0 bytes); the guest would run through zeroed memory",
                    code: RunSummary.codeBadInput))
        }
        return .success(([UInt8](data), nil))
    }
}
