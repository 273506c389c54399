import Common
import Foundation
import Hypervisor

/// Assembly guests: nasm builds a flat image and a listing that maps addresses back to source lines.
///
/// What nasm reads must be known for certain, with or without Landlock. Its preprocessor runs once
/// per pass and may branch on the pass (`%if __?PASS?__ == 2`), so a file included or `incbin`ed in
/// one pass only escapes a dependency list made by another (`nasm -M`). So: the pass and the clock
/// macros are fixed (every pass then sees the same text); the preprocessor runs alone first (`-E`),
/// and its include list is checked before any of its messages is shown; that text, the one the
/// assembler will see in every pass, is checked for directives that write files (`[map]`) and for
/// `incbin`s a pass could skip (`times`); then the assembly's own list (`-MD`) names every `incbin`.
extension GuestBuilder {
    /// Macros nasm computes from the pass or the clock, fixed: the same text in every pass, and no
    /// build time in a guest (nasm 2.16 has no SOURCE_DATE_EPOCH). The Unix epoch, as for C guests.
    static let nasmFixedMacros: [String] = [
        "__?PASS?__=2", "__?POSIX_TIME?__=0",
        "__?DATE?__=\"1970-01-01\"", "__?TIME?__=\"00:00:00\"", "__?DATE_NUM?__=19700101", "__?TIME_NUM?__=0",
        "__?UTC_DATE?__=\"1970-01-01\"", "__?UTC_TIME?__=\"00:00:00\"", "__?UTC_DATE_NUM?__=19700101", "__?UTC_TIME_NUM?__=0"
    ].map { "-D" + $0 }

    func buildAssembly(_ spec: ExerciseSpec, _ files: GuestFiles) throws(ExerciseFailure) -> BuiltGuest {
        guard let nasm = toolchain.nasm else { throw ExerciseFailure([problem(spec, "nasm is missing: \(Nasm.installLine)")]) }
        let jail = confinement(spec, tool: nasm, work: files.work)
        let name = Self.sourceName(spec)
        let common = ["-f", "bin"] + Self.nasmFixedMacros + ["-I", slash(files.directory), "-I", slash(spec.input.contentRoot)]
        let (text, included) = try preprocess(spec, files, nasm: nasm, common: common, jail: jail)
        if let refused = NasmText.refusal(in: text) {
            let (file, line) = place(spec, files, NasmDiagnostic(file: refused.file, line: refused.line, severity: "error", message: ""))
            throw ExerciseFailure([
                ExerciseProblem(file: file, line: line ?? spec.input.line, message: "exercise '\(spec.id)': \(refused.message)")
            ])
        }

        let image = files.work.appendingPathComponent("guest.bin"), listing = files.work.appendingPathComponent("guest.lst")
        let depsFile = files.work.appendingPathComponent("guest.d")
        let outcome = try run(
            spec, "nasm", nasm, common + ["-MD", depsFile.path, "-l", listing.path, "-o", image.path, name],
            in: files.folder, confinement: jail)
        guard outcome.status == 0 else {
            // A failed assembly writes no list: the files its incbins name are checked before its
            // messages (a size can show in one) are shown.
            _ = try confine(spec, incbinTargets(spec, files, text), files, ignoring: [])
            throw nasmFailure(spec, files, outcome.output)
        }
        guard let deps = try? String(contentsOf: depsFile, encoding: .utf8) else {
            throw ExerciseFailure([problem(spec, "nasm wrote no list of the files it read")])
        }
        let includes = try confine(spec, included + MakeDependencies.parse(deps), files, ignoring: [])
        let diagnostics = NasmDiagnostic.parse(outcome.output)
        let warnings = diagnostics.filter { $0.severity == "warning" }.map { diagnostic -> String in
            let (file, line) = place(spec, files, diagnostic)
            return Diagnostic.format(file: file, line: line, .warning, diagnostic.message)
        }
        let bytes = try readImage(spec, image)
        guard let listed = try? String(contentsOf: listing, encoding: .utf8) else {
            throw ExerciseFailure([problem(spec, "nasm produced no listing")])
        }
        return BuiltGuest(image: bytes, includes: includes, symbols: .listing(NasmListing.parse(listed)), warnings: warnings)
    }

