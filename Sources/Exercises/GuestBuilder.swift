import Common
import Foundation
import Hypervisor
import Multiboot

/// A guest built from an exercise's source.
struct BuiltGuest: Sendable {
    var image: [UInt8]
    /// Set for a kernel (`kernel`): the image with its command line and modules, booted as QEMU's
    /// `-kernel` boots it.
    var kernel: MultibootKernel? = nil
    /// The guest-physical address of the image's first byte, which the listing's offsets count
    /// from: the mode's load address, or where a kernel's header puts it.
    var imageBase: UInt64 = 0
    /// What the hypervisor runs.
    var guest: GuestImage { kernel.map { .multiboot($0) } ?? .flat(image) }
    /// Files inside the content folder the build read besides the source (nasm `%include`/`incbin`,
    /// C headers), relative to the content folder, sorted.
    var includes: [String]
    var symbols: GuestSymbols
    /// Assembler or compiler warnings, as `file:line: warning: message`.
    var warnings: [String]
    /// For a vmm exercise: the host program that runs instead of a guest (`image` is then empty).
    var program: HostProgram? = nil
}

/// Where one exercise's build happens: the source the tools read (a copy, under its stable name),
/// their working folder, the folder its includes are found from, and the folder for what they write.
struct GuestFiles {
    /// `folder/<sourceName>`.
    var source: URL
    /// The tools' working folder, `work/src`: relative names in their messages are relative to it.
    var folder: URL
    /// The lesson's (or `src=` file's) folder in the content folder, the first include folder.
    var directory: URL
    /// Where the tools write.
    var work: URL

    /// A file a tool named (relative to its working folder, or absolute).
    func url(_ path: String) -> URL {
        (path.hasPrefix("/") ? URL(fileURLWithPath: path) : folder.appendingPathComponent(path)).standardizedFileURL
    }
}

/// How to find the source of a guest address.
enum GuestSymbols: Sendable {
    /// nasm's listing, already parsed.
    case listing(AddressMap)
    /// A C guest's ELF with DWARF line tables, read with llvm-objdump and llvm-symbolizer on demand.
    case elf(ElfDebugInfo)
    /// Nothing to look up: a vmm's result has no guest addresses.
    case none
}

/// Builds guest images with nasm, or with the Swift toolchain's clang, ld.lld and llvm-objcopy.
/// Thread-safe: builds run concurrently, each in its own scratch folder.
///
/// Guest sources are untrusted: every tool runs with a deadline and a file-size limit, confined by
/// Landlock (where the kernel has it) to the content folder, its scratch folder, the guest runtime
/// and the toolchain; and whatever the kernel, what a guest includes is listed by the tools
/// themselves (`nasm -M`, clang's `-MD`, a scan of the compiler's assembly for `.incbin`) and
/// refused when it lies outside the content folder.
final class GuestBuilder: @unchecked Sendable {
    // unchecked Sendable: `runtime` and `vmmSupport`, the only mutable fields, are read and written
    // only under `lock` (`ensure(_:clang:memo:compile:)`); every other field is a constant of Sendable type.
    let toolchain: Toolchain
    let versions: ToolVersions
    let cacheDirectory: URL?
    let scratch: URL
    let toolTimeout: Duration
    /// Whether tools run under Landlock (when the kernel has it).
    let confine: Bool
    /// Building a file for `hypercourse run`: problems are the file's, not a lesson exercise's.
    let standalone: Bool
    let lock = NSLock()
    var runtime: Result<URL, ExerciseBuildError>?
    var vmmSupport: Result<URL, ExerciseBuildError>?

    init(
        toolchain: Toolchain, versions: ToolVersions, cacheDirectory: URL?, toolTimeout: Duration = Subprocess.Limits.defaultTimeout,
        confine: Bool = true, standalone: Bool = false
    ) {
        self.toolchain = toolchain
        self.versions = versions
        self.cacheDirectory = cacheDirectory
        self.toolTimeout = toolTimeout
        self.confine = confine
        self.standalone = standalone
        // In the cache folder when there is one, beside what the build keeps; scratch a killed
        // build left there (or in the temp folder) goes now.
        let parent = cacheDirectory?.appendingPathComponent("scratch") ?? FileManager.default.temporaryDirectory
        ScratchFolders.sweep(parent)
        ScratchFolders.sweep(FileManager.default.temporaryDirectory)
        scratch = ScratchFolders.temporary("build", in: parent)
    }

    /// Why the tools run unconfined although confinement was asked for, or nil.
    var confinementWarning: String? {
        guard confine, let reason = Landlock.unavailableReason else { return nil }
        return
            "warning: nasm and clang run unconfined: \(reason); what guests include is still checked through the tools' own dependency lists"
    }

    /// At the end of a pass: the tool versions learnt are kept for the next, the scratch folder
    /// (guests, and the C runtime when there is no cache folder) goes.
    func finish() {
        versions.save()
        ScratchFolders.discard(scratch)
    }

