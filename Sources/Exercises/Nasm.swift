import Foundation
import Hypervisor

/// The assembler for guest programs: `nasm -f bin`, optionally with a listing (`-l`) that maps guest
/// addresses back to source lines.
public struct Nasm: Sendable {
    /// The line to run when nasm is not installed.
    public static let installLine = "apt-get install nasm"

    /// Absolute path of the nasm executable.
    public let executable: String

    public init(executable: String) { self.executable = executable }

    /// Finds `nasm` on `searchPath` (a PATH-style list), or throws `.missing`.
    public static func locate(searchPath: String? = ProcessInfo.processInfo.environment["PATH"]) throws(NasmError) -> Nasm {
        for directory in (searchPath ?? "").split(separator: ":") where !directory.isEmpty {
            let candidate = directory + "/nasm"
            if FileManager.default.isExecutableFile(atPath: String(candidate)) { return Nasm(executable: String(candidate)) }
        }
        throw .missing
    }

    /// Assembles `file`. Diagnostics name the file as given (relative paths stay relative to `directory`,
    /// nasm's working directory, which defaults to the file's own folder so `%include` finds neighbours).
    public func assemble(file: URL, listing: Bool = false, includePaths: [URL] = []) throws(NasmError) -> Assembly {
        let directory = file.deletingLastPathComponent()
        return try run(
            input: file.lastPathComponent, in: directory, listing: listing,
            includePaths: [directory] + includePaths)
    }

    /// Assembles source text as if it were the file `fileName` (the name nasm's messages use).
    public func assemble(
        source: String, fileName: String = "guest.asm", listing: Bool = false,
        includePaths: [URL] = []
    ) throws(NasmError) -> Assembly {
        let scratch = ScratchFolders.temporary("nasm")
        defer { ScratchFolders.discard(scratch) }
        do {
            try ScratchFolders.makeDirectory(scratch)
            try Data(source.utf8).write(to: scratch.appendingPathComponent(fileName))
        } catch {
            throw .io("cannot write a scratch file for nasm: \(error.localizedDescription)")
        }
        return try run(input: fileName, in: scratch, listing: listing, includePaths: includePaths)
    }

    private func run(input: String, in directory: URL, listing: Bool, includePaths: [URL]) throws(NasmError) -> Assembly {
        let scratch = ScratchFolders.temporary("nasm-out")
        defer { ScratchFolders.discard(scratch) }
        let image = scratch.appendingPathComponent("image.bin"), list = scratch.appendingPathComponent("image.lst")
        var arguments = ["-f", "bin", "-o", image.path]
        if listing { arguments += ["-l", list.path] }
        for path in includePaths { arguments += ["-I", path.path.hasSuffix("/") ? path.path : path.path + "/"] }
        arguments.append(input)

        do {
            try ScratchFolders.makeDirectory(scratch)
        } catch {
            throw .io("cannot create a scratch folder for nasm: \(error.localizedDescription)")
        }
        // The largest image any guest can load is the largest RAM; nothing nasm writes needs more.
        let limit = UInt64(MachineConfig.memoryRangeMiB.upperBound) << 20 + 64 << 20
        let outcome: Subprocess.Outcome
        do {
            outcome = try Subprocess.run(executable, arguments, in: directory, limits: Subprocess.Limits(maxFileBytes: limit))
        } catch {
            if !FileManager.default.isExecutableFile(atPath: executable) { throw .missing }
            throw .io(error.description)
        }
        if outcome.timedOut { throw .io("nasm did not finish within \(Subprocess.Limits.defaultTimeout) and was stopped") }
        if outcome.fileTooLarge { throw .io("nasm was stopped for writing more than \(limit >> 20) MiB") }
        let text = outcome.output
        let diagnostics = NasmDiagnostic.parse(text)
        guard outcome.status == 0 else {
            throw .failed(
                diagnostics.isEmpty
                    ? [
                        NasmDiagnostic(
                            file: input, line: nil, severity: "error",
                            message: text.isEmpty ? "nasm failed" : text)
                    ] : diagnostics)
        }
        guard let bytes = try? Data(contentsOf: image) else { throw .io("nasm produced no output file") }
        let listingText = listing ? (try? String(contentsOf: list, encoding: .utf8)) : nil
        return Assembly(image: [UInt8](bytes), listing: listingText, warnings: diagnostics.filter { $0.severity == "warning" })
    }
}

/// What nasm produced.
public struct Assembly: Sendable, Hashable {
    /// The flat binary image.
    public var image: [UInt8]
    /// The `-l` listing text, when asked for.
    public var listing: String?
    /// Warnings nasm printed while succeeding.
    public var warnings: [NasmDiagnostic]
}

/// One message from nasm, e.g. `hello.asm:3: error: parser: instruction expected`.
public struct NasmDiagnostic: Sendable, Hashable, CustomStringConvertible {
    /// The file as nasm named it.
    public var file: String
    /// 1-based line, when nasm gave one.
    public var line: Int?
    /// `error`, `warning`, `fatal` or `panic`.
    public var severity: String
    public var message: String

    public init(file: String, line: Int?, severity: String, message: String) {
        self.file = file
        self.line = line
        self.severity = severity
        self.message = message
    }

    /// `file:line: severity: message`, or `file: severity: message` without a line.
    public var description: String {
        "\(file)\(line.map { ":\($0)" } ?? ""): \(severity): \(message)"
    }

    static let severities: Set<String> = ["error", "warning", "fatal", "panic"]

    /// Parses nasm's stderr: `file:line: severity: message` and `nasm: severity: message` lines.
    static func parse(_ text: String) -> [NasmDiagnostic] {
        text.split(whereSeparator: \.isNewline).compactMap { raw in
            let line = String(raw)
            // file:line: severity: message (the line number is after the last colon of the location)
            let parts = line.components(separatedBy: ": ")
            guard parts.count >= 3 else { return nil }
            if parts[0] == "nasm", severities.contains(parts[1]) {
                return NasmDiagnostic(
                    file: "nasm", line: nil, severity: parts[1],
                    message: parts[2...].joined(separator: ": "))
            }
            guard severities.contains(parts[1]) else { return nil }
            let location = parts[0]
            guard let colon = location.lastIndex(of: ":"), let number = Int(location[location.index(after: colon)...]) else {
                return NasmDiagnostic(file: location, line: nil, severity: parts[1], message: parts[2...].joined(separator: ": "))
            }
            return NasmDiagnostic(
                file: String(location[..<colon]), line: number, severity: parts[1],
                message: parts[2...].joined(separator: ": "))
        }
    }
}

public enum NasmError: Error, Sendable, Hashable, CustomStringConvertible {
    /// nasm is not installed (or not on PATH).
    case missing
    /// nasm ran and rejected the source.
    case failed([NasmDiagnostic])
    /// A file could not be written or read around the nasm run.
    case io(String)

    public var description: String {
        switch self {
        case .missing: "nasm is missing: \(Nasm.installLine)"
        case .failed(let diagnostics): diagnostics.map(\.description).joined(separator: "\n")
        case .io(let message): message
        }
    }
}
