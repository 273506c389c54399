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
final class GuestBuilder: @unchecked Sendable {
    let toolchain: Toolchain
    let versions: ToolVersions
    let cacheDirectory: URL?
    let scratch: URL
    private let lock = NSLock()
    private var runtime: Result<URL, ExerciseBuildError>?

    init(toolchain: Toolchain, versions: ToolVersions, cacheDirectory: URL?) {
        self.toolchain = toolchain
        self.versions = versions
        self.cacheDirectory = cacheDirectory
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("hypercourse-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    }

    func cleanUp() { try? FileManager.default.removeItem(at: scratch) }

    /// The tool versions a language's key includes, or why they cannot be known.
    func toolIdentity(_ language: GuestLanguage) -> Result<String, ExerciseBuildError> {
        switch language {
        case .asm:
            guard let nasm = toolchain.nasm else { return .failure(.init("nasm is missing: \(Nasm.installLine)")) }
            guard let version = versions.version(of: nasm, arguments: ["-v"]) else { return .failure(.init("cannot run \(nasm) -v")) }
            return .success("nasm: \(version)")
        case .c:
            guard let clang = toolchain.clang, let lld = toolchain.lld else { return .failure(.init(Toolchain.missingClangMessage)) }
            guard let clangVersion = versions.version(of: clang, arguments: ["--version"]),
                  let lldVersion = versions.version(of: lld, arguments: ["--version"]) else {
                return .failure(.init("cannot run \(clang) --version"))
            }
            return .success("clang: \(clangVersion)\nld.lld: \(lldVersion)\nruntime: \(GuestRuntime.hash)")
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
        let outcome = try run(spec, nasm, ["-f", "bin", "-l", listing.path, "-o", image.path] + searchPath + [source.path], in: directory)
        let diagnostics = NasmDiagnostic.parse(outcome.output)
        func place(_ diagnostic: NasmDiagnostic) -> (URL, Int?) {
            let file = diagnostic.file.hasPrefix("/") ? URL(fileURLWithPath: diagnostic.file) : directory.appendingPathComponent(diagnostic.file)
            if file.standardizedFileURL.path == source.standardizedFileURL.path { return spec.location(ofBuiltLine: diagnostic.line) }
            return (file, diagnostic.line)
        }
        guard outcome.status == 0 else {
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
        guard let bytes = FileManager.default.contents(atPath: image.path), let text = try? String(contentsOf: listing, encoding: .utf8) else {
            throw ExerciseFailure([problem(spec, "nasm produced no image")])
        }
        // Dependencies: nasm's -MD forgets %include files (2.16), so ask with -M, and only when the
        // source can include anything at all.
        var includes: [String] = []
        let lowered = spec.source.built.lowercased()
        if ["%include", "incbin", "%depend", "%pathsearch"].contains(where: { lowered.contains($0) }) {
            let deps = try run(spec, nasm, ["-M"] + searchPath + [source.path], in: directory)
            if deps.status == 0 {
                includes = try confine(spec, MakeDependencies.parse(deps.output), directory: directory, source: source, ignoring: [])
            }
        }
        return BuiltGuest(image: [UInt8](bytes), includes: includes, symbols: .listing(NasmListing.parse(text)), warnings: warnings)
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
        let compile = try run(spec, clang, GuestRuntime.compileFlags + [
            "-I", runtimeDirectory.path, "-I", directory.path, "-I", spec.input.contentRoot.path,
            "-MD", "-MF", deps.path, "-c", source.path, "-o", object.path,
        ], in: directory)
        let diagnostics = ClangDiagnostic.parse(compile.output)
        func place(_ diagnostic: ClangDiagnostic) -> (URL, Int) {
            let file = diagnostic.file.hasPrefix("/") ? URL(fileURLWithPath: diagnostic.file) : directory.appendingPathComponent(diagnostic.file)
            if file.standardizedFileURL.path == source.standardizedFileURL.path {
                let (url, line) = spec.location(ofBuiltLine: diagnostic.line)
                return (url, line ?? spec.input.line)
            }
            return (file, diagnostic.line)
        }
        guard compile.status == 0 else {
            let errors = diagnostics.filter { $0.severity != "warning" && $0.severity != "note" }
            guard !errors.isEmpty else {
                throw ExerciseFailure([problem(spec, "clang failed: \(compile.output.trimmingCharacters(in: .whitespacesAndNewlines))")])
            }
            throw ExerciseFailure(errors.map { diagnostic in
                let (file, line) = place(diagnostic)
                return ExerciseProblem(file: file, line: line, message: "compiler error: \(diagnostic.message)")
            })
        }
        let warnings = diagnostics.filter { $0.severity == "warning" }.map { diagnostic -> String in
            let (file, line) = place(diagnostic)
            return "\(DisplayPath.of(file)):\(line): warning: \(diagnostic.message)"
        }
        let link = try run(spec, lld, GuestRuntime.linkFlags + [
            "-T", runtimeDirectory.appendingPathComponent("link.ld").path, "-o", elf.path,
            runtimeDirectory.appendingPathComponent("runtime.o").path, object.path,
        ])
        guard link.status == 0 else {
            let message = link.output.split(separator: "\n").filter { $0.contains("error:") }
                .map { $0.components(separatedBy: "error: ").dropFirst().joined(separator: "error: ") }
                .joined(separator: "; ")
            throw ExerciseFailure([problem(spec, "link error: \(message.isEmpty ? link.output : message) (the runtime provides what hypercourse.h declares)")])
        }
        let flatten = try run(spec, objcopy, ["-O", "binary", elf.path, image.path])
        guard flatten.status == 0, let bytes = FileManager.default.contents(atPath: image.path) else {
            throw ExerciseFailure([problem(spec, "llvm-objcopy failed: \(flatten.output)")])
        }
        var includes: [String] = []
        if let text = try? String(contentsOf: deps, encoding: .utf8) {
            let toolchainRoot = URL(fileURLWithPath: toolchain.llvmBin ?? "/").deletingLastPathComponent().path
            includes = try confine(spec, MakeDependencies.parse(text), directory: directory, source: source,
                                   ignoring: [runtimeDirectory.path, toolchainRoot])
        }
        return BuiltGuest(image: [UInt8](bytes), includes: includes,
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
            ])
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

    private func run(_ spec: ExerciseSpec, _ executable: String, _ arguments: [String], in directory: URL? = nil) throws(ExerciseFailure) -> Subprocess.Outcome {
        do {
            return try Subprocess.run(executable, arguments, in: directory)
        } catch {
            throw ExerciseFailure([problem(spec, error.description)])
        }
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

struct ExerciseBuildError: Error, Sendable {
    var message: String
    init(_ message: String) { self.message = message }
}

/// `target: dep dep \` lines, as nasm -M and clang -MD write them.
enum MakeDependencies {
    static func parse(_ text: String) -> [String] {
        let joined = text.replacingOccurrences(of: "\\\n", with: " ")
        var paths: [String] = []
        for line in joined.split(separator: "\n") {
            guard let colon = line.range(of: ": ") ?? line.range(of: ":\t") else { continue }
            var current = ""
            var escaped = false
            for ch in line[colon.upperBound...] {
                if escaped {
                    current.append(ch)
                    escaped = false
                } else if ch == "\\" {
                    escaped = true
                } else if ch == " " || ch == "\t" {
                    if !current.isEmpty { paths.append(current) }
                    current = ""
                } else {
                    current.append(ch)
                }
            }
            if !current.isEmpty { paths.append(current) }
        }
        return paths
    }
}

/// `file:line:col: error: message` lines from clang.
struct ClangDiagnostic: Sendable, Hashable {
    var file: String
    var line: Int
    var severity: String
    var message: String

    static func parse(_ text: String) -> [ClangDiagnostic] {
        text.split(separator: "\n").compactMap { raw -> ClangDiagnostic? in
            let line = String(raw)
            for severity in ["fatal error", "error", "warning", "note"] {
                guard let marker = line.range(of: ": \(severity): ") else { continue }
                let location = line[..<marker.lowerBound].split(separator: ":")
                guard location.count >= 3, let number = Int(location[location.count - 2]) else { continue }
                let file = location.dropLast(2).joined(separator: ":")
                return ClangDiagnostic(file: file, line: number, severity: severity, message: String(line[marker.upperBound...]))
            }
            return nil
        }
    }
}