    /// nasm's preprocessor alone: the text every pass of the assembly will see, and the files it
    /// included, checked before any of its messages is shown (an included file's lines can be made
    /// into an `%error`). A failed `-E` writes no list; `-M`, the same preprocessing, then gives it.
    private func preprocess(
        _ spec: ExerciseSpec, _ files: GuestFiles, nasm: String, common: [String],
        jail: Confinement?
    ) throws(ExerciseFailure) -> (text: String, includes: [String]) {
        let output = files.work.appendingPathComponent("guest.i"), depsFile = files.work.appendingPathComponent("guest.i.d")
        let name = Self.sourceName(spec)
        let outcome = try run(
            spec, "nasm -E", nasm, common + ["-E", "-MD", depsFile.path, "-o", output.path, name],
            in: files.folder, confinement: jail)
        if outcome.status == 0, let deps = try? String(contentsOf: depsFile, encoding: .utf8) {
            let includes = MakeDependencies.parse(deps)
            _ = try confine(spec, includes, files, ignoring: [])
            guard let text = FileManager.default.contents(atPath: output.path) else {
                throw ExerciseFailure([problem(spec, "nasm's preprocessor wrote no output")])
            }
            return (String(decoding: text, as: UTF8.self), includes)
        }
        let listed = try run(spec, "nasm -M", nasm, common + ["-M", name], in: files.folder, confinement: jail)
        guard listed.status == 0 else {
            throw ExerciseFailure([
                problem(
                    spec,
                    "nasm -M cannot list the files this exercise includes: \(listed.output.trimmingCharacters(in: .whitespacesAndNewlines))"
                )
            ])
        }
        _ = try confine(spec, MakeDependencies.parse(listed.output), files, ignoring: [])
        throw nasmFailure(spec, files, outcome.output)
    }

    /// The file each `incbin` of the preprocessed text opens, found as nasm finds it: the name as
    /// written (from its working folder), else under each include folder in turn.
    private func incbinTargets(_ spec: ExerciseSpec, _ files: GuestFiles, _ text: String) throws(ExerciseFailure) -> [String] {
        switch NasmText.incbinNames(in: text) {
        case .failure(let refused):
            let (file, line) = place(spec, files, NasmDiagnostic(file: refused.file, line: refused.line, severity: "error", message: ""))
            throw ExerciseFailure([
                ExerciseProblem(file: file, line: line ?? spec.input.line, message: "exercise '\(spec.id)': \(refused.message)")
            ])
        case .success(let names):
            let prefixes = [files.folder, files.directory, spec.input.contentRoot]
            return names.map { name in
                if name.hasPrefix("/") { return name }
                return prefixes.map { $0.appendingPathComponent(name).path }.first { FileManager.default.fileExists(atPath: $0) } ?? name
            }
        }
    }

    /// nasm's errors, each at its place (the lesson's line for the exercise's own source).
    private func nasmFailure(_ spec: ExerciseSpec, _ files: GuestFiles, _ output: String) -> ExerciseFailure {
        let errors = NasmDiagnostic.parse(output).filter { $0.severity != "warning" }
        guard !errors.isEmpty else {
            return ExerciseFailure([problem(spec, "nasm failed: \(output.trimmingCharacters(in: .whitespacesAndNewlines))")])
        }
        return ExerciseFailure(
            errors.map { diagnostic in
                let (file, line) = place(spec, files, diagnostic)
                return ExerciseProblem(
                    file: file, line: line ?? spec.input.line, message: "assembler \(diagnostic.severity): \(diagnostic.message)")
            })
    }

    /// Where a nasm message points: the built source's lines map back to the lesson (or `src=` file).
    private func place(_ spec: ExerciseSpec, _ files: GuestFiles, _ diagnostic: NasmDiagnostic) -> (URL, Int?) {
        let file = files.url(diagnostic.file)
        if file.path == files.source.standardizedFileURL.path { return spec.location(ofBuiltLine: diagnostic.line) }
        return (file, diagnostic.line)
    }
}

