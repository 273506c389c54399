import Common
import Foundation
import Hypervisor

/// C guests: clang compiles against the guest runtime, ld.lld links, llvm-objcopy flattens the ELF.
extension GuestBuilder {
    func buildC(_ spec: ExerciseSpec, _ files: GuestFiles) throws(ExerciseFailure) -> BuiltGuest {
        let (source, work, name) = (files.source, files.work, Self.sourceName(spec))
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
        let compiler = CCompilation(
            builder: self, spec: spec, clang: clang, flags: GuestRuntime.compileFlags, files: files,
            headers: runtimeDirectory, headersName: "hypercourse-runtime/", ignoring: [runtimeDirectory.path, toolchainRoot],
            jail: confinement(spec, tool: clang, work: work, also: [runtimeDirectory.path]))
        try compiler.checkInlineAssembly()
        let warnings = try compiler.compile(["-MD", "-MF", deps.path, "-c", name, "-o", object.path])
        let toolJail = confinement(spec, tool: lld, work: work, also: [runtimeDirectory.path], content: false)
        var script = runtimeDirectory.appendingPathComponent("link.ld"), kernelObjects: [String] = []
        if spec.kernel != nil {
            (script, kernelObjects) = try buildKernelEntry(spec, clang: clang, runtimeDirectory: runtimeDirectory, work: work)
        }
        try link(
            spec, lld: lld, object: object, runtime: runtimeDirectory, script: script, extra: kernelObjects, elf: elf, work: work,
            jail: toolJail)
        let debugInfo = ElfDebugInfo(elf: elf, source: source.standardizedFileURL.path, runtimeDirectory: runtimeDirectory.path)
        // Traces and steps are placed at source lines after the run: their disassembly starts now.
        if spec.trace || spec.steps > 0 { debugInfo.startDisassembly(toolchain: toolchain) }
        let flatten = try run(spec, "llvm-objcopy", objcopy, ["-O", "binary", elf.path, image.path], confinement: toolJail)
        guard flatten.status == 0 else {
            throw ExerciseFailure([problem(spec, "llvm-objcopy failed: \(flatten.output)")])
        }
        let bytes = try readImage(spec, image)
        let includes = try compiler.includes(listedIn: deps)
        return BuiltGuest(image: bytes, includes: includes, symbols: .elf(debugInfo), warnings: warnings)
    }

    /// Links the guest's object with the runtime. The linker reads only what it is given: dependent
    /// libraries (`.deplibs`, from `#pragma comment(lib)`) are ignored, and its own list of the files
    /// it read is checked against what it was given, whatever the confinement.
    private func link(
        _ spec: ExerciseSpec, lld: String, object: URL, runtime: URL, script: URL, extra: [String], elf: URL,
        work: URL, jail: Confinement?
    ) throws(ExerciseFailure) {
        let depsFile = work.appendingPathComponent("link.d")
        let inputs = [object.path] + extra + GuestRuntime.linkInputs(in: runtime)
        let link = try run(
            spec, "ld.lld", lld,
            GuestRuntime.linkFlags + CCompilation.linkerFlags + [
                "--dependency-file=\(depsFile.path)", "-T", script.path, "-o", elf.path
                    // The guest's code first, so its addresses (in traces and steps) do not move when the
                    // runtime changes; the entry stub still comes first through the linker script.
            ] + inputs, confinement: jail)
        if let deps = try? String(contentsOf: depsFile, encoding: .utf8) {
            let given = Set(inputs + [script.path])
            if let stray = MakeDependencies.parse(deps).first(where: { !given.contains($0) }) {
                throw ExerciseFailure([problem(spec, "the linker read '\(stray)', which is neither the guest nor the runtime")])
            }
        } else if link.status == 0 {
            throw ExerciseFailure([problem(spec, "ld.lld wrote no list of the files it read")])
        }
        guard link.status == 0 else {
            throw ExerciseFailure([
                problem(spec, "link error: \(Self.linkErrors(link.output)) (the runtime provides what hypercourse.h declares)")
            ])
        }
    }

    /// `__FILE__` in a header names the content folder's or the build's header folder's place on
    /// this machine; these make it `ch/x.h` and `<headersName>hypercourse.h` everywhere.
    static func stableNames(headers: URL, headersName: String, content: URL) -> [String] {
        ["-fmacro-prefix-map=\(slashed(content.path))=", "-fmacro-prefix-map=\(slashed(headers.path))=\(headersName)"]
    }

