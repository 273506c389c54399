import Common
import Foundation
import Hypervisor

/// Assembly guests: nasm builds a flat image and a listing that maps addresses back to source lines.
extension GuestBuilder {
    func buildAssembly(_ spec: ExerciseSpec, source: URL, directory: URL, work: URL) throws(ExerciseFailure) -> BuiltGuest {
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
            return Diagnostic.format(file: file, line: line, .warning, diagnostic.message)
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
}
