import Common
import Foundation
import Hypervisor

/// Builds, runs, verifies and records exercises. Knows nothing of Markdown or HTML.
public struct ExerciseEngine: Sendable {
    public let settings: ExerciseSettings

    public init(settings: ExerciseSettings) { self.settings = settings }

    /// Runs one pass. Blocks its thread (builds and guests run on the engine's own threads).
    ///
    /// The steps: parse the options, select what to run, load the records, open KVM (without it,
    /// show the records or refuse), skip what the cache vouches for, build and run the rest twice,
    /// compare with the records, prepare the records that changed (`promote` writes them).
    public func process(_ inputs: [ExerciseBlock], pass: ExercisePass) -> ExerciseReport {
        let profile = PhaseTimer(label: "profile exercises")
        defer {
            profile.report(summing: GuestLanguage.allCases.map(\.buildTool) + ["vm", "verify"], slowestTitle: "slowest guests (one run)")
        }
        // A build or promote killed while writing a record leaves its temporary; this process removes it.
        for root in Set(inputs.map(\.contentRoot)) { ScratchFolders.sweepTemporariesOnce(under: root) }
        var state = PassState(inputs: inputs, pass: pass, promoteCommand: settings.promoteCommand)
        state.parse()
        profile.mark("parse")
        state.select()
        state.loadRecords()
        profile.mark("records")

        let kvm: KVMSystem
        switch openKVM() {
        case .success(let system): kvm = system
        case .failure(let problem):
            state.report.problems = [problem]
            return state.report
        case .unavailable(let reason):
            state.report.kvmUnavailable = reason
            guard case .build = pass else {
                state.refuseWithoutKVM()
                return state.report
            }
            let builder = makeBuilder()
            defer { builder.finish() }
            let tools = ToolIdentities(builder: builder)
            let keys = currentRecordKeys(
                state.recordedSlots, builder: builder, tools: tools, cache: ResultCache(directory: settings.cacheDirectory))
            state.showRecords(tools: tools, keys: keys)
            return state.finish()
        }
        let builder = makeBuilder()
        defer { builder.finish() }
        let tools = ToolIdentities(builder: builder)
        let cache = ResultCache(directory: settings.cacheDirectory)
        profile.mark("kvm")

        let toRun = state.takeFromCache(tools: tools, cache: cache)
        profile.mark("cache")
        if !toRun.isEmpty, let warning = builder.confinementWarning { state.report.warnings.append(warning) }
        let runs = buildAndRun(toRun, specs: state.specs, builder: builder, system: kvm, tools: tools, profile: profile)
        profile.mark("run")
        state.compare(toRun, runs: runs, host: kvm.host, cache: cache)
        state.prepareRecords()
        state.pointOutOrphans()
        var report = state.finish()
        // `promote` is about records only, so it writes them now; a build writes them with its
        // site, and only when everything succeeded.
        if case .promote = pass { report.writeRecords(staging: builder.scratch) }
        profile.mark("write")
        return report
    }

    private enum KVMAccess {
        case success(KVMSystem)
        /// No usable KVM on this machine: a build shows the records.
        case unavailable(String)
        /// Something else failed (out of file descriptors, a broken path): the machine may have
        /// KVM, so showing the records instead would hide a real failure.
        case failure(ExerciseProblem)
    }

    private func openKVM() -> KVMAccess {
        do {
            return .success(try KVMSystem(devicePath: settings.kvmDevice))
        } catch let error where error.isUnavailable {
            return .unavailable("\(error)")
        } catch {
            return .failure(ExerciseProblem(file: nil, line: nil, message: "cannot open the KVM device: \(error)"))
        }
    }

    private func makeBuilder() -> GuestBuilder {
        GuestBuilder(
            toolchain: settings.toolchain, versions: ToolVersions(cacheDirectory: settings.cacheDirectory),
            cacheDirectory: settings.cacheDirectory, toolTimeout: settings.toolTimeout, confine: settings.confineTools)
    }