    /// The Swift toolchain's root (its headers and libraries are in the key through its version).
    var toolchainRoot: String { URL(fileURLWithPath: toolchain.llvmBin ?? "/").deletingLastPathComponent().path }

    /// The `error:` parts of a linker's output, joined; all of it when there is none.
    static func linkErrors(_ output: String) -> String {
        let message = output.split(separator: "\n").filter { $0.contains("error:") }
            .map { $0.components(separatedBy: "error: ").dropFirst().joined(separator: "error: ") }
            .joined(separator: "; ")
        return message.isEmpty ? output : message
    }

    private static func slashed(_ path: String) -> String { path.hasSuffix("/") ? path : path + "/" }
}

/// One C source compiled by clang for an exercise (a C guest or a vmm): errors placed at the
/// lesson's lines, inline assembly that reads files and `#pragma comment(lib)` refused, and
/// includes outside the content folder refused.
struct CCompilation {
    let builder: GuestBuilder
    let spec: ExerciseSpec
    let clang: String
    let flags: [String]
    let files: GuestFiles
    /// The folder of the header the build provides, and the stable name `__FILE__` gives it.
    let headers: URL
    let headersName: String
    /// Where included files may come from besides the content folder (their identity is in the key).
    let ignoring: [String]
    let jail: Confinement?

    /// What every link of a compiled exercise gives ld.lld: dependent libraries (`.deplibs`, which
    /// `#pragma comment(lib)` or an inline-assembly section can put in an object) are not read, so the
    /// linker reads no file the source names (and prints none of it in an error).
    static let linkerFlags = ["--no-dependent-libraries"]

    var name: String { GuestBuilder.sourceName(spec) }
    var searchPath: [String] {
        ["-I", headers.path, "-I", files.directory.path, "-I", spec.input.contentRoot.path]
            + GuestBuilder.stableNames(headers: headers, headersName: headersName, content: spec.input.contentRoot)
    }

    /// Checks the IR clang makes before optimising (fast: no code is generated): what inline
    /// assembly's `.incbin` reads is in no dependency list, and `#pragma comment(lib, "…")` asks
    /// the linker to read a file (a library, or a linker script that can INPUT any other). This pass
    /// also reads every file a C error can come from, so errors show here first.
    func checkInlineAssembly() throws(ExerciseFailure) {
        let ir = files.work.appendingPathComponent("check.ll")
        let listed = try builder.run(
            spec, "clang -emit-llvm", clang,
            flags + searchPath
                + ["-g0", "-Xclang", "-disable-llvm-passes", "-emit-llvm", "-S", name, "-o", ir.path],
            in: files.folder, confinement: jail)
        guard listed.status == 0 else { throw try failure(listed.output) }
        guard let text = try? String(contentsOf: ir, encoding: .utf8) else {
            throw ExerciseFailure([builder.problem(spec, "clang wrote no IR to check the inline assembly in")])
        }
        if let directive = InlineAssembly.strings(inIR: text).lazy.compactMap(InlineAssembly.fileDirective(in:)).first {
            throw ExerciseFailure([
                builder.problem(
                    spec, "inline assembly uses \(directive), which C exercises may not: a C program reads no files but its #includes")
            ])
        }
        if text.contains("!llvm.dependent-libraries") {
            throw ExerciseFailure([
                builder.problem(
                    spec,
                    "#pragma comment(lib, …) is not available to C exercises: the linker would read the file it names; a C program reads no files but its #includes"
                )
            ])
        }
    }

    /// Runs clang with `arguments` after the flags and search path; returns its warnings.
    func compile(_ arguments: [String]) throws(ExerciseFailure) -> [String] {
        let compile = try builder.run(spec, "clang", clang, flags + searchPath + arguments, in: files.folder, confinement: jail)
        guard compile.status == 0 else { throw try failure(compile.output) }
        return ClangDiagnostic.parse(compile.output).filter { $0.severity == "warning" }.map { diagnostic -> String in
            let (file, line) = place(diagnostic)
            return Diagnostic.format(file: file, line: line, .warning, diagnostic.message)
        }
    }

