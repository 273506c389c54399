import Common
import Foundation
import Hypervisor

/// Two keys per exercise. The record's key (`record`) follows what shapes the result: the guest image
/// the tools built, the options that shape a run and the machine, so an edit that builds the same
/// image (a comment, a new toolchain with the same output) keeps it and the record does not churn.
/// The inputs' key (`inputs`) covers everything the build reads (source, includes, tools, options);
/// it is kept only in this machine's cache, which maps it to the record key, so a warm build knows
/// the record key without building. Prose around the block never enters either; neither does
/// `expect`, which checks a result but does not shape it.
enum ExerciseKey {
    /// Bump when the way guests are built or results are recorded changes.
    static let recipe = "hypercourse-exercise-key 2"

    /// The record's key for a guest built as `image`. Trace and step rows show source lines and
    /// text, which a comment moves without changing the image, so for an exercise with `trace` or
    /// `steps` the inputs' key is part of it too; and where the image is not all that runs (a
    /// vmm's host program, `followsInputs`; a kernel with its command line and initrd files), the
    /// key follows the inputs too.
    static func record(_ spec: ExerciseSpec, image: [UInt8], inputs: String, followsInputs: Bool = false) -> String {
        var text = """
            \(recipe)
            \(runOptions(spec))
            image \(SHA256.hash(image))

            """
        if followsInputs || spec.kernel != nil || spec.trace || spec.steps > 0 { text += "inputs \(inputs)\n" }
        return SHA256.hash(text)
    }

    /// The options that shape a run of a given image, and the machine it runs on.
    private static func runOptions(_ spec: ExerciseSpec) -> String {
        """
        mode \(spec.mode.rawValue)
        memory-mib \(spec.memoryMiB)
        timeout-ns \(spec.timeoutNanoseconds)
        output-limit \(spec.outputLimit)
        exit-limit \(spec.exitLimit)
        trace \(spec.trace)
        steps \(spec.steps)
        machine \(spec.machine.version)
        """ + spec.machineOptions.keyLines.map { "\n" + $0 }.joined()
    }

    /// The inputs' key. `includes` are content-relative; a missing one hashes as missing, so the
    /// key changes and the exercise is rebuilt (which then reports the missing file).
    static func inputs(_ spec: ExerciseSpec, tools: String, includes: [String]) -> String {
        var text = """
            \(recipe)
            language \(spec.language.rawValue)
            \(runOptions(spec))
            tools \(tools.replacingOccurrences(of: "\n", with: " | "))
            source \(SHA256.hash(spec.source.built))

            """
        if let guest = spec.guest?.spec {
            // The guest's image, as far as its source and options shape it (its includes and
            // tools are among this exercise's).
            text += "guest \(guest.language.rawValue) memory-mib \(guest.memoryMiB) source \(SHA256.hash(guest.source.built))\n"
            for shadow in shadows(guest, includes: includes) { text += "guest-shadow \(shadow)\n" }
        }
        if spec.kernel != nil && spec.language == .c { text += "kernel runtime \(KernelRuntime.hash)\n" }
        for include in includes.sorted() {
            let url = spec.input.contentRoot.appendingPathComponent(include)
            let digest = (try? TextFile.bytes(url)).map { SHA256.hash([UInt8]($0)) } ?? "missing"
            text += "include \(include) \(digest)\n"
        }
        for shadow in shadows(spec, includes: includes) { text += "shadow \(shadow)\n" }
        return SHA256.hash(text)
    }

    /// Files that exist where an include could be found before the one recorded: a `defs.inc` new in
    /// the lesson's folder wins over the content root's through the search order, without changing
    /// any recorded include. Candidates are every tail of each include's path in every folder the
    /// tools search (the source's folder, the content root, and for C the includes' own folders),
    /// plus the C runtime's header; a warm build only stats them. Deterministic for a given tree, so
    /// only a file appearing or vanishing there changes the key.
    static func shadows(_ spec: ExerciseSpec, includes: [String]) -> [String] {
        let root = spec.input.contentRoot.standardizedFileURL
        // The folder as a content-relative path ("" for the root itself).
        guard
            let lesson = ContentFolder(root).realRelativePath(
                of: (spec.sourceFile ?? spec.input.file).deletingLastPathComponent().appendingPathComponent("_")
            )
            .map({ ($0 as NSString).deletingLastPathComponent })
        else { return [] }
        var folders = [lesson, ""]
        var names = includes
        if spec.language.searchesIncludersFolders {
            folders += includes.map { ($0 as NSString).deletingLastPathComponent }
        }
        if let header = spec.language.runtimeHeader { names.append(header) }
        let known = Set(includes)
        var found = Set<String>()
        for name in names {
            let parts = name.split(separator: "/")
            for start in parts.indices {
                let tail = parts[start...].joined(separator: "/")
                for folder in Set(folders) {
                    let candidate = ((folder.isEmpty ? tail : folder + "/" + tail) as NSString).standardizingPath
                    guard !known.contains(candidate), !candidate.hasPrefix("../"), !found.contains(candidate) else { continue }
                    var info = stat()
                    if stat(root.appendingPathComponent(candidate).path, &info) == 0, info.st_mode & S_IFMT == S_IFREG {
                        found.insert(candidate)
                    }
                }
            }
        }
        return found.sorted()
    }
}

/// What this machine has verified: for each record key, the digest of the result it got
/// (`results/`), and for each inputs' key, the record key its build gave (`keys/`). Git-ignored, in
/// `.hypercourse-cache/` beside the content folder by default. Deleting it only costs time.
final class ResultCache: Sendable {
    let directory: URL?
    /// The timings of `measure=N`, beside the results.
    let measurements: MeasurementCache
    let keysDirectory: URL?

    init(directory: URL?) {
        self.directory = directory?.appendingPathComponent("results")
        measurements = MeasurementCache(directory: directory)
        keysDirectory = directory?.appendingPathComponent("keys")
    }

    /// The record key a build of these inputs gave on this machine.
    func recordKey(forInputs inputs: String) -> String? {
        guard let keysDirectory, let data = FileManager.default.contents(atPath: keysDirectory.appendingPathComponent(inputs).path) else {
            return nil
        }
        let key = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return key.count == 64 ? key : nil
    }

    func store(recordKey: String, forInputs inputs: String) {
        guard let keysDirectory, !recordKey.isEmpty, !inputs.isEmpty else { return }
        try? AtomicFile.write(Data((recordKey + "\n").utf8), to: keysDirectory.appendingPathComponent(inputs))
    }

    func digest(for key: String) -> String? {
        guard let directory else { return nil }
        guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(key).path) else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func store(_ digest: String, for key: String) {
        guard let directory else { return }
        try? AtomicFile.write(Data((digest + "\n").utf8), to: directory.appendingPathComponent(key))
    }
}
