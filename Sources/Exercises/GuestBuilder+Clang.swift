import Common
import Foundation
import Hypervisor

/// C guests: clang compiles against the guest runtime, ld.lld links, llvm-objcopy flattens the ELF.
extension GuestBuilder {
    func buildC(_ spec: ExerciseSpec, _ files: GuestFiles) throws(ExerciseFailure) -> BuiltGuest {
        let (source, directory, work, name) = (files.source, files.directory, files.work, Self.sourceName(spec))
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
            + Self.stableNames(runtime: runtimeDirectory, content: spec.input.contentRoot)
        let compileJail = confinement(spec, tool: clang, work: work, also: [runtimeDirectory.path])
        let toolchainRoot = URL(fileURLWithPath: toolchain.llvmBin ?? "/").deletingLastPathComponent().path
        func place(_ diagnostic: ClangDiagnostic) -> (URL, Int) {
            let file = files.url(diagnostic.file)
            if file.path == source.standardizedFileURL.path {
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
            _ = try confine(spec, errors.compactMap(\.unopenedFile), files, ignoring: ignoring)
            let deps = try run(spec, "clang -M", clang, GuestRuntime.compileFlags + searchPath + ["-M", "-MG", name],
                               in: files.folder, confinement: compileJail)
            if deps.status == 0 {
                _ = try confine(spec, MakeDependencies.parse(deps.output), files, ignoring: ignoring)
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
                                 + ["-g0", "-Xclang", "-disable-llvm-passes", "-emit-llvm", "-S", name, "-o", ir.path],
                             in: files.folder, confinement: compileJail)
        guard listed.status == 0 else { throw try failure(listed.output) }
        guard let text = try? String(contentsOf: ir, encoding: .utf8) else {
            throw ExerciseFailure([problem(spec, "clang wrote no IR to check the inline assembly in")])
        }
        if let directive = InlineAssembly.strings(inIR: text).lazy.compactMap(InlineAssembly.fileDirective(in:)).first {
            throw ExerciseFailure([problem(spec, "inline assembly uses \(directive), which C exercises may not: a C guest reads no files but its #includes")])
        }
        // `#pragma comment(lib, "…")` asks the linker to read a file (as a library, or as a linker
        // script that can INPUT any other): the IR lists such names as dependent libraries.
        if text.contains("!llvm.dependent-libraries") {
            throw ExerciseFailure([problem(spec, "#pragma comment(lib, …) is not available to C exercises: the linker would read the file it names; a C guest reads no files but its #includes")])
        }
        let compile = try run(spec, "clang", clang, GuestRuntime.compileFlags + searchPath + [
            "-MD", "-MF", deps.path, "-c", name, "-o", object.path,
        ], in: files.folder, confinement: compileJail)
        guard compile.status == 0 else { throw try failure(compile.output) }
        let warnings = ClangDiagnostic.parse(compile.output).filter { $0.severity == "warning" }.map { diagnostic -> String in
            let (file, line) = place(diagnostic)
            return Diagnostic.format(file: file, line: line, .warning, diagnostic.message)
        }
        let toolJail = confinement(spec, tool: lld, work: work, also: [runtimeDirectory.path], content: false)
        try link(spec, lld: lld, object: object, runtime: runtimeDirectory, elf: elf, work: work, jail: toolJail)
        let flatten = try run(spec, "llvm-objcopy", objcopy, ["-O", "binary", elf.path, image.path], confinement: toolJail)
        guard flatten.status == 0 else {
            throw ExerciseFailure([problem(spec, "llvm-objcopy failed: \(flatten.output)")])
        }
        let bytes = try readImage(spec, image)
        guard let depsText = try? String(contentsOf: deps, encoding: .utf8) else {
            throw ExerciseFailure([problem(spec, "clang wrote no dependency file, so what this exercise includes is unknown")])
        }
        let includes = try confine(spec, MakeDependencies.parse(depsText), files, ignoring: [runtimeDirectory.path, toolchainRoot])
        return BuiltGuest(image: bytes, includes: includes,
                          symbols: .elf(elf, source: source.standardizedFileURL.path, runtimeDirectory: runtimeDirectory.path),
                          warnings: warnings)
    }

    /// Links the guest's object with the runtime. The linker reads only what it is given: dependent
    /// libraries (`.deplibs`, from `#pragma comment(lib)`) are ignored, and its own list of the files
    /// it read is checked against what it was given, whatever the confinement.
    private func link(_ spec: ExerciseSpec, lld: String, object: URL, runtime: URL, elf: URL, work: URL,
                      jail: Confinement?) throws(ExerciseFailure) {
        let script = runtime.appendingPathComponent("link.ld"), depsFile = work.appendingPathComponent("link.d")
        let inputs = [object.path] + GuestRuntime.linkInputs(in: runtime)
        let link = try run(spec, "ld.lld", lld, GuestRuntime.linkFlags + [
            "--no-dependent-libraries", "--dependency-file=\(depsFile.path)", "-T", script.path, "-o", elf.path,
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
            let message = link.output.split(separator: "\n").filter { $0.contains("error:") }
                .map { $0.components(separatedBy: "error: ").dropFirst().joined(separator: "error: ") }
                .joined(separator: "; ")
            throw ExerciseFailure([problem(spec, "link error: \(message.isEmpty ? link.output : message) (the runtime provides what hypercourse.h declares)")])
        }
    }

    /// `__FILE__` in a header names the content folder's or the runtime's place on this machine;
    /// these make it `ch/x.h` and `hypercourse-runtime/hypercourse.h` everywhere.
    static func stableNames(runtime: URL, content: URL) -> [String] {
        ["-fmacro-prefix-map=\(slashed(content.path))=", "-fmacro-prefix-map=\(slashed(runtime.path))=hypercourse-runtime/"]
    }

    private static func slashed(_ path: String) -> String { path.hasSuffix("/") ? path : path + "/" }
}
