import Common
import Foundation
import Hypervisor

/// What a pass over the course's exercises does.
public enum ExercisePass: Sendable, Hashable {
    /// `hypercourse build`: reuse what the cache and the record agree on, run the rest twice, compare
    /// with the record (a difference fails unless `promote`), record new exercises. Without KVM, show
    /// the record.
    case build(promote: Bool)
    /// `hypercourse check`: run everything twice, ignore the cache, write nothing but the cache; any
    /// difference, missing record or stale key fails.
    case check
    /// `hypercourse promote`: run the selected exercises (all when nil) and rewrite their records.
    case promote(PromoteSelection?)
}

/// `promote` arguments: lesson files and exercise ids.
public struct PromoteSelection: Sendable, Hashable {
    public var lessons: [URL]
    public var ids: [String]
    public init(lessons: [URL], ids: [String]) {
        self.lessons = lessons
        self.ids = ids
    }
}

public struct ExerciseSettings: Sendable {
    public var kvmDevice: String
    /// The git-ignored cache folder; nil runs without one.
    public var cacheDirectory: URL?
    /// Threads for builds and guests; defaults to the number of cores.
    public var threads: Int
    public var toolchain: Toolchain
    /// How long nasm, clang, ld.lld, ... may take for one exercise before they are stopped.
    public var toolTimeout: Duration
    /// Run the tools under Landlock, seeing only the content folder, scratch, the guest runtime and
    /// the toolchain (where the kernel has Landlock; elsewhere a warning says they run unconfined).
    /// Defaults to on unless `HYPERCOURSE_UNCONFINED` is set (for a sandbox that forbids Landlock).
    public var confineTools: Bool
    /// Run vmm exercises even where they cannot be confined (`--allow-unconfined-vmm`): for a course
    /// whose lessons the instructor trusts, on a machine without Landlock or namespaces.
    public var allowUnconfinedVMM = false
    /// How messages spell the promote command, so a hint can be pasted as it is
    /// (`hypercourse promote --content course/` for a course outside `content/`).
    public var promoteCommand = "hypercourse promote"

    public init(
        kvmDevice: String = KVMSystem.defaultDevicePath, cacheDirectory: URL?,
        threads: Int = ProcessInfo.processInfo.activeProcessorCount, toolchain: Toolchain = .locate(),
        toolTimeout: Duration = .seconds(30),
        confineTools: Bool = ProcessInfo.processInfo.environment["HYPERCOURSE_UNCONFINED"] == nil
    ) {
        self.kvmDevice = kvmDevice
        self.cacheDirectory = cacheDirectory
        self.threads = threads
        self.toolchain = toolchain
        self.toolTimeout = toolTimeout
        self.confineTools = confineTools
    }

    /// Settings for the course in `content` (the path as the user wrote it): the cache beside it
    /// unless `cache` is given, and hints that spell promote for that folder.
    public init(content: String, kvmDevice: String, cache: URL?) {
        let contentDirectory = URL(fileURLWithPath: content)
        self.init(kvmDevice: kvmDevice, cacheDirectory: cache ?? Self.defaultCache(contentDirectory: contentDirectory))
        promoteCommand = Self.promoteCommand(content: content)
    }

    /// The promote command for a course in `content` (as the user wrote the path).
    public static func promoteCommand(content: String) -> String {
        let trimmed = content.hasSuffix("/") && content.count > 1 ? String(content.dropLast()) : content
        if trimmed == "content" || trimmed == "./content" { return "hypercourse promote" }
        let plain = content.allSatisfy { $0.isLetter || $0.isNumber || "/._-+=:,@".contains($0) }
        return "hypercourse promote --content " + (plain ? content : "'" + content.replacingOccurrences(of: "'", with: "'\\''") + "'")
    }

    /// `.hypercourse-cache` beside the content folder.
    public static func defaultCache(contentDirectory: URL) -> URL {
        contentDirectory.standardizedFileURL.deletingLastPathComponent().appendingPathComponent(".hypercourse-cache")
    }
}

/// One exercise's result as a page shows it.
public struct ExerciseOutcome: Sendable {
    public enum Status: Sendable, Hashable {
        /// Built and run (twice) in this pass.
        case ran
        /// Key and result unchanged since this machine last ran it: nothing was run.
        case cached
        /// KVM is not available: shown from the record. `sourceChanged` when the key no longer matches.
        case recorded(sourceChanged: Bool)
    }

    public var spec: ExerciseSpec
    /// The result and its provenance.
    public var entry: RecordEntry
    public var status: Status
    /// The timings of `measure=N`, from this build or the cache; nil when not asked for or not measured here.
    public var measurement: Measurement? = nil
}

/// Everything a pass found.
public struct ExerciseReport: Sendable {
    /// One per input, in input order; nil for an exercise that failed or was not selected.
    public var outcomes: [ExerciseOutcome?]
    /// Errors, in course order. Any error fails the command.
    public var problems: [ExerciseProblem]
    /// What changed in the records, for people: `recorded 'hello' (new) in 01-intro.exercises.json`.
    public var notes: [String]
    /// Assembler and compiler warnings, stale records.
    public var warnings: [String]
    /// Why guests could not run (no KVM), or nil.
    public var kvmUnavailable: String?
    public var ran = 0, cached = 0, recorded = 0, sourceChanged = 0
    public var newRecords = 0, refreshedKeys = 0, promoted = 0
    /// Record files to write: new exercises, refreshed keys, promoted results. A `build` pass
    /// leaves them here for the build to write together with its site, only when everything
    /// succeeded; `promote` writes them at the end of its pass (`writeRecords`).
    public var pendingRecords: [PendingFile] = []
    public var recordFilesWritten: [URL] = []

    /// Writes the pending records, each atomically (temporaries in `staging` where it can be); a
    /// file that cannot be written is a problem.
    public mutating func writeRecords(staging: URL? = nil) {
        for file in pendingRecords {
            do {
                try AtomicFile.write(file.data, to: file.url, staging: staging)
                recordFilesWritten.append(file.url)
            } catch {
                problems.append(
                    ExerciseProblem(file: file.url, line: nil, message: "cannot write the record: \(error.localizedDescription)"))
            }
        }
        pendingRecords = []
    }
}
