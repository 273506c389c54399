import Foundation
import Hypervisor

/// A guest built from an exercise's source.
struct BuiltGuest: Sendable {
    var image: [UInt8]
    /// Files inside the content folder the build read besides the source (nasm `%include`/`incbin`,
    /// C headers), relative to the content folder, sorted.
    var includes: [String]
    var symbols: GuestSymbols
    /// Assembler or compiler warnings, as `file:line: warning: message`.
    var warnings: [String]
}

/// How to find the source of a guest address.
enum GuestSymbols: Sendable {
    /// nasm's listing, already parsed.
    case listing(AddressMap)
    /// A C guest's ELF with DWARF line tables, read with llvm-objdump and llvm-symbolizer on demand.
    case elf(URL, source: String, runtimeDirectory: String)
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
    let toolchain: Toolchain
    let versions: ToolVersions
    let cacheDirectory: URL?
    let scratch: URL
    let toolTimeout: Duration
    /// Whether tools run under Landlock (when the kernel has it).
    let confine: Bool
    private let lock = NSLock()
    private var runtime: Result<URL, ExerciseBuildError>?

    init(toolchain: Toolchain, versions: ToolVersions, cacheDirectory: URL?, toolTimeout: Duration = Subprocess.Limits.defaultTimeout,
         confine: Bool = true) {
        self.toolchain = toolchain
        self.versions = versions
        self.cacheDirectory = cacheDirectory
        self.toolTimeout = toolTimeout
        self.confine = confine
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("hypercourse-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        ScratchFolders.add(scratch)
    }

    /// Why the tools run unconfined although confinement was asked for, or nil.
    var confinementWarning: String? {
        guard confine, let reason = Landlock.unavailableReason else { return nil }
        return "warning: nasm and clang run unconfined: \(reason); what guests include is still checked through the tools' own dependency lists"
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
        case .c:
            // Every tool whose output reaches the record: the image (clang, ld.lld, llvm-objcopy) and
            // the step and trace rows (llvm-objdump's disassembly, llvm-symbolizer's lines).
            guard let llvmBin = toolchain.llvmBin else { return .failure(.init(Toolchain.missingClangMessage)) }
            var lines: [String] = []
            for tool in Toolchain.llvmTools {
                guard let version = versions.version(of: llvmBin + "/" + tool, arguments: ["--version"]) else {
                    return .failure(.init("cannot run \(llvmBin)/\(tool) --version"))
                }
                lines.append("\(tool): \(version)")
            }
            return .success((lines + ["runtime: \(GuestRuntime.hash)"]).joined(separator: "\n"))
        }
    }

    /// Builds one exercise in `scratch/<slot>`. Errors point at the Markdown (or `src=`) line.
    func build(_ spec: ExerciseSpec, slot: Int) throws(ExerciseFailure) -> BuiltGuest {
        let work = scratch.appendingPathComponent("\(slot)-\(spec.id)")
        do {
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        } catch {
            throw ExerciseFailure([problem(spec, "cannot create a scratch folder: \(error.localizedDescription)")])
        }
        let source: URL
        if let file = spec.sourceFile {
            source = file
        } else {
            source = work.appendingPathComponent("\(spec.id).\(spec.language == .asm ? "asm" : "c")")
            do {
                try Data(spec.source.built.utf8).write(to: source)
            } catch {
                throw ExerciseFailure([problem(spec, "cannot write a scratch file: \(error.localizedDescription)")])
            }
        }
        let directory = (spec.sourceFile ?? spec.input.file).deletingLastPathComponent()
        switch spec.language {
        case .asm: return try buildAssembly(spec, source: source, directory: directory, work: work)
        case .c: return try buildC(spec, source: source, directory: directory, work: work)
        }
    }

    // MARK: nasm

