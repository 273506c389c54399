import Common
import Exercises
import Foundation

// What `build`, `check` and `promote` say about exercises, as plain text: the CLI only prints it.

extension PromoteSelection {
    /// `promote`'s arguments: a lesson when it looks like a path (`.md`, or a `/` in it), else an
    /// exercise id (ids are kebab-case words, so they never hold either). No arguments: everything.
    public static func parse(_ arguments: [String]) -> PromoteSelection? {
        guard !arguments.isEmpty else { return nil }
        var lessons: [URL] = [], ids: [String] = []
        for argument in arguments {
            if argument.hasSuffix(".md") || argument.contains("/") {
                lessons.append(URL(fileURLWithPath: argument))
            } else {
                ids.append(argument)
            }
        }
        return PromoteSelection(lessons: lessons, ids: ids)
    }
}

extension ExerciseReport {
    /// Lines after the site summary: KVM missing, warnings, notes, records written.
    public var consoleLines: [String] { consoleLines(written: true) }

    /// The same; without `written` (a build that failed, which writes no record) the notes about
    /// records are left out, since none of it happened.
    public func consoleLines(written: Bool) -> [String] {
        var lines: [String] = []
        if let reason = kvmUnavailable, recorded > 0 {
            lines.append("exercises: KVM is unavailable (\(reason)); showing \(recorded) verified record\(plural(recorded))")
        }
        lines += warnings
        if written { lines += notes }
        if !recordFilesWritten.isEmpty {
            lines.append("records written: " + recordFilesWritten.map { DisplayPath.of($0) }.joined(separator: ", "))
        }
        return lines
    }

    /// When KVM is missing, `check` and `promote` say only why (one line), and fail.
    public var refusalWithoutKVM: String? {
        kvmUnavailable != nil ? problems.first?.description : nil
    }

    /// `check`'s last line: all matched, or how many problems in how many places.
    public func checkSummary(seconds: Double) -> String {
        guard !problems.isEmpty else {
            let what =
                ran == 1 ? "the 1 exercise matches its record (run twice)" : "all \(ran) exercises match their records (each run twice)"
            return "check: \(what) in \(Self.seconds(seconds))"
        }
        // One exercise can have several problems (a diff and a stale key); places count exercises.
        let places = Set(problems.map { "\($0.file?.path ?? ""):\($0.line ?? 0)" }).count
        return
            "check failed: \(problems.count) problem\(plural(problems.count)) in \(places) place\(plural(places)) (of \(outcomes.count) exercise\(plural(outcomes.count)))"
    }

    /// `promote`'s summary line, and when anything failed, the line that says nothing was written.
    public func promoteSummary(seconds: Double) -> [String] {
        let unchanged = ran - promoted - newRecords - refreshedKeys
        let summary =
            "promote: \(ran) exercise\(plural(ran)) run twice; \(promoted) changed, "
            + "\(newRecords) new, \(refreshedKeys) key\(plural(refreshedKeys)) refreshed, \(unchanged) unchanged in \(Self.seconds(seconds))"
        guard !problems.isEmpty else { return [summary] }
        return [
            summary,
            "promote failed: \(problems.count) problem\(plural(problems.count)); the records of the exercises above were left as they were"
        ]
    }

    static func seconds(_ value: Double) -> String { String(format: "%.2f s", value) }
}

private func plural(_ count: Int) -> String { count == 1 ? "" : "s" }
