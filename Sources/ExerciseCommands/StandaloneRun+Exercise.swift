import Common
import Exercises
import Foundation
import Hypervisor

extension StandaloneRun {
    /// The options of `hypercourse run` that run an exercise's whole source on the machine its page
    /// shows: `--mode` always (a file alone does not say it), then each machine setting that differs
    /// from run's default (exercises and run share their defaults and limits).
    public static func options(for spec: ExerciseSpec) -> [String] {
        var options = ["--mode", spec.mode.rawValue]
        if spec.memoryMiB != MachineConfig.defaultMemoryMiB { options += ["--memory", "\(spec.memoryMiB)"] }
        let defaultTimeout = Int64(MachineConfig.defaultTimeout.components.seconds) * 1_000_000_000
        if spec.timeoutNanoseconds != defaultTimeout { options += ["--timeout", seconds(spec.timeoutNanoseconds)] }
        if spec.outputLimit != MachineConfig.defaultOutputLimit { options += ["--output-limit", "\(spec.outputLimit)"] }
        if spec.exitLimit != MachineConfig.defaultExitLimit { options += ["--exit-limit", "\(spec.exitLimit)"] }
        if spec.machine != .lesson { options += ["--machine", spec.machine.rawValue] }
        if spec.cpus > 1 { options += ["--cpus", "\(spec.cpus)"] }
        if spec.dirtyLog { options.append("--dirty-log") }
        if spec.trace { options.append("--trace") }
        if spec.steps > 0 { options += ["--steps", "\(spec.steps)"] }
        return options
    }

    /// `300000000` → `0.3`, `2000000000` → `2`: the shortest text that reads back as the same timeout.
    static func seconds(_ nanoseconds: Int64) -> String {
        let whole = nanoseconds / 1_000_000_000, fraction = nanoseconds % 1_000_000_000
        guard fraction != 0 else { return "\(whole)" }
        var digits = String(repeating: "0", count: 9 - String(fraction).count) + String(fraction)
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(whole).\(digits)"
    }

    /// Where each file an exercise includes (content-relative paths, as its record lists them) must
    /// sit next to its source file for `hypercourse run FILE` to find it as the lesson's build did.
    /// The build looks in the source's folder, then the content folder; run looks in the file's
    /// folder. So a file from the source's own folder keeps its name there, and any other keeps its
    /// path in the content folder (`%include "shared/serial.inc"` finds `shared/serial.inc`).
    public static func includesBeside(_ spec: ExerciseSpec, includes: [String]) -> [(contentPath: String, besideProgram: String)] {
        let content = ContentFolder(spec.input.contentRoot)
        let folder =
            content.realRelativePath(of: spec.sourceFile ?? spec.input.file)
            .map { ($0 as NSString).deletingLastPathComponent } ?? ""
        let prefix = folder.isEmpty ? "" : folder + "/"
        return includes.sorted().compactMap { listed in
            // The list may come from a record, a file in the content folder like any other: a path
            // that leaves the folder (or is missing) is left out rather than copied into the site.
            guard case .success(let file) = content.resolve(listed, from: content.root),
                let path = ContentFolder.relativePath(of: file, in: content.root)
            else { return nil }
            return (path, !prefix.isEmpty && path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path)
        }
    }
}