    private func buildAssembly(_ spec: ExerciseSpec, source: URL, directory: URL, work: URL) throws(ExerciseFailure) -> BuiltGuest {
        guard let nasm = toolchain.nasm else { throw ExerciseFailure([problem(spec, "nasm is missing: \(Nasm.installLine)")]) }
        let image = work.appendingPathComponent("guest.bin"), listing = work.appendingPathComponent("guest.lst")
        let searchPath = ["-I", slash(directory), "-I", slash(spec.input.contentRoot)]
        let jail = confinement(spec, tool: nasm, work: work)
        let outcome = try run(spec, "nasm", nasm, ["-f", "bin", "-l", listing.path, "-o", image.path] + searchPath + [source.path],
                              in: directory, confinement: jail)
        let diagnostics = NasmDiagnostic.parse(outcome.output)
        func place(_ diagnostic: NasmDiagnostic) -> (URL, Int?) {
            let file = diagnostic.file.hasPrefix("/") ? URL(fileURLWithPath: diagnostic.file) : directory.appendingPathComponent(diagnostic.file)
            if file.standardizedFileURL.path == source.standardizedFileURL.path { return spec.location(ofBuiltLine: diagnostic.line) }
            return (file, diagnostic.line)
        }
        // Dependencies: nasm's -MD forgets %include files (2.16), so ask with -M, always: its
        // preprocessor also sees an `incbin` spelled through macros (`incb %+ in`), which no text
        // search of the source would. It lists files it could not open too, so a read the
        // confinement refused is reported for what it is. (Not -MG: nasm 2.16 then skips the -I search.)
        let deps = try run(spec, "nasm -M", nasm, ["-M"] + searchPath + [source.path], in: directory, confinement: jail)
        let listed = deps.status == 0 ? MakeDependencies.parse(deps.output) : nil
        guard outcome.status == 0 else {
            if let listed { _ = try confine(spec, listed, directory: directory, source: source, ignoring: []) }
            let errors = diagnostics.filter { $0.severity != "warning" }
            guard !errors.isEmpty else {
                throw ExerciseFailure([problem(spec, "nasm failed: \(outcome.output.trimmingCharacters(in: .whitespacesAndNewlines))")])
            }
            throw ExerciseFailure(errors.map { diagnostic in
                let (file, line) = place(diagnostic)
                return ExerciseProblem(file: file, line: line ?? spec.input.line, message: "assembler \(diagnostic.severity): \(diagnostic.message)")
            })
        }
        let warnings = diagnostics.filter { $0.severity == "warning" }.map { diagnostic -> String in
            let (file, line) = place(diagnostic)
            return "\(DisplayPath.of(file))\(line.map { ":\($0)" } ?? ""): warning: \(diagnostic.message)"
        }
        // If nasm cannot say what the guest includes, the build fails rather than guess.
        guard let listed else {
            throw ExerciseFailure([problem(spec, "nasm -M cannot list the files this exercise includes: \(deps.output.trimmingCharacters(in: .whitespacesAndNewlines))")])
        }
        let includes = try confine(spec, listed, directory: directory, source: source, ignoring: [])
        let bytes = try readImage(spec, image)
        guard let text = try? String(contentsOf: listing, encoding: .utf8) else {
            throw ExerciseFailure([problem(spec, "nasm produced no listing")])
        }
        return BuiltGuest(image: bytes, includes: includes, symbols: .listing(NasmListing.parse(text)), warnings: warnings)
    }

    // MARK: clang