    /// The content-relative includes of the dependency file clang wrote.
    func includes(listedIn deps: URL) throws(ExerciseFailure) -> [String] {
        guard let text = try? String(contentsOf: deps, encoding: .utf8) else {
            throw ExerciseFailure([builder.problem(spec, "clang wrote no dependency file, so what this exercise includes is unknown")])
        }
        return try builder.confine(spec, MakeDependencies.parse(text), files, ignoring: ignoring)
    }

    private func place(_ diagnostic: ClangDiagnostic) -> (URL, Int) {
        let file = files.url(diagnostic.file)
        if file.path == files.source.standardizedFileURL.path {
            let (url, line) = spec.location(ofBuiltLine: diagnostic.line)
            return (url, line ?? spec.input.line)
        }
        return (file, diagnostic.line)
    }

    private func failure(_ output: String) throws(ExerciseFailure) -> ExerciseFailure {
        let errors = ClangDiagnostic.parse(output).filter { $0.severity != "warning" && $0.severity != "note" }
        // An error may come from a header outside the content folder (or one the confinement kept
        // clang from reading): then that is the error to report.
        _ = try builder.confine(spec, errors.compactMap(\.unopenedFile), files, ignoring: ignoring)
        let deps = try builder.run(spec, "clang -M", clang, flags + searchPath + ["-M", "-MG", name], in: files.folder, confinement: jail)
        if deps.status == 0 {
            _ = try builder.confine(spec, MakeDependencies.parse(deps.output), files, ignoring: ignoring)
        }
        guard !errors.isEmpty else {
            let linker = output.contains("ld.lld: error:") ? "link error: \(GuestBuilder.linkErrors(output))" : nil
            return ExerciseFailure([
                builder.problem(spec, linker ?? "clang failed: \(output.trimmingCharacters(in: .whitespacesAndNewlines))")
            ])
        }
        return ExerciseFailure(
            errors.map { diagnostic in
                let (file, line) = place(diagnostic)
                return ExerciseProblem(file: file, line: line, message: "compiler error: \(diagnostic.message)\(libraryHint(diagnostic))")
            })
    }

    /// The C library's hosted headers (and POSIX's): a C guest has none of them.
    private static let hostedHeaders: Set<String> = [
        "assert.h", "complex.h", "ctype.h", "errno.h", "fenv.h", "inttypes.h", "locale.h", "math.h", "setjmp.h",
        "signal.h", "stdio.h", "stdlib.h", "string.h", "threads.h", "time.h", "uchar.h", "wchar.h", "wctype.h",
        "fcntl.h", "pthread.h", "unistd.h"
    ]

    /// For a C guest that includes a C library header: what it has instead. A vmm program is a host
    /// program with the C library, so its missing header needs no such hint.
    private func libraryHint(_ diagnostic: ClangDiagnostic) -> String {
        guard spec.language == .c, let header = diagnostic.unopenedFile,
            Self.hostedHeaders.contains(header) || header.hasPrefix("sys/")
        else { return "" }
        return " (a C guest has no C library: #include \"hypercourse.h\", which declares printf, puts, putchar, "
            + "exit and the mem*/strlen functions the runtime provides)"
    }
}

extension GuestBuilder {
    /// A C kernel's Multiboot header and 32-bit entry (`KernelRuntime`), compiled in the exercise's
    /// scratch folder: the linker script and the objects to link.
    func buildKernelEntry(_ spec: ExerciseSpec, clang: String, runtimeDirectory: URL, work: URL) throws(ExerciseFailure) -> (URL, [String])
    {
        let source = work.appendingPathComponent(KernelRuntime.entryName),
            script = work.appendingPathComponent(KernelRuntime.linkerScriptName)
        let object = work.appendingPathComponent("multiboot_entry.o")
        do {
            try Data(KernelRuntime.entrySource.utf8).write(to: source)
            try Data(KernelRuntime.linkerScript.utf8).write(to: script)
        } catch {
            throw ExerciseFailure([problem(spec, "cannot write the kernel entry: \(error.localizedDescription)")])
        }
        let jail = confinement(spec, tool: clang, work: work, also: [runtimeDirectory.path], content: false)
        let compile = try run(spec, "clang", clang, GuestRuntime.compileFlags + ["-c", source.path, "-o", object.path], confinement: jail)
        guard compile.status == 0 else {
            throw ExerciseFailure([problem(spec, "the kernel entry does not compile with \(clang): \(compile.output)")])
        }
        return (script, [object.path])
    }
}
