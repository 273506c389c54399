import Foundation
import Hypervisor

/// The key of an exercise's result: SHA-256 over everything that can change it, and nothing else.
/// Prose around the block never enters it; neither does `expect`, which checks a result but does
/// not shape it.
enum ExerciseKey {
    /// Bump when the way guests are built or results are recorded changes.
    static let recipe = "hypercourse-exercise-key 1"

    /// `includes` are content-relative; a missing one hashes as missing, so the key changes and the
    /// exercise is rebuilt (which then reports the missing file).
    static func compute(_ spec: ExerciseSpec, tools: String, includes: [String]) -> String {
        var text = """
            \(recipe)
            language \(spec.language.rawValue)
            mode \(spec.mode.rawValue)
            memory-mib \(spec.memoryMiB)
            timeout-ns \(spec.timeoutNanoseconds)
            output-limit \(spec.outputLimit)
            exit-limit \(spec.exitLimit)
            trace \(spec.trace)
            steps \(spec.steps)
            machine \(GuestMachine.version)
            tools \(tools.replacingOccurrences(of: "\n", with: " | "))
            source \(SHA256.hash(spec.source.built))

            """
        for include in includes.sorted() {
            let url = spec.input.contentRoot.appendingPathComponent(include)
            let digest = FileManager.default.contents(atPath: url.path).map { SHA256.hash([UInt8]($0)) } ?? "missing"
            text += "include \(include) \(digest)\n"
        }
        return SHA256.hash(text)
    }
}

/// What this machine has verified: for each key, the digest of the result it got. Git-ignored, in
/// `.hypercourse-cache/results/` beside the content folder by default. Deleting it only costs time.
final class ResultCache: @unchecked Sendable {
    let directory: URL?

    init(directory: URL?) { self.directory = directory?.appendingPathComponent("results") }

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
