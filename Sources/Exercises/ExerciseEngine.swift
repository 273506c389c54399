import Foundation
import Hypervisor

/// Builds, runs, verifies and records exercises. Knows nothing of Markdown or HTML.
public struct ExerciseEngine: Sendable {
    public let settings: ExerciseSettings

    public init(settings: ExerciseSettings) { self.settings = settings }

    /// Runs one pass. Blocks its thread (builds and guests run on the engine's own threads).
    public func process(_ inputs: [ExerciseInput], pass: ExercisePass) -> ExerciseReport {
        let profile = Profile()
        defer { profile.report() }
        var report = ExerciseReport(outcomes: Array(repeating: nil, count: inputs.count), problems: [], notes: [], warnings: [])
        var problemsBySlot: [Int: [ExerciseProblem]] = [:]

        // 1. Options, sources, ids.
        var specs: [ExerciseSpec?] = []
        var firstUse: [String: ExerciseInput] = [:]
        for (slot, input) in inputs.enumerated() {
            do {
                let spec = try ExerciseSpec.parse(input)
                if let first = firstUse[spec.id] {
                    problemsBySlot[slot, default: []].append(ExerciseProblem(file: input.file, line: input.line,
                        message: "duplicate exercise id '\(spec.id)' (first used at \(DisplayPath.of(first.file)):\(first.line)); ids must be unique in the course"))
                    specs.append(nil)
                } else {
                    firstUse[spec.id] = input
                    specs.append(spec)
                }
            } catch {
                problemsBySlot[slot, default: []].append(error)
                specs.append(nil)
            }
        }

        profile.mark("parse")
        // 2. What to run.
        var selected = Set(specs.indices.filter { specs[$0] != nil })
        if case .promote(let selection?) = pass {
            selected = select(selection, specs: specs, problems: &report.problems)
        }

        // 3. Records, one file per lesson.
        var records: [URL: RecordFile] = [:]
        var damaged = Set<URL>()
        for spec in specs.compactMap({ $0 }) {
            let url = RecordFile.url(forLesson: spec.input.file)
            guard records[url] == nil else { continue }
            do {
                records[url] = try RecordFile.load(url) ?? RecordFile(url: url, entries: [])
            } catch {
                // Reported, and never overwritten: the file may be a merge away from good.
                report.problems.append(error)
                records[url] = RecordFile(url: url, entries: [])
                damaged.insert(url)
            }
        }
        func recordEntry(_ spec: ExerciseSpec) -> RecordEntry? { records[RecordFile.url(forLesson: spec.input.file)]?.entry(spec.id) }

        profile.mark("records")
        // 4. KVM.
        var kvm: KVMSystem?
        do {
            kvm = try KVMSystem(devicePath: settings.kvmDevice)
        } catch let error where error.isUnavailable {
            report.kvmUnavailable = "\(error)"
        } catch {
            // Out of file descriptors or memory, a broken path: the machine may have KVM, so showing
            // the records instead would hide a real failure.
            report.problems = [ExerciseProblem(file: nil, line: nil, message: "cannot open the KVM device: \(error)")]
            return report
        }
        let builder = GuestBuilder(toolchain: settings.toolchain, versions: ToolVersions(cacheDirectory: settings.cacheDirectory),
                                   cacheDirectory: settings.cacheDirectory, toolTimeout: settings.toolTimeout, confine: settings.confineTools)
        defer {
            builder.versions.save()
            builder.cleanUp()
        }
        let tools = ToolIdentities(builder: builder)
        let cache = ResultCache(directory: settings.cacheDirectory)

        profile.mark("kvm")
        if kvm == nil {
            if case .build = pass {
                // Without KVM: the record is the result.
                for slot in selected.sorted() {
                    guard let spec = specs[slot] else { continue }
                    guard let entry = recordEntry(spec) else {
                        problemsBySlot[slot, default: []].append(ExerciseProblem(file: spec.input.file, line: spec.input.line,
                            message: "exercise '\(spec.id)' has no verified record, and it cannot run here: \(report.kvmUnavailable ?? "KVM is unavailable"); run `hypercourse promote \(spec.id)` on a machine with KVM"))
                        continue
                    }
                    // Without the tools the key cannot be recomputed: say so once, rather than call
                    // every record stale.
                    let key = tools.key(spec, includes: entry.includes)
                    if key == nil, case .failure(let error) = tools.identity(spec.language),
                       !report.warnings.contains(where: { $0.hasSuffix(error.message) }) {
                        report.warnings.append("warning: cannot tell whether \(spec.language) exercises changed since recorded: \(error.message)")
                    }
                    let changed = key.map { $0 != entry.key } ?? false
                    if !spec.expect.accepts(entry.result.end) {
                        problemsBySlot[slot, default: []].append(expectationProblem(spec, entry.result, recorded: true))
                        continue
                    }
                    if changed { report.sourceChanged += 1 }
                    report.recorded += 1
                    report.outcomes[slot] = ExerciseOutcome(spec: spec, entry: entry, status: .recorded(sourceChanged: changed))
                }
            } else {
                // One clear line: nothing else matters until guests can run.
                let verb = pass == .check ? "check" : "promote"
                report.problems = [ExerciseProblem(file: nil, line: nil,
                    message: "\(verb) needs KVM to run the exercises, and it is unavailable: \(report.kvmUnavailable ?? "unknown reason")")]
                return report
            }
            return finish(report, problemsBySlot)
        }

        // 5. The cache: unchanged exercises are not run.
        var toRun: [Int] = []
        for slot in selected.sorted() {
            guard let spec = specs[slot] else { continue }
            if case .build = pass, let entry = recordEntry(spec),
               let key = tools.key(spec, includes: entry.includes), key == entry.key,
               cache.digest(for: key) == entry.result.digest, spec.expect.accepts(entry.result.end) {
                report.cached += 1
                report.outcomes[slot] = ExerciseOutcome(spec: spec, entry: entry, status: .cached)
                continue
            }
            toRun.append(slot)
        }

        profile.mark("cache")
        if !toRun.isEmpty, let warning = builder.confinementWarning { report.warnings.append(warning) }
        // 6. Build and run twice, on all cores.
        let system = kvm!
        let runs = ConcurrentRuns(count: inputs.count)
        let pool = WorkPool()
        for slot in toRun {
            guard let spec = specs[slot] else { continue }
            pool.submit {
                let built: BuiltGuest
                let started = ContinuousClock.now
                let outcome = Result(catching: { () throws(ExerciseFailure) -> BuiltGuest in try builder.build(spec, slot: slot) })
                profile.add(spec.language == .asm ? "nasm" : "clang", ContinuousClock.now - started)
                switch outcome {
                case .success(let guest): built = guest
                case .failure(let failure):
                    runs.fail(slot, failure.problems)
                    return
                }
                for attempt in 0..<2 {
                    pool.submit(urgent: true) {
                        let started = ContinuousClock.now
                        let result = Result { () throws(KVMError) -> RunResult in try system.run(built.image, config: spec.machineConfig) }
                        profile.add("vm", ContinuousClock.now - started, exercise: spec.id)
                        if runs.finish(slot, attempt: attempt, result) {
                            let verifying = ContinuousClock.now
                            runs.complete(slot, verify(spec, built: built, runs: runs.results(slot), tools: tools))
                            profile.add("verify", ContinuousClock.now - verifying)
                        }
                    }
                }
            }
        }
        pool.drain(threads: settings.threads)

        profile.mark("run")
        // 7. Compare with the records and decide what to write.
        let now = Self.timestamp()
        var updates: [URL: [String: RecordEntry]] = [:]
        for slot in toRun {
            guard let spec = specs[slot] else { continue }
            if let failure = runs.failure(slot) {
                problemsBySlot[slot, default: []].append(contentsOf: failure)
                continue
            }
            guard let fresh = runs.verified(slot) else { continue }
            if let problem = fresh.problem {
                problemsBySlot[slot, default: []].append(problem)
                continue
            }
            report.warnings += fresh.warnings
            let recordURL = RecordFile.url(forLesson: spec.input.file)
            let existing = recordEntry(spec)
            let newEntry = RecordEntry(id: spec.id, key: fresh.key, includes: fresh.includes, recordedAt: now,
                                       host: kvm!.host.rawValue, machine: GuestMachine.version, hostDetail: fresh.hostDetail, result: fresh.result)
            let name = DisplayPath.of(recordURL)
            var shown = newEntry
            switch (pass, existing) {
            case (.check, nil):
                problemsBySlot[slot, default: []].append(ExerciseProblem(file: spec.input.file, line: spec.input.line,
                    message: "exercise '\(spec.id)' has no record in \(name); run `hypercourse promote \(spec.id)` to record it"))
                continue
            case (.check, let old?):
                if old.result != fresh.result {
                    problemsBySlot[slot, default: []].append(mismatch(spec, old: old, new: newEntry, recordName: name))
                    continue
                }
                if old.key != fresh.key {
                    problemsBySlot[slot, default: []].append(ExerciseProblem(file: spec.input.file, line: spec.input.line,
                        message: "exercise '\(spec.id)': the record's key is stale (the source, an include, the toolchain or an option changed since it was recorded; the result is the same); run `hypercourse promote \(spec.id)` to refresh it"))
                    continue
                }
                shown = old
            case (_, nil):
                updates[recordURL, default: [:]][spec.id] = newEntry
                report.newRecords += 1
                report.notes.append("recorded '\(spec.id)' (new) in \(name)")
            case (_, let old?):
                if old.result == fresh.result {
                    // Same result: keep when and where it was first recorded, so records do not churn.
                    shown = old
                    shown.hostDetail = old.hostDetail ?? newEntry.hostDetail
                    if old.key != fresh.key || old.includes != fresh.includes {
                        shown.key = fresh.key
                        shown.includes = fresh.includes
                        updates[recordURL, default: [:]][spec.id] = shown
                        report.refreshedKeys += 1
                        report.notes.append("refreshed the key of '\(spec.id)' in \(name) (same result)")
                    } else if case .promote = pass {
                        report.notes.append("unchanged: '\(spec.id)'")
                    }
                } else if case .build(promote: false) = pass {
                    problemsBySlot[slot, default: []].append(mismatch(spec, old: old, new: newEntry, recordName: name))
                    continue
                } else {
                    updates[recordURL, default: [:]][spec.id] = newEntry
                    report.promoted += 1
                    report.notes.append("promoted '\(spec.id)' in \(name):\n" + diffText(old: old, new: newEntry))
                }
            }
            cache.store(fresh.result.digest, for: fresh.key)
            report.ran += 1
            report.outcomes[slot] = ExerciseOutcome(spec: spec, entry: shown, status: .ran)
        }

        // 8. Write the records that changed: exercises in lesson order, entries of exercises no longer
        // in the lesson kept (dropped only by `promote` of everything).
        let dropOrphans: Bool
        if case .promote(nil) = pass { dropOrphans = true } else { dropOrphans = false }
        let lessonSpecs = Dictionary(grouping: specs.compactMap { $0 }, by: { RecordFile.url(forLesson: $0.input.file) })
        for (url, var file) in records.sorted(by: { $0.key.path < $1.key.path }) where !damaged.contains(url) {
            let changed = updates[url] ?? [:]
            let ids = (lessonSpecs[url] ?? []).map(\.id)
            let orphans = file.entries.filter { !ids.contains($0.id) }
            guard !changed.isEmpty || (dropOrphans && !orphans.isEmpty) else { continue }
            var entries = ids.compactMap { changed[$0] ?? file.entry($0) }
            if dropOrphans {
                for orphan in orphans { report.notes.append("removed the record of '\(orphan.id)' from \(DisplayPath.of(url)) (no such exercise any more)") }
            } else {
                entries += orphans
            }
            file.entries = entries
            do {
                let lesson = (lessonSpecs[url]?.first?.input.file.lastPathComponent) ?? url.lastPathComponent
                try file.write(lessonName: lesson)
                report.recordFilesWritten.append(url)
            } catch {
                report.problems.append(ExerciseProblem(file: url, line: nil, message: "cannot write the record: \(error.localizedDescription)"))
            }
        }
        if case .check = pass {
            for (url, file) in records.sorted(by: { $0.key.path < $1.key.path }) {
                let ids = Set((lessonSpecs[url] ?? []).map(\.id))
                for orphan in file.entries where !ids.contains(orphan.id) {
                    report.warnings.append("\(DisplayPath.of(url)): warning: record of '\(orphan.id)', which is no longer in the lesson (`hypercourse promote` removes it)")
                }
            }
        }
        if pass == .check || dropOrphans, let root = inputs.first?.contentRoot {
            // Record files whose lesson has no exercises any more: never deleted, only pointed out.
            let known = Set(records.keys.map { $0.standardizedFileURL.path })
            for url in Self.recordFiles(under: root) where !known.contains(url.standardizedFileURL.path) {
                report.warnings.append("\(DisplayPath.of(url)): warning: no exercise of the course uses this record any more; delete the file if its lesson is gone")
            }
        }
        profile.mark("write")
        return finish(report, problemsBySlot)
    }

