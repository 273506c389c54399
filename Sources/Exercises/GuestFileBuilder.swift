import Common
import Foundation
import Hypervisor

/// One guest source file (`.asm` or `.c`) built as a lesson's `src=` file is built: the same tools,
/// flags, C runtime, include search (the file's folder, then the content folder) and content-folder
/// boundary, confined the same way. For `hypercourse run`, which has a file instead of a lesson.
public struct GuestFile: Sendable {
    public var file: URL
    public var language: GuestLanguage
    public var mode: GuestMode
    /// What the guest may include, as a course's content folder.
    public var contentRoot: URL

    public init(file: URL, language: GuestLanguage, mode: GuestMode, contentRoot: URL) {
        self.file = file.standardizedFileURL
        self.language = language
        self.mode = mode
        self.contentRoot = contentRoot.standardizedFileURL
    }

    /// The language a file's extension names (`.asm`, `.c`), or nil for anything else.
    public static func language(of file: URL) -> GuestLanguage? {
        switch file.pathExtension.lowercased() {
        case "asm": .asm
        case "c": .c
        default: nil
        }
    }

    /// The spec an exercise with `src=` this file would have. Built directly rather than parsed: the
    /// file itself may lie outside the content folder (only what it includes may not), and the run's
    /// options are checked by the command. RAM is the largest allowed, so the image's size is judged
    /// by the run against the memory it asks for.
    func spec() throws(ExerciseFailure) -> ExerciseSpec {
        let block = ExerciseBlock(language: language.rawValue, options: [], body: "", file: file, line: 1, contentRoot: contentRoot)
        let text: String
        do {
            text = try TextFile.read(file)
        } catch {
            if case .tooLarge(let size) = error {
                throw ExerciseFailure([
                    ExerciseProblem(
                        file: file, line: nil,
                        message: "is \(FileSize.mebibytes(size)); the largest source is \(FileSize.maxText >> 20) MiB")
                ])
            }
            let line: Int? = if case .invalidUTF8(let line, _, _) = error { line } else { nil }
            throw ExerciseFailure([ExerciseProblem(file: file, line: line, message: error.message(file.lastPathComponent))])
        }
        let source: GuestSource
        do {
            source = try GuestSource(text, language: language)
        } catch {
            throw ExerciseFailure([ExerciseProblem(file: file, line: error.line, message: error.message)])
        }
        return ExerciseSpec(
            id: "run", language: language, mode: mode, memoryMiB: MachineConfig.memoryRangeMiB.upperBound,
            timeoutNanoseconds: 1_000_000_000, expect: .haltOrExitZero, trace: false, steps: 0, outputLimit: 0, exitLimit: 1,
            sourceFile: file, source: source, input: block)
    }
}

/// A built guest file: its image and warnings, and what finds the source of its addresses.
public struct BuiltGuestFile: Sendable {
    public var image: [UInt8]
    /// Assembler or compiler warnings, as `file:line: warning: message`.
    public var warnings: [String]
    let symbols: GuestSymbols
    let mode: GuestMode
}

/// Builds guest files one at a time, keeping what the source lookups need (a C guest's ELF) until
/// `finish`.
public final class GuestFileBuilder: Sendable {
    private let builder: GuestBuilder

    /// `cacheDirectory` keeps the compiled C runtime between runs; nil compiles it for each builder.
    public init(
        toolchain: Toolchain = .locate(), cacheDirectory: URL?,
        confine: Bool = ProcessInfo.processInfo.environment["HYPERCOURSE_UNCONFINED"] == nil
    ) {
        builder = GuestBuilder(
            toolchain: toolchain, versions: ToolVersions(cacheDirectory: cacheDirectory),
            cacheDirectory: cacheDirectory, confine: confine, standalone: true)
    }

    /// What is missing to build `language`, worded with what to install, or nil.
    public func missingTool(for language: GuestLanguage) -> String? {
        switch language {
        case .asm: builder.toolchain.nasm == nil ? "nasm is missing: \(Nasm.installLine)" : nil
        case .c, .vmm: builder.toolchain.clang == nil ? Toolchain.missingClangMessage : nil
        }
    }

    /// Builds the file; every problem is at `file:line` where there is one.
    public func build(_ guest: GuestFile) throws(ExerciseFailure) -> BuiltGuestFile {
        let built = try builder.build(try guest.spec(), slot: 0)
        return BuiltGuestFile(image: built.image, warnings: built.warnings, symbols: built.symbols, mode: guest.mode)
    }

    /// Source locations for the addresses `result`'s trace, steps and crash name. A C guest's are
    /// read from its ELF here, so call this before `finish`.
    public func addressMap(_ built: BuiltGuestFile, for result: RunResult) -> AddressMap {
        switch built.symbols {
        case .listing(let map): return map
        case .none: return .empty
        case .elf(let info):
            let requests = ResultRecorder.requests(result, base: built.mode.loadAddress)
            guard !requests.isEmpty else { return .empty }
            return ElfSymbols.addressMap(info, toolchain: builder.toolchain, requests: requests)
        }
    }

    /// Removes the scratch folder (the built files).
    public func finish() { builder.finish() }
}