    /// The tool versions a language's key includes, or why they cannot be known.
    func toolIdentity(_ language: GuestLanguage) -> Result<String, ExerciseBuildError> {
        switch language {
        case .asm:
            guard let nasm = toolchain.nasm else { return .failure(.init("nasm is missing: \(Nasm.installLine)")) }
            guard let version = versions.version(of: nasm, arguments: ["-v"]) else { return .failure(.init("cannot run \(nasm) -v")) }
            return .success("nasm: \(version)")
        case .c, .vmm:
            // Every tool whose output reaches the record: the image (clang, ld.lld, llvm-objcopy) and
            // the step and trace rows (llvm-objdump's disassembly, llvm-symbolizer's lines); for a
            // vmm, the system's KVM header and C library.
            guard let llvmBin = toolchain.llvmBin else { return .failure(.init(Toolchain.missingClangMessage)) }
            var lines: [String] = []
            if language == .vmm {
                switch Self.vmmSystemIdentity() {
                case .success(let identity): lines.append(identity)
                case .failure(let error): return .failure(error)
                }
            }
            for tool in Toolchain.llvmTools {
                guard let version = versions.version(of: llvmBin + "/" + tool, arguments: ["--version"]) else {
                    return .failure(.init("cannot run \(llvmBin)/\(tool) --version"))
                }
                lines.append("\(tool): \(version)")
            }
            return .success((lines + (language == .c ? ["runtime: \(GuestRuntime.hash)"] : [])).joined(separator: "\n"))
        }
    }

    /// Builds one exercise in `scratch/<slot>`. Errors point at the Markdown (or `src=`) line.
    ///
    /// The tools see the source under a name that is the same on every machine (`sourceName`), in
    /// `work/src`, their working folder: so `__FILE__` and `__?FILE?__` hold no scratch path.
    func build(_ spec: ExerciseSpec, slot: Int) throws(ExerciseFailure) -> BuiltGuest {
        try build(spec, slot: "\(slot)")
    }

    /// The same, with the slot as text: a vmm's guest is built in `<slot>-<vmm>-guest-<guest>`, so two
    /// builds of one exercise (its own, and as a vmm's guest) never share a folder.
    func build(_ spec: ExerciseSpec, slot: String) throws(ExerciseFailure) -> BuiltGuest {
        let work = scratch.appendingPathComponent("\(slot)-\(spec.id)")
        let folder = work.appendingPathComponent("src")
        let source = folder.appendingPathComponent(Self.sourceName(spec))
        do {
            try ScratchFolders.makeDirectory(source.deletingLastPathComponent())
            try Data(spec.source.built.utf8).write(to: source)
        } catch {
            throw ExerciseFailure([problem(spec, "cannot write a scratch file: \(error.localizedDescription)")])
        }
        let directory = (spec.sourceFile ?? spec.input.file).deletingLastPathComponent()
        let files = GuestFiles(source: source, folder: folder, directory: directory, work: work)
        var built: BuiltGuest
        switch spec.language {
        case .asm: built = try buildAssembly(spec, files)
        case .c: built = try buildC(spec, files)
        case .vmm: return try buildVMM(spec, files)
        }
        built.imageBase = spec.mode.loadAddress
        return try prepareKernel(spec, built)
    }

    /// The source's name for the tools: the `src=` file's path in the content folder, or for a
    /// block `<lesson's folder>/<id>.asm` (`.c`).
    static func sourceName(_ spec: ExerciseSpec) -> String {
        let content = spec.input.contentRoot
        if let file = spec.sourceFile, let relative = ContentFolder.relativePath(of: file, in: content) { return relative }
        let folder = ContentFolder.relativePath(of: spec.input.file.deletingLastPathComponent(), in: content) ?? ""
        let name = "\(spec.id).\(spec.language.fileExtension)"
        return folder.isEmpty ? name : folder + "/" + name
    }

    // MARK: helpers

    /// Runs one tool on an exercise's files, with the exercise's limits. A tool stopped at the deadline
    /// or for writing too much is an error here; any other exit status is the caller's to judge.
    func run(
        _ spec: ExerciseSpec, _ name: String, _ executable: String, _ arguments: [String], in directory: URL? = nil,
        confinement: Confinement?
    ) throws(ExerciseFailure) -> Subprocess.Outcome {
        let limits = Subprocess.Limits(timeout: toolTimeout, maxFileBytes: Self.fileLimit(spec))
        let outcome: Subprocess.Outcome
        do {
            outcome = try Subprocess.run(executable, arguments, in: directory, limits: limits, confinement: confinement)
        } catch {
            throw ExerciseFailure([problem(spec, error.description)])
        }
        if outcome.timedOut {
            throw ExerciseFailure([
                problem(
                    spec, "\(name) did not finish within \(Self.seconds(toolTimeout)) and was stopped (a runaway %rep, times or macro?)")
            ])
        }
        if outcome.fileTooLarge {
            throw ExerciseFailure([
                problem(
                    spec,
                    "\(name) was stopped for writing a file over \(Self.fileLimit(spec) >> 20) MiB; the guest's image must fit in its \(spec.memoryMiB) MiB of RAM"
                )
            ])
        }
        return outcome
    }