    private func finish(_ report: ExerciseReport, _ problemsBySlot: [Int: [ExerciseProblem]]) -> ExerciseReport {
        var report = report
        for slot in problemsBySlot.keys.sorted() { report.problems += problemsBySlot[slot]! }
        return report
    }

    /// Slots matching the promote arguments; each argument must match something.
    private func select(_ selection: PromoteSelection, specs: [ExerciseSpec?], problems: inout [ExerciseProblem]) -> Set<Int> {
        var chosen = Set<Int>()
        for id in selection.ids {
            let hits = specs.indices.filter { specs[$0]?.id == id }
            if hits.isEmpty {
                let known = specs.compactMap { $0?.id }
                let hint = ExerciseSpec.closest(id, in: known).map { " (did you mean '\($0)'?)" } ?? ""
                problems.append(ExerciseProblem(file: nil, line: nil, message: "no exercise has the id '\(id)'\(hint)"))
            }
            chosen.formUnion(hits)
        }
        for lesson in selection.lessons {
            let path = lesson.standardizedFileURL.resolvingSymlinksInPath().path
            let hits = specs.indices.filter { specs[$0]?.input.file.standardizedFileURL.resolvingSymlinksInPath().path == path }
            if hits.isEmpty {
                problems.append(ExerciseProblem(file: lesson, line: nil, message: "no exercises in this file (or it is not a lesson of the course)"))
            }
            chosen.formUnion(hits)
        }
        return chosen
    }

    /// Every `*.exercises.json` under `root`.
    static func recordFiles(under root: URL) -> [URL] {
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        var found: [URL] = []
        for case let url as URL in walker where url.lastPathComponent.hasSuffix(".exercises.json") { found.append(url) }
        return found.sorted { $0.path < $1.path }
    }

    static func timestamp() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date())
    }
}
