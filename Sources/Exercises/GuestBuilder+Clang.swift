import Common
import Foundation
import Hypervisor

/// C guests: clang compiles against the guest runtime, ld.lld links, llvm-objcopy flattens the ELF.
extension GuestBuilder {
    func buildC(_ spec: ExerciseSpec, source: URL, directory: URL, work: URL) throws(ExerciseFailure) -> BuiltGuest {
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
            return Diagnostic.format(file: file, line: line, .warning, diagnostic.message)
        }
        let toolJail = confinement(spec, tool: lld, work: work, also: [runtimeDirectory.path], content: false)
        let link = try run(spec, "ld.lld", lld, GuestRuntime.linkFlags + [
            "-T", runtimeDirectory.appendingPathComponent("link.ld").path, "-o", elf.path,
            // The guest's code first, so its addresses (in traces and steps) do not move when the
            // runtime changes; the entry stub still comes first through the linker script.
            object.path,
        ] + GuestRuntime.linkInputs(in: runtimeDirectory), confinement: toolJail)
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
}