/// Checks of nasm's preprocessed text (`nasm -E`), the text the assembler sees in every pass.
enum NasmText {
    /// Assembler directives (`[name …]`) an exercise may use: none of them opens a file. Anything
    /// else is refused, `[map]` first of all (nasm writes a map file wherever it says).
    static let allowedDirectives: Set<String> = [
        "bits", "use16", "use32", "use64", "org", "section", "segment", "absolute", "default", "cpu", "float",
        "warning", "list", "sectalign", "global", "extern", "common", "static", "required"
    ]

    struct Refusal: Error, Equatable {
        /// The file and line as nasm's `%line` markers give them.
        var file: String
        var line: Int?
        var message: String
    }

    /// The first line of `text` that may open a file nobody could check, or nil.
    static func refusal(in text: String) -> Refusal? {
        var found: Refusal?
        walk(text) { content, file, line in
            guard let message = problem(in: content) else { return false }
            found = Refusal(file: file, line: line, message: message)
            return true
        }
        return found
    }

    /// The file names of every `incbin` in `text`, or the first line with an `incbin` whose name
    /// is not a plain quoted string (a backquoted one has escapes; then nothing is guessed).
    static func incbinNames(in text: String) -> Result<[String], Refusal> {
        var names: [String] = []
        var refusal: Refusal?
        walk(text) { content, file, line in
            guard content.lowercased().contains("incbin") else { return false }
            guard let name = incbinName(in: content) else {
                refusal = Refusal(
                    file: file, line: line, message: "cannot tell which file this incbin reads; write its name in plain quotes")
                return true
            }
            names.append(name)
            return false
        }
        return refusal.map { .failure($0) } ?? .success(names)
    }

    /// `[label[:]] incbin "name"[, …]`: the name, or nil for any other shape.
    static func incbinName(in line: Substring) -> String? {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard let index = words.firstIndex(where: { $0.lowercased() == "incbin" }), index <= 1 else { return nil }
        if index == 1, words[0].lowercased().contains("incbin") { return nil }
        let operand = words[(index + 1)...].joined(separator: " ")
        guard let quote = operand.first, quote == "\"" || quote == "'" else { return nil }
        let rest = operand.dropFirst()
        guard let end = rest.firstIndex(of: quote) else { return nil }
        let after = rest[rest.index(after: end)...].trimmingCharacters(in: .whitespaces)
        guard after.isEmpty || after.hasPrefix(",") else { return nil }
        return String(rest[..<end])
    }

    /// Calls `body` with each line that is not a `%line` marker, and the file and line the markers
    /// give it, until `body` returns true.
    static func walk(_ text: String, _ body: (Substring, String, Int?) -> Bool) {
        var file = "", line = 0, step = 1
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let content = raw.drop { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\u{0B}" || $0 == "\u{0C}" }
            if content.hasPrefix("%line ") {
                // %line N+M file: the next line is N, and each after it M more.
                let fields = content.dropFirst(6).split(separator: " ", maxSplits: 1)
                let numbers = fields.first?.split(separator: "+") ?? []
                line = Int(numbers.first ?? "") ?? 0
                step = numbers.count > 1 ? Int(numbers[1]) ?? 1 : 1
                file = fields.count > 1 ? String(fields[1]) : file
                continue
            }
            if body(content, file, line > 0 ? line : nil) { return }
            line += step
        }
    }

    static func problem(in line: Substring) -> String? {
        if line.hasPrefix("[") {
            let name = line.dropFirst().drop { $0 == " " || $0 == "\t" }.prefix { $0 != " " && $0 != "\t" && $0 != "]" }.lowercased()
            if !allowedDirectives.contains(name) {
                return "the directive [\(name)] is not available to exercises (it can make nasm open files outside the content folder)"
            }
        }
        let lowered = line.lowercased()
        if lowered.contains("incbin") && lowered.contains("times") {
            return
                "incbin cannot be repeated with times in an exercise (a count that changes between passes hides what it reads); repeat it with %rep"
        }
        return nil
    }
}