    private func buildC(_ spec: ExerciseSpec, source: URL, directory: URL, work: URL) throws(ExerciseFailure) -> BuiltGuest {
        guard let clang = toolchain.clang, let lld = toolchain.lld, let objcopy = toolchain.objcopy else {
            throw ExerciseFailure([problem(spec, Toolchain.missingClangMessage)])
        }
        let runtimeDirectory: URL
        switch ensureRuntime(clang: clang) {
        case .success(let url): runtimeDirectory = url
        case .failure(let error): throw ExerciseFailure([problem(spec, error.message)])
        }
        let object = work.appendingPathComponent("guest.o"), deps = work.appendingPathComponent("guest.d")
        let elf = work.appendingPathComponent("guest.elf"), image = work.appendingPathComponent("guest.bin")
        let searchPath = ["-I", runtimeDirectory.path, "-I", directory.path, "-I", spec.input.contentRoot.path]
        let compileJail = confinement(spec, tool: clang, work: work, also: [runtimeDirectory.path])
        let toolchainRoot = URL(fileURLWithPath: toolchain.llvmBin ?? "/").deletingLastPathComponent().path
        func place(_ diagnostic: ClangDiagnostic) -> (URL, Int) {
            let file = diagnostic.file.hasPrefix("/") ? URL(fileURLWithPath: diagnostic.file) : directory.appendingPathComponent(diagnostic.file)
            if file.standardizedFileURL.path == source.standardizedFileURL.path {
                let (url, line) = spec.location(ofBuiltLine: diagnostic.line)
                return (url, line ?? spec.input.line)
            }
            return (file, diagnostic.line)
        }
        func failure(_ output: String) throws(ExerciseFailure) -> ExerciseFailure {
            let errors = ClangDiagnostic.parse(output).filter { $0.severity != "warning" && $0.severity != "note" }
            // An error may come from a header outside the content folder (or one the confinement kept
            // clang from reading): then that is the error to report.
            let ignoring = [runtimeDirectory.path, toolchainRoot]
            _ = try confine(spec, errors.compactMap(\.unopenedFile), directory: directory, source: source, ignoring: ignoring)
            let deps = try run(spec, "clang -M", clang, GuestRuntime.compileFlags + searchPath + ["-M", "-MG", source.path],
                               in: directory, confinement: compileJail)
            if deps.status == 0 {
                _ = try confine(spec, MakeDependencies.parse(deps.output), directory: directory, source: source, ignoring: ignoring)
            }
            guard !errors.isEmpty else {
                return ExerciseFailure([problem(spec, "clang failed: \(output.trimmingCharacters(in: .whitespacesAndNewlines))")])
            }
            return ExerciseFailure(errors.map { diagnostic in
                let (file, line) = place(diagnostic)
                return ExerciseProblem(file: file, line: line, message: "compiler error: \(diagnostic.message)")
            })
        }

        // First the inline assembly, from the IR clang makes before optimising (fast: no code is
        // generated): what `.incbin` reads is in no dependency list. This pass also reads every file
        // a C error can come from, so errors show here first.
        let ir = work.appendingPathComponent("guest.ll")
        let listed = try run(spec, "clang -emit-llvm", clang, GuestRuntime.compileFlags + searchPath
                                 + ["-g0", "-Xclang", "-disable-llvm-passes", "-emit-llvm", "-S", source.path, "-o", ir.path],
                             in: directory, confinement: compileJail)
        guard listed.status == 0 else { throw try failure(listed.output) }
        guard let text = try? String(contentsOf: ir, encoding: .utf8) else {
            throw ExerciseFailure([problem(spec, "clang wrote no IR to check the inline assembly in")])
        }
        if let directive = InlineAssembly.strings(inIR: text).lazy.compactMap(InlineAssembly.fileDirective(in:)).first {
            throw ExerciseFailure([problem(spec, "inline assembly uses \(directive), which C exercises may not: a C guest reads no files but its #includes")])
        }
        let compile = try run(spec, "clang", clang, GuestRuntime.compileFlags + searchPath + [
            "-MD", "-MF", deps.path, "-c", source.path, "-o", object.path,
        ], in: directory, confinement: compileJail)
        guard compile.status == 0 else { throw try failure(compile.output) }
        let warnings = ClangDiagnostic.parse(compile.output).filter { $0.severity == "warning" }.map { diagnostic -> String in
            let (file, line) = place(diagnostic)
            return "\(DisplayPath.of(file)):\(line): warning: \(diagnostic.message)"
        }
        let toolJail = confinement(spec, tool: lld, work: work, also: [runtimeDirectory.path], content: false)
        let link = try run(spec, "ld.lld", lld, GuestRuntime.linkFlags + [
            "-T", runtimeDirectory.appendingPathComponent("link.ld").path, "-o", elf.path,
            runtimeDirectory.appendingPathComponent("runtime.o").path, object.path,
        ], confinement: toolJail)
        guard link.status == 0 else {
            let message = link.output.split(separator: "\n").filter { $0.contains("error:") }
                .map { $0.components(separatedBy: "error: ").dropFirst().joined(separator: "error: ") }
                .joined(separator: "; ")
            throw ExerciseFailure([problem(spec, "link error: \(message.isEmpty ? link.output : message) (the runtime provides what hypercourse.h declares)")])
        }
        let flatten = try run(spec, "llvm-objcopy", objcopy, ["-O", "binary", elf.path, image.path], confinement: toolJail)
        guard flatten.status == 0 else {
            throw ExerciseFailure([problem(spec, "llvm-objcopy failed: \(flatten.output)")])
        }
        let bytes = try readImage(spec, image)
        guard let depsText = try? String(contentsOf: deps, encoding: .utf8) else {
            throw ExerciseFailure([problem(spec, "clang wrote no dependency file, so what this exercise includes is unknown")])
        }
        let includes = try confine(spec, MakeDependencies.parse(depsText), directory: directory, source: source,
                                   ignoring: [runtimeDirectory.path, toolchainRoot])
        return BuiltGuest(image: bytes, includes: includes,
                          symbols: .elf(elf, source: source.standardizedFileURL.path, runtimeDirectory: runtimeDirectory.path),
                          warnings: warnings)
    }