    /// Largest file a tool may write for an exercise: the image must fit in RAM; listings, objects
    /// and debug information get as much again, and some room.
    static func fileLimit(_ spec: ExerciseSpec) -> UInt64 { UInt64(spec.memoryMiB) << 21 + 64 << 20 }

    /// The image, once its size says it fits in the guest's RAM (read only then).
    func readImage(_ spec: ExerciseSpec, _ image: URL) throws(ExerciseFailure) -> [UInt8] {
        var info = stat()
        guard stat(image.path, &info) == 0 else { throw ExerciseFailure([problem(spec, "the tools produced no image")]) }
        do {
            try spec.machineConfig.validate(imageSize: Int(info.st_size))
        } catch {
            throw ExerciseFailure([problem(spec, "\(error)")])
        }
        guard let data = FileManager.default.contents(atPath: image.path) else {
            throw ExerciseFailure([problem(spec, "cannot read the image the tools produced")])
        }
        return [UInt8](data)
    }

    /// What a tool may see while it works on `spec`: the toolchain and system libraries, the content
    /// folder (`content: false` for tools that only read what the build made), `also`, and the
    /// exercise's scratch folder, the only place it may write. Nil when confinement is off.
    func confinement(_ spec: ExerciseSpec, tool: String, work: URL, also: [String] = [], content: Bool = true) -> Confinement? {
        guard confine else { return nil }
        var readable = toolReadable(tool) + also
        if content { readable.append(spec.input.contentRoot.path) }
        if let file = spec.sourceFile { readable.append(file.path) }
        return Confinement(readable: readable, writable: [work.path])
    }

    /// The tool itself (the whole toolchain folder for LLVM's tools, which load their libraries and
    /// clang's resource folder from there) and the system's libraries.
    func toolReadable(_ tool: String) -> [String] {
        var paths = [tool] + Confinement.systemLibraries
        if let llvmBin = toolchain.llvmBin, tool.hasPrefix(llvmBin + "/") {
            paths.append(URL(fileURLWithPath: llvmBin).deletingLastPathComponent().path)
        }
        return paths
    }

    static func seconds(_ duration: Duration) -> String {
        let value = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return value == value.rounded() ? "\(Int(value)) s" : String(format: "%.1f s", value)
    }

    /// Dependencies as content-relative paths; an include outside the content folder is an error
    /// (unless under one of `ignoring`, the runtime and the toolchain, whose versions the key has).
    func confine(_ spec: ExerciseSpec, _ paths: [String], _ files: GuestFiles, ignoring: [String]) throws(ExerciseFailure) -> [String] {
        var result = Set<String>()
        let content = ContentFolder(spec.input.contentRoot)
        let sourcePath = ContentFolder.realPath(of: files.source)
        let ignored = ignoring.map { $0.hasSuffix("/") ? $0 : $0 + "/" }
        for path in paths {
            var url = files.url(path)
            // A file no tool could open (missing, or hidden by the confinement) is judged where the
            // search looks first after the tools' own folder, which holds only the source: the
            // source's folder. So a missing `shared/x.inc` is left to the tool's own message, and
            // `../../x.inc` is still outside.
            if !path.hasPrefix("/"), !FileManager.default.fileExists(atPath: url.path) {
                url = files.directory.appendingPathComponent(path).standardizedFileURL
            }
            let resolved = ContentFolder.realPath(of: url)
            if resolved == sourcePath { continue }
            if ignored.contains(where: { resolved.hasPrefix($0) || url.path.hasPrefix($0) }) { continue }
            guard let relative = content.realRelativePath(of: url) else {
                // A run's file names the folder: it is an option there, not the course's.
                let folder = standalone ? " (\(DisplayPath.of(spec.input.contentRoot)); --content names another)" : ""
                throw ExerciseFailure([problem(spec, "includes '\(path)', which is outside the content folder\(folder)")])
            }
            result.insert(relative)
        }
        return result.sorted()
    }

    func problem(_ spec: ExerciseSpec, _ message: String) -> ExerciseProblem {
        if standalone { return ExerciseProblem(file: spec.sourceFile, line: nil, message: message) }
        return ExerciseProblem(file: spec.input.file, line: spec.input.line, message: "exercise '\(spec.id)': \(message)")
    }

    func slash(_ url: URL) -> String { url.path.hasSuffix("/") ? url.path : url.path + "/" }
}
