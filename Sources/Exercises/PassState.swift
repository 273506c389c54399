import Common
import Foundation
import Hypervisor

/// One pass over the course's exercises, step by step: what was parsed, the records as loaded, and
/// what has been found so far. `ExerciseEngine.process` calls the steps in order.
struct PassState {
    let inputs: [ExerciseBlock]
    let pass: ExercisePass
    /// One per input; nil where the options were bad or the id was taken.
    private(set) var specs: [ExerciseSpec?] = []
    /// Slots this pass runs (or shows).
    private(set) var selected = Set<Int>()
    /// One record file per lesson, as loaded.
    private(set) var records: [URL: RecordFile] = [:]
    /// Record files that did not load: reported, and never overwritten.
    private(set) var damaged = Set<URL>()
    /// New entries to write, per record file.
    private var updates: [URL: [String: RecordEntry]] = [:]
    var report: ExerciseReport
    private var problemsBySlot: [Int: [ExerciseProblem]] = [:]

    /// `hypercourse promote`, as hints should spell it.
    let promoteCommand: String

    init(inputs: [ExerciseBlock], pass: ExercisePass, promoteCommand: String = "hypercourse promote") {
        self.inputs = inputs
        self.pass = pass
        self.promoteCommand = promoteCommand
        report = ExerciseReport(outcomes: Array(repeating: nil, count: inputs.count), problems: [], notes: [], warnings: [])
    }

    private mutating func fail(_ slot: Int, _ problem: ExerciseProblem) { problemsBySlot[slot, default: []].append(problem) }

    func recordEntry(_ spec: ExerciseSpec) -> RecordEntry? { records[RecordFile.url(forLesson: spec.input.file)]?.entry(spec.id) }

    // MARK: parse, select, load

    /// Options, sources, unique ids.
    mutating func parse() {
        var firstUse: [String: ExerciseBlock] = [:]
        for (slot, input) in inputs.enumerated() {
            do {
                let spec = try ExerciseSpec.parse(input)
                if let first = firstUse[spec.id] {
                    fail(
                        slot,
                        ExerciseProblem(
                            file: input.file, line: input.line,
                            message:
                                "duplicate exercise id '\(spec.id)' (first used at \(DisplayPath.of(first.file)):\(first.line)); ids must be unique in the course"
                        ))
                    specs.append(nil)
                } else {
                    firstUse[spec.id] = input
                    specs.append(spec)
                }
            } catch {
                fail(slot, error)
                specs.append(nil)
            }
        }
        resolveGuests(firstUse.keys)
    }