    /// The runtime built once per runtime and clang version: in the cache folder, else in scratch.
    private func ensureRuntime(clang: String) -> Result<URL, ExerciseBuildError> {
        lock.lock()
        defer { lock.unlock() }
        if let runtime { return runtime }
        let version = versions.version(of: clang, arguments: ["--version"]) ?? clang
        let name = String(SHA256.hash("runtime-object 2\n" + GuestRuntime.hash + "\n" + version).prefix(24))
        let final = (cacheDirectory ?? scratch).appendingPathComponent("runtime/\(name)")
        let result: Result<URL, ExerciseBuildError>
        if FileManager.default.fileExists(atPath: final.appendingPathComponent("runtime.o").path) {
            result = .success(final)
        } else {
            do {
                result = .success(try compileRuntime(clang: clang, into: final, name: name))
            } catch {
                result = .failure(error)
            }
        }
        runtime = result
        return result
    }

    private func compileRuntime(clang: String, into final: URL, name: String) throws(ExerciseBuildError) -> URL {
        let staging = final.deletingLastPathComponent().appendingPathComponent(".\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        do {
            try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
            try Data(GuestRuntime.header.utf8).write(to: staging.appendingPathComponent("hypercourse.h"))
            try Data(GuestRuntime.source.utf8).write(to: staging.appendingPathComponent("runtime.c"))
            try Data(GuestRuntime.linkerScript.utf8).write(to: staging.appendingPathComponent("link.ld"))
        } catch {
            throw ExerciseBuildError("cannot write the guest runtime to \(staging.path): \(error.localizedDescription)")
        }
        let outcome: Subprocess.Outcome
        do {
            // The debug info names the final folder, where the symbolizer will find the runtime.
            outcome = try Subprocess.run(clang, GuestRuntime.compileFlags + [
                "-fdebug-prefix-map=\(staging.path)=\(final.path)",
                "-I", staging.path, "-c", staging.appendingPathComponent("runtime.c").path,
                "-o", staging.appendingPathComponent("runtime.o").path,
            ], limits: Subprocess.Limits(timeout: toolTimeout),
               confinement: confine ? Confinement(readable: toolReadable(clang), writable: [staging.path]) : nil)
        } catch {
            throw ExerciseBuildError(error.description)
        }
        guard outcome.status == 0 else {
            try? FileManager.default.removeItem(at: staging)
            throw ExerciseBuildError("the guest runtime does not compile with \(clang): \(outcome.output)")
        }
        // Another build may have won the race; either copy is the same.
        if rename(staging.path, final.path) != 0 { try? FileManager.default.removeItem(at: staging) }
        return final
    }

    // MARK: helpers

