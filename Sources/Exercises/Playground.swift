import Common
import Foundation
import Hypervisor

/// Runs a student's edit of one exercise, as `hypercourse serve`'s playground asks: the lesson's
/// block with its shown source replaced (hidden parts put back), built by the same builder with the
/// same limits and confinement as a build, run once on KVM with the block's options. Nothing is
/// cached, recorded or written outside the scratch folder: the course stays as the lesson has it.
public final class Playground: Sendable {
    let engine: ExerciseEngine
    private let builder: GuestBuilder
    private let runs = Locked(0)

    public init(engine: ExerciseEngine) {
        self.engine = engine
        let settings = engine.settings
        builder = GuestBuilder(
            toolchain: settings.toolchain, versions: ToolVersions(cacheDirectory: settings.cacheDirectory),
            cacheDirectory: settings.cacheDirectory, toolTimeout: settings.toolTimeout, confine: settings.confineTools)
    }

    deinit { builder.finish() }

    /// What a try gave: the outcome as a build's page would show it, or the problems, each placed in
    /// the student's text where it can be.
    public enum Trial: Sendable {
        case ran(ExerciseOutcome)
        case failed([PlaygroundProblem])
    }

    /// `block` with `shownSource` in place of its shown lines; `course` holds the other blocks, where a
    /// vmm's `guest=` is found. Blocks its thread (see the async version).
    public func tryOut(_ block: ExerciseBlock, shownSource: String, course: [ExerciseBlock]) -> Trial {
        var spec: ExerciseSpec
        switch edited(block, shownSource: shownSource, course: course) {
        case .success(let found): spec = found
        case .failure(let problem): return .failed([problem])
        }
        let slot = "playground-\(runs.withLock { $0 += 1; return $0 })"
        // HYPERCOURSE_PROFILE=1: where a try's time went, one line on stderr.
        let profile = PhaseTimer(label: "profile playground \(spec.id)")
        defer {
            builder.discard(slot: slot)
            profile.report()
        }
        let built: BuiltGuest
        do {
            built = try builder.build(spec, slot: slot)
        } catch {
            return .failed(error.problems.map { Self.place($0, spec: spec) })
        }
        profile.mark("build")
        let system: KVMSystem
        do {
            system = try KVMSystem(devicePath: engine.settings.kvmDevice)
        } catch {
            return .failed([PlaygroundProblem(message: "the exercise cannot run here: \(error)")])
        }
        let ran = engine.runOnce(spec, built: built, system: system)
        profile.mark("run")
        switch ran {
        case .failure(let failure):
            return .failed([PlaygroundProblem(message: "exercise '\(spec.id)' cannot run: \(failure)")])
        case .success(let run):
            let recorded = engine.record([run], spec: spec, built: built)[0]
            profile.mark("source lines")
            var kvmStats: [[String: UInt64]]?
            if case .guest(let result) = run { kvmStats = ResultRecorder.statistics(result) }
            let entry = RecordEntry(
                fresh: spec, key: "", includes: built.includes, host: system.host, hostDetail: recorded.hostDetail,
                result: recorded.result, kvmStats: kvmStats)
            spec.measure = 0
            return .ran(ExerciseOutcome(spec: spec, entry: entry, status: .ran))
        }
    }

    /// The same on a thread of its own, so a build's tools and KVM_RUN never hold one of Swift
    /// concurrency's few threads.
    public func tryOut(_ block: ExerciseBlock, shownSource: String, course: [ExerciseBlock]) async -> Trial {
        await onItsOwnThread(stackSize: 8 << 20) { self.tryOut(block, shownSource: shownSource, course: course) }
    }

    /// The block's spec with `shownSource` in place of its shown lines (a vmm's guest left as named),
    /// or nil when the block does not load or the edit has a marker line.
    public func edited(_ block: ExerciseBlock, shownSource: String) -> ExerciseSpec? {
        guard var spec = try? ExerciseSpec.parse(block),
            let source = try? spec.source.replacingShown(with: shownSource, language: spec.language)
        else { return nil }
        spec.source = source
        return spec
    }

    /// The block's spec with the edit in place. Its fence is taken as line 0 and body lines as their
    /// own, so a tool's problem at line N of the block is at built line N.
    private func edited(_ block: ExerciseBlock, shownSource: String, course: [ExerciseBlock]) -> Result<ExerciseSpec, PlaygroundProblem> {
        var spec: ExerciseSpec
        do {
            spec = try ExerciseSpec.parse(block)
        } catch {
            return .failure(PlaygroundProblem(message: "the lesson's exercise does not load: \(error.message)"))
        }
        if case .named(let id)? = spec.guest {
            guard let guestBlock = course.first(where: { $0.option("id") == id }), let guest = try? ExerciseSpec.parse(guestBlock),
                guest.language.isGuest
            else {
                return .failure(
                    PlaygroundProblem(message: "exercise '\(spec.id)': its guest '\(id)' is not a working exercise of this course"))
            }
            spec.guest = .resolved(guest)
        }
        do {
            spec.source = try spec.source.replacingShown(with: shownSource, language: spec.language)
        } catch {
            return .failure(PlaygroundProblem(shownLine: error.line, message: error.message))
        }
        spec.input.line = 0
        spec.input.bodyLineOrigins = nil
        return .success(spec)
    }

    /// A build problem in the student's terms: at a shown line, in a hidden part, or in an included file.
    static func place(_ problem: ExerciseProblem, spec: ExerciseSpec) -> PlaygroundProblem {
        let own = (spec.sourceFile ?? spec.input.file).standardizedFileURL
        guard let file = problem.file?.standardizedFileURL, let line = problem.line, line > 0 else {
            return PlaygroundProblem(message: problem.message)
        }
        if file == own {
            // A problem in the vmm's guest (another block, maybe of the same lesson) can point past
            // the student's text: then it is not about a line of it.
            guard line <= spec.source.displayLine.count else { return PlaygroundProblem(message: problem.message) }
            if let shown = spec.source.shownLine(line) { return PlaygroundProblem(shownLine: shown, message: problem.message) }
            return PlaygroundProblem(place: "a hidden line of the lesson", message: problem.message)
        }
        let name = ContentFolder.relativePath(of: file, in: spec.input.contentRoot) ?? file.lastPathComponent
        return PlaygroundProblem(place: "\(name):\(line)", message: problem.message)
    }
}

/// A problem with a student's try: at a line of the text they edited (`shownLine`), somewhere else
/// they cannot edit (`place`: an included file's `path:line`, a hidden line), or about the whole run.
public struct PlaygroundProblem: Error, Sendable, Hashable {
    public var shownLine: Int?
    public var place: String?
    public var message: String

    public init(shownLine: Int? = nil, place: String? = nil, message: String) {
        self.shownLine = shownLine
        self.place = place
        self.message = message
    }
}

extension GuestBuilder {
    /// Removes what one build left in the scratch folder (a vmm's guest too), so a long `serve`
    /// does not pile them up.
    func discard(slot: String) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: scratch.path)) ?? []
        for name in names where name.hasPrefix(slot + "-") {
            try? FileManager.default.removeItem(at: scratch.appendingPathComponent(name))
        }
    }
}