    /// Each vmm's `guest=ID`: an asm or C exercise anywhere in the course.
    private mutating func resolveGuests(_ ids: Dictionary<String, ExerciseBlock>.Keys) {
        let byID = Dictionary(specs.compactMap { $0 }.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for slot in specs.indices {
            guard let spec = specs[slot], case .named(let id)? = spec.guest else { continue }
            let problem: String
            if let guest = byID[id], guest.language.isGuest {
                specs[slot]?.guest = .resolved(guest)
                continue
            } else if byID[id] != nil {
                problem = "guest '\(id)' is a vmm exercise; a vmm's guest is an asm or c exercise"
            } else if ids.contains(id) {
                problem = "guest '\(id)' has errors of its own (see above)"
            } else {
                problem = "guest '\(id)' is not an exercise of this course\(didYouMean(id, in: Array(byID.keys)))"
            }
            fail(slot, ExerciseProblem(file: spec.input.file, line: spec.input.line, message: "exercise '\(spec.id)': \(problem)"))
            specs[slot] = nil
        }
    }

    /// Everything parsed, or what `promote` names; each of its arguments must match something.
    mutating func select() {
        selected = Set(specs.indices.filter { specs[$0] != nil })
        guard case .promote(let selection?) = pass else { return }
        var chosen = Set<Int>()
        for id in selection.ids {
            let hits = specs.indices.filter { specs[$0]?.id == id }
            if hits.isEmpty {
                let hint = didYouMean(id, in: specs.compactMap { $0?.id })
                report.problems.append(ExerciseProblem(file: nil, line: nil, message: "no exercise has the id '\(id)'\(hint)"))
            }
            chosen.formUnion(hits)
        }
        for lesson in selection.lessons {
            let path = lesson.standardizedFileURL.resolvingSymlinksInPath().path
            let hits = specs.indices.filter { specs[$0]?.input.file.standardizedFileURL.resolvingSymlinksInPath().path == path }
            if hits.isEmpty {
                report.problems.append(
                    ExerciseProblem(file: lesson, line: nil, message: "no exercises in this file (or it is not a lesson of the course)"))
            }
            chosen.formUnion(hits)
        }
        selected = chosen
    }

    /// The record file of every lesson with exercises. A damaged one (bad JSON, a merge conflict)
    /// is an error and is never overwritten, except by a `promote` that reruns every exercise of
    /// its lesson: that regenerates it from scratch, which is what the error suggests.
    mutating func loadRecords() {
        let byRecord = Dictionary(grouping: specs.indices.filter { specs[$0] != nil }) { RecordFile.url(forLesson: specs[$0]!.input.file) }
        for (url, slots) in byRecord.sorted(by: { $0.key.path < $1.key.path }) {
            let lesson = specs[slots[0]]!.input.file
            do {
                records[url] =
                    try RecordFile.load(url, inside: ContentFolder(specs[slots[0]]!.input.contentRoot)) ?? RecordFile(url: url, entries: [])
            } catch {
                records[url] = RecordFile(url: url, entries: [])
                if case .promote = pass, slots.allSatisfy(selected.contains) {
                    report.warnings.append(
                        Diagnostic.format(file: url, line: nil, .warning, "\(error.message); regenerating it from this run"))
                    continue
                }
                var problem = error
                problem.message += "; restore it from version control, or regenerate it with `\(promoteCommand) \(DisplayPath.of(lesson))`"
                report.problems.append(problem)
                damaged.insert(url)
            }
        }
    }

    // MARK: without KVM

    /// The selected exercises that have a record, with the includes it lists.
    var recordedSlots: [(slot: Int, spec: ExerciseSpec, includes: [String])] {
        selected.sorted().compactMap { slot in
            guard let spec = specs[slot], let entry = recordEntry(spec) else { return nil }
            return (slot, spec, entry.includes)
        }
    }

    /// `build` without KVM: the record is the result, flagged when the key the source builds to
    /// now (`keys`, from `ExerciseEngine.currentRecordKeys`) is not the record's.
    mutating func showRecords(tools: ToolIdentities, keys: [Int: CurrentRecordKey]) {
        var warnedAbout = Set<GuestLanguage>()
        for slot in selected.sorted() {
            guard let spec = specs[slot] else { continue }
            guard let entry = recordEntry(spec) else {
                fail(
                    slot,
                    ExerciseProblem(
                        file: spec.input.file, line: spec.input.line,
                        message:
                            "exercise '\(spec.id)' has no verified record, and it cannot run here: \(report.kvmUnavailable ?? "KVM is unavailable"); run `\(promoteCommand) \(spec.id)` on a machine with KVM"
                    ))
                continue
            }
            var changed = false
            switch keys[slot] {
            case .known(let key)?: changed = key != entry.key
            case .broken(let problems)?:
                problemsBySlot[slot, default: []] += problems
                continue
            case .unknown?, nil:
                // Without the tools the key cannot be recomputed: say so once, rather than call
                // every record stale.
                if case .failure(let error) = tools.identity(spec.language), warnedAbout.insert(spec.language).inserted {
                    report.warnings.append(
                        "warning: cannot tell whether \(spec.language) exercises changed since recorded: \(error.message)")
                }
            }
            if !spec.expect.accepts(entry.result.end) {
                fail(slot, ExerciseEngine.expectationProblem(spec, entry.result, hostDetail: entry.hostDetail, recorded: true))
                continue
            }
            if changed { report.sourceChanged += 1 }
            report.recorded += 1
            report.outcomes[slot] = ExerciseOutcome(spec: spec, entry: entry, status: .recorded(sourceChanged: changed))
        }
    }

    /// `check` and `promote` without KVM: one clear line; nothing else matters until guests can run.
    mutating func refuseWithoutKVM() {
        let verb = pass == .check ? "check" : "promote"
        report.problems = [
            ExerciseProblem(
                file: nil, line: nil,
                message: "\(verb) needs KVM to run the exercises, and it is unavailable: \(report.kvmUnavailable ?? "unknown reason")")
        ]
    }

    // MARK: cache, compare, write

    /// `build` skips what this machine already verified: the same inputs built to the record's key,
    /// and that key gave the record's result. Returns the slots left to run.
    mutating func takeFromCache(tools: ToolIdentities, cache: ResultCache) -> [Int] {
        var toRun: [Int] = []
        for slot in selected.sorted() {
            guard let spec = specs[slot] else { continue }
            if case .build = pass, let entry = recordEntry(spec),
                let inputs = tools.inputsKey(spec, includes: entry.includes), let key = cache.recordKey(forInputs: inputs),
                key == entry.key,
                cache.digest(for: key) == entry.result.digest, spec.expect.accepts(entry.result.end)
            {
                // Timings asked for but never taken on this machine: the exercise runs again for them.
                let measurement = spec.measure > 0 ? cache.measurements.load(key: key, runs: spec.measure) : nil
                if spec.measure == 0 || measurement != nil {
                    report.cached += 1
                    report.outcomes[slot] = ExerciseOutcome(spec: spec, entry: entry, status: .cached, measurement: measurement)
                    continue
                }
            }
            toRun.append(slot)
        }
        return toRun
    }

    /// Fresh results against the records: what fails, what is shown, what gets written.
    mutating func compare(_ slots: [Int], runs: ConcurrentRuns, host: HostKind, cache: ResultCache) {
        let now = ExerciseEngine.timestamp()
        for slot in slots {
            guard let spec = specs[slot] else { continue }
            if let failure = runs.failure(slot) {
                problemsBySlot[slot, default: []].append(contentsOf: failure)
                continue
            }
            guard let fresh = runs.verified(slot) else { continue }
            if let problem = fresh.problem {
                fail(slot, problem)
                continue
            }
            report.warnings += fresh.warnings
            let newEntry = RecordEntry(
                fresh: spec, key: fresh.key, includes: fresh.includes, host: host, hostDetail: fresh.hostDetail,
                result: fresh.result, kvmStats: fresh.kvmStats, recordedAt: now)
            guard let shown = decide(slot, spec, fresh: fresh, newEntry: newEntry) else { continue }
            cache.store(fresh.result.digest, for: fresh.key)
            cache.store(recordKey: fresh.key, forInputs: fresh.inputsKey)
            report.ran += 1
            report.outcomes[slot] = ExerciseOutcome(spec: spec, entry: shown, status: .ran, measurement: runs.measurement(slot))
            if let measurement = runs.measurement(slot) { cache.measurements.store(measurement, key: fresh.key) }
        }
    }

    /// One exercise's fresh result against its record: the entry to show, or nil after a problem.
    private mutating func decide(_ slot: Int, _ spec: ExerciseSpec, fresh: Verified, newEntry: RecordEntry) -> RecordEntry? {
        let recordURL = RecordFile.url(forLesson: spec.input.file)
        let name = DisplayPath.of(recordURL)
        if damaged.contains(recordURL) {
            // Already reported; nothing can be compared with it or written to it.
            return pass == .check ? nil : newEntry
        }
        switch (pass, recordEntry(spec)) {
        case (.check, nil):
            fail(
                slot,
                ExerciseProblem(
                    file: spec.input.file, line: spec.input.line,
                    message: "exercise '\(spec.id)' has no record in \(name); run `\(promoteCommand) \(spec.id)` to record it"))
            return nil
        case (.check, let old?):
            if old.result != fresh.result {
                fail(slot, ExerciseEngine.mismatch(spec, old: old, new: newEntry, recordName: name, promoteCommand: promoteCommand))
                return nil
            }
            if old.key != fresh.key {
                fail(
                    slot,
                    ExerciseProblem(
                        file: spec.input.file, line: spec.input.line,
                        message:
                            "exercise '\(spec.id)': the record's key is stale (the source, an include, the toolchain or an option changed since it was recorded; the result is the same); run `\(promoteCommand) \(spec.id)` to refresh it"
                    ))
                return nil
            }
            return old
        case (_, nil):
            updates[recordURL, default: [:]][spec.id] = newEntry
            report.newRecords += 1
            report.notes.append("recorded '\(spec.id)' (new) in \(name)")
            return newEntry
        case (_, let old?):
            if old.result == fresh.result {
                return sameResult(spec, old: old, fresh: fresh, newEntry: newEntry, recordURL: recordURL, name: name)
            }
            if case .build(promote: false) = pass {
                fail(slot, ExerciseEngine.mismatch(spec, old: old, new: newEntry, recordName: name, promoteCommand: promoteCommand))
                return nil
            }
            updates[recordURL, default: [:]][spec.id] = newEntry
            report.promoted += 1
            report.notes.append("promoted '\(spec.id)' in \(name):\n" + ExerciseEngine.diffText(old: old, new: newEntry))
            return newEntry
        }
    }

    /// The same result as the record: the record is kept (when and where it was first recorded, so
    /// records do not churn), with its key, includes or crash detail refreshed when those changed.
    private mutating func sameResult(
        _ spec: ExerciseSpec, old: RecordEntry, fresh: Verified, newEntry: RecordEntry,
        recordURL: URL, name: String
    ) -> RecordEntry {
        // Same result: keep when and where it was first recorded, so records do not churn.
        var shown = old
        // A crash's detail is the same on every host of one kind: refresh it there (it
        // gained the crash's place), keep what another kind of host said.
        shown.hostDetail = old.host == newEntry.host ? newEntry.hostDetail ?? old.hostDetail : old.hostDetail ?? newEntry.hostDetail
        shown.kvmStats = old.kvmStats ?? newEntry.kvmStats
        shown.cpus = newEntry.cpus
        if shown.hostDetail != old.hostDetail, old.key == fresh.key, old.includes == fresh.includes {
            updates[recordURL, default: [:]][spec.id] = shown
            report.notes.append("refreshed the crash detail of '\(spec.id)' in \(name) (same result)")
        } else if old.key != fresh.key || old.includes != fresh.includes {
            shown.key = fresh.key
            shown.includes = fresh.includes
            updates[recordURL, default: [:]][spec.id] = shown
            report.refreshedKeys += 1
            report.notes.append("refreshed the key of '\(spec.id)' in \(name) (same result)")
        } else if case .promote = pass {
            report.notes.append("unchanged: '\(spec.id)'")
        }
        return shown
    }

    private var dropsOrphans: Bool {
        if case .promote(nil) = pass { return true }
        return false
    }

    private var lessonSpecs: [URL: [ExerciseSpec]] {
        Dictionary(grouping: specs.compactMap { $0 }, by: { RecordFile.url(forLesson: $0.input.file) })
    }

    /// The record files that changed, as files to write: exercises in lesson order, entries of
    /// exercises no longer in the lesson kept (dropped only by `promote` of everything). Damaged
    /// files are never written. Nothing is written here: see `ExerciseReport.pendingRecords`.
    mutating func prepareRecords() {
        let lessons = lessonSpecs
        for (url, var file) in records.sorted(by: { $0.key.path < $1.key.path }) where !damaged.contains(url) {
            let changed = updates[url] ?? [:]
            let ids = (lessons[url] ?? []).map(\.id)
            let orphans = file.entries.filter { !ids.contains($0.id) }
            guard !changed.isEmpty || (dropsOrphans && !orphans.isEmpty) else { continue }
            var entries = ids.compactMap { changed[$0] ?? file.entry($0) }
            if dropsOrphans {
                for orphan in orphans {
                    report.notes.append("removed the record of '\(orphan.id)' from \(DisplayPath.of(url)) (no such exercise any more)")
                }
            } else {
                entries += orphans
            }
            file.entries = entries
            let lesson = (lessons[url]?.first?.input.file.lastPathComponent) ?? url.lastPathComponent
            report.pendingRecords.append(file.pending(lessonName: lesson))
        }
    }

    /// Warns about record entries and record files no exercise uses; `promote` of everything removes
    /// the entries, and files are never deleted.
    mutating func pointOutOrphans() {
        // In every pass but the promote that removes them: a renamed id otherwise passes as a new
        // exercise, and its old result sits in the record unnoticed.
        if !dropsOrphans {
            let lessons = lessonSpecs
            for (url, file) in records.sorted(by: { $0.key.path < $1.key.path }) {
                let ids = Set((lessons[url] ?? []).map(\.id))
                for orphan in file.entries where !ids.contains(orphan.id) {
                    report.warnings.append(
                        Diagnostic.format(
                            file: url, line: nil, .warning,
                            "record of '\(orphan.id)', which is no longer in the lesson (`\(promoteCommand)` removes it)"))
                }
            }
        }
        if let root = inputs.first?.contentRoot {
            let known = Set(records.keys.map { $0.standardizedFileURL.path })
            for url in ExerciseEngine.recordFiles(under: root) where !known.contains(url.standardizedFileURL.path) {
                report.warnings.append(
                    Diagnostic.format(
                        file: url, line: nil, .warning,
                        "no exercise of the course uses this record any more; delete the file if its lesson is gone"))
            }
        }
    }

    /// The report, with each exercise's problems in course order.
    func finish() -> ExerciseReport {
        var report = report
        for slot in problemsBySlot.keys.sorted() { report.problems += problemsBySlot[slot]! }
        return report
    }
}