    /// Builds each exercise, then runs it twice, on all cores; the second run to finish verifies both.
    private func buildAndRun(
        _ slots: [Int], specs: [ExerciseSpec?], builder: GuestBuilder, system: KVMSystem,
        tools: ToolIdentities, profile: PhaseTimer
    ) -> ConcurrentRuns {
        let runs = ConcurrentRuns(count: specs.count)
        let pool = WorkPool()
        for slot in slots {
            guard let spec = specs[slot] else { continue }
            pool.submit {
                let started = ContinuousClock.now
                let outcome = Result(catching: { () throws(ExerciseFailure) -> BuiltGuest in try builder.build(spec, slot: slot) })
                profile.add(spec.language.buildTool, ContinuousClock.now - started)
                let built: BuiltGuest
                switch outcome {
                case .success(let guest): built = guest
                case .failure(let failure):
                    runs.fail(slot, failure.problems)
                    return
                }
                for attempt in 0..<2 {
                    pool.submit(urgent: true) {
                        let started = ContinuousClock.now
                        let result = runOnce(spec, built: built, system: system)
                        profile.add("vm", ContinuousClock.now - started, item: spec.id)
                        if runs.finish(slot, attempt: attempt, result) {
                            let verifying = ContinuousClock.now
                            let verified = verify(spec, built: built, runs: runs.results(slot), tools: tools)
                            runs.complete(slot, verified)
                            profile.add("verify", ContinuousClock.now - verifying)
                            if spec.measure > 0, verified.problem == nil {
                                runs.measured(slot, measure(spec, built: built, system: system))
                            }
                        }
                    }
                }
            }
        }
        if !slots.isEmpty { pool.drain(threads: settings.threads) } // a warm build starts no threads
        return runs
    }

    /// One run: a guest on the hypervisor, or a vmm's program, confined, as a child process.
    func runOnce(_ spec: ExerciseSpec, built: BuiltGuest, system: KVMSystem) -> Result<ExerciseRun, RunFailure> {
        if let program = built.program {
            let runner = VMMRunner(
                launcher: program.launcher, kvmDevice: settings.kvmDevice, requireConfinement: !settings.allowUnconfinedVMM)
            let limits = VMMRunner.Limits(
                timeout: .nanoseconds(spec.timeoutNanoseconds), memoryBytes: UInt64(spec.memoryMiB) << 20,
                outputLimit: spec.outputLimit)
            return Result { () throws(VMMRunner.Failure) -> ExerciseRun in
                .host(try runner.run(program: program.executable, guestImage: program.guestImage, limits: limits))
            }.mapError { RunFailure(description: $0.message) }
        }
        return Result { () throws(KVMError) -> ExerciseRun in .guest(try system.run(built.guest, config: spec.machineConfig)) }
            .mapError { RunFailure(description: "\($0)") }
    }

    /// `measure=N`: N more runs, one after another, timed; runs that fail are left out.
    func measure(_ spec: ExerciseSpec, built: BuiltGuest, system: KVMSystem) -> Measurement? {
        var samples: [(elapsed: Duration, exits: Int?)] = []
        for _ in 0..<spec.measure {
            switch runOnce(spec, built: built, system: system) {
            case .success(.guest(let result)): samples.append((result.elapsed, result.exitCounts.total))
            case .success(.host(let outcome)): samples.append((outcome.elapsed, nil))
            case .failure: continue
            }
        }
        return Measurement.of(samples, host: system.host.rawValue, at: Self.timestamp())
    }

    /// Every `*.exercises.json` under `root`.
    static func recordFiles(under root: URL) -> [URL] {
        // Paths, not URLs, while walking: a URL is made only for the few matches.
        guard let walker = FileManager.default.enumerator(atPath: root.path) else { return [] }
        var found: [URL] = []
        for case let path as String in walker where path.hasSuffix(".exercises.json") { found.append(root.appendingPathComponent(path)) }
        return found.sorted { $0.path < $1.path }
    }

    static func timestamp() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date())
    }
}

extension ExerciseEngine {
    /// Runs a pass on a thread of its own: the engine blocks, and Swift concurrency's pool is small
    /// (two threads on our machines), so blocking one of its threads would stall the build.
    public func process(_ inputs: [ExerciseBlock], pass: ExercisePass) async -> ExerciseReport {
        await onItsOwnThread(stackSize: 8 << 20) { self.process(inputs, pass: pass) }
    }
}