    /// Runs one tool on an exercise's files, with the exercise's limits. A tool stopped at the deadline
    /// or for writing too much is an error here; any other exit status is the caller's to judge.
    private func run(_ spec: ExerciseSpec, _ name: String, _ executable: String, _ arguments: [String], in directory: URL? = nil,
                     confinement: Confinement?) throws(ExerciseFailure) -> Subprocess.Outcome {
        let limits = Subprocess.Limits(timeout: toolTimeout, maxFileBytes: Self.fileLimit(spec))
        let outcome: Subprocess.Outcome
        do {
            outcome = try Subprocess.run(executable, arguments, in: directory, limits: limits, confinement: confinement)
        } catch {
            throw ExerciseFailure([problem(spec, error.description)])
        }
        if outcome.timedOut {
            throw ExerciseFailure([problem(spec, "\(name) did not finish within \(Self.seconds(toolTimeout)) and was stopped (a runaway %rep, times or macro?)")])
        }
        if outcome.fileTooLarge {
            throw ExerciseFailure([problem(spec, "\(name) was stopped for writing a file over \(Self.fileLimit(spec) >> 20) MiB; the guest's image must fit in its \(spec.memoryMiB) MiB of RAM")])
        }
        return outcome
    }

    /// Largest file a tool may write for an exercise: the image must fit in RAM; listings, objects
    /// and debug information get as much again, and some room.
    static func fileLimit(_ spec: ExerciseSpec) -> UInt64 { UInt64(spec.memoryMiB) << 21 + 64 << 20 }

    /// The image, once its size says it fits in the guest's RAM (read only then).
    private func readImage(_ spec: ExerciseSpec, _ image: URL) throws(ExerciseFailure) -> [UInt8] {
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
    private func confinement(_ spec: ExerciseSpec, tool: String, work: URL, also: [String] = [], content: Bool = true) -> Confinement? {
        guard confine else { return nil }
        var readable = toolReadable(tool) + also
        if content { readable.append(spec.input.contentRoot.path) }
        if let file = spec.sourceFile { readable.append(file.path) }
        return Confinement(readable: readable, writable: [work.path])
    }

    /// The tool itself (the whole toolchain folder for LLVM's tools, which load their libraries and
    /// clang's resource folder from there) and the system's libraries.
    private func toolReadable(_ tool: String) -> [String] {
        var paths = [tool] + Confinement.systemLibraries
        if let llvmBin = toolchain.llvmBin, tool.hasPrefix(llvmBin + "/") {
            paths.append(URL(fileURLWithPath: llvmBin).deletingLastPathComponent().path)
        }
        return paths
    }

    private static func seconds(_ duration: Duration) -> String {
        let value = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return value == value.rounded() ? "\(Int(value)) s" : String(format: "%.1f s", value)
    }

    /// Dependencies as content-relative paths; an include outside the content folder is an error
    /// (unless under one of `ignoring`, the runtime and the toolchain, whose versions the key has).
    private func confine(_ spec: ExerciseSpec, _ paths: [String], directory: URL, source: URL, ignoring: [String]) throws(ExerciseFailure) -> [String] {
        var result = Set<String>()
        let sourcePath = source.standardizedFileURL.resolvingSymlinksInPath().path
        for path in paths {
            let url = (path.hasPrefix("/") ? URL(fileURLWithPath: path) : directory.appendingPathComponent(path)).standardizedFileURL
            let resolved = url.resolvingSymlinksInPath()
            if resolved.path == sourcePath { continue }
            if ignoring.contains(where: { resolved.path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") || url.path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }) { continue }
            guard let relative = ContentPath.relative(resolved, to: spec.input.contentRoot) else {
                throw ExerciseFailure([problem(spec, "includes '\(path)', which is outside the content folder")])
            }
            result.insert(relative)
        }
        return result.sorted()
    }

    private func problem(_ spec: ExerciseSpec, _ message: String) -> ExerciseProblem {
        ExerciseProblem(file: spec.input.file, line: spec.input.line, message: "exercise '\(spec.id)': \(message)")
    }

    private func slash(_ url: URL) -> String { url.path.hasSuffix("/") ? url.path : url.path + "/" }
}
