import Common
import Foundation
import Markdown

/// The rules that keep a translation from forking its original: its exercise blocks are
/// references (```` ```asm exercise id=X ```` with an empty body) to the original's exercises, and
/// its headings follow the original's one for one, so each keeps the original's id.
enum ExerciseReference {
    /// The original's block that `written` refers to; anything but a bare reference to an exercise
    /// of the original, not referred to before (`taken`), is an error at the fence.
    static func resolve(_ written: ExerciseBlock, in original: [ExerciseBlock], taken: [ExerciseBlock]) -> Result<ExerciseBlock, SiteError>
    {
        func fail(_ message: String) -> Result<ExerciseBlock, SiteError> {
            .failure(SiteError(file: written.file, line: written.line, message))
        }
        let ids = original.compactMap { $0.option("id") }
        let known = ids.isEmpty ? "the original has no exercise with an id" : "the original's: \(ids.joined(separator: ", "))"
        guard written.options.count == 1, let id = written.option("id"), !id.isEmpty else {
            return fail(
                "in a translation an exercise block is a reference: ```\(written.language) exercise id=ID and nothing else on the fence line (\(known)); the page shows the original's source, options and record"
            )
        }
        guard written.body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            return fail(
                "the reference to exercise '\(id)' must have an empty body: the page shows the original's source (a translation cannot change a guest)"
            )
        }
        guard let block = original.first(where: { $0.option("id") == id }) else {
            return fail("no exercise '\(id)' in the original lesson (\(known))")
        }
        guard block.language == written.language else {
            return fail("exercise '\(id)' is a '\(block.language)' block in the original; write ```\(block.language) exercise id=\(id)")
        }
        guard !taken.contains(block) else { return fail("exercise '\(id)' is referred to twice; the original shows it once") }
        return .success(block)
    }

    /// The original's exercises a translation leaves out: a warning each (the reader would miss them).
    static func missing(in referred: [ExerciseBlock], original: [ExerciseBlock], file: URL) -> [SiteWarning] {
        original.filter { !referred.contains($0) }.map { block in
            let name = block.option("id").map { "'\($0)'" } ?? "at line \(block.line) of the original"
            return SiteWarning(
                file: file,
                "the translation leaves out exercise \(name); add ```\(block.language) exercise id=\(block.option("id") ?? "ID") where the original has it"
            )
        }
    }

    /// A translation's headings must be the original's in number, level and order: its headings
    /// take the original's ids by position. The first difference is an error at its line.
    static func headingErrors(_ headings: [Heading], original: [Heading], map: SourceMap) -> [SiteError] {
        for (k, heading) in headings.enumerated() {
            let origin = map.location(heading.line)
            guard k < original.count else {
                return [
                    SiteError(
                        file: origin.file, line: origin.line,
                        "heading \(k + 1) has no counterpart: the original has \(original.count) headings (a translation keeps the same headings, levels and order)"
                    )
                ]
            }
            guard original[k].level == heading.level else {
                return [
                    SiteError(
                        file: origin.file, line: origin.line,
                        "heading \(k + 1) is level \(heading.level) but the original's ('\(original[k].text)', #\(original[k].id)) is level \(original[k].level)"
                    )
                ]
            }
        }
        guard headings.count == original.count else {
            let next = original[headings.count]
            return [
                SiteError(
                    file: map.location(max(headings.last?.line ?? 1, 1)).file, line: nil,
                    "the translation has \(headings.count) headings, the original \(original.count): '\(next.text)' (#\(next.id)) and after it are missing"
                )
            ]
        }
        return []
    }
}
