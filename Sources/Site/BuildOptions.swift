import Common
import Foundation

/// What to build and where.
public struct BuildOptions: Sendable {
    public var contentDirectory: URL
    public var outputDirectory: URL
    /// Templates layered over the built-in theme and the course's own overrides (`--templates`).
    public var templatesDirectory: URL?
    /// A folder used instead of the built-in theme (the one compiled into the program) when set.
    public var themeDirectory: URL?
    /// Include lessons marked `draft: true`.
    public var includeDrafts: Bool
    /// Replace an output folder this tool did not create.
    public var force: Bool
    /// Also print each language's print page to `downloads/SLUG-LANG.pdf` with this headless
    /// Chromium (`--pdf`); nil leaves the PDF out.
    public var pdfBrowser: String?

    public init(
        contentDirectory: URL = URL(fileURLWithPath: "content"), outputDirectory: URL = URL(fileURLWithPath: "public"),
        templatesDirectory: URL? = nil, themeDirectory: URL? = nil, includeDrafts: Bool = false, force: Bool = false
    ) {
        self.contentDirectory = contentDirectory
        self.outputDirectory = outputDirectory
        self.templatesDirectory = templatesDirectory
        self.themeDirectory = themeDirectory
        self.includeDrafts = includeDrafts
        self.force = force
    }
}

/// Things a build reports while it runs.
public enum BuildEvent: Sendable {
    /// A page body finished rendering: `[done/total] name`.
    case progress(done: Int, total: Int, name: String)
    case warning(SiteWarning)
}

public struct BuildSummary: Sendable, CustomStringConvertible {
    public var pages: Int
    public var chapters: Int
    public var lessons: Int
    public var exercises: Int
    /// Exercises whose guest ran in this build, and those shown from the verified record.
    public var exercisesRun: Int
    public var exercisesRecorded: Int
    /// Exercises whose verified result this machine already had (nothing ran), and records shown
    /// although the source changed since they were recorded.
    public var exercisesCached: Int = 0
    public var exercisesSourceChanged: Int = 0
    public var warnings: [SiteWarning]
    public var seconds: Double
    public var outputDirectory: URL
    /// Files the build wrote into the content folder (exercise records), with the site.
    public var contentFilesWritten: [URL] = []
    /// The exercises and theme of this build, for `serve`'s playground.
    public var served: ServedExercises? = nil

    public var description: String {
        func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
        var line =
            "Built \(count(pages, "page")) (\(count(chapters, "chapter")), \(count(lessons, "lesson"))) into \(DisplayPath.of(outputDirectory))/ in \(String(format: "%.2f", seconds)) s"
        if exercises > 0 {
            line += "; exercises: \(exercisesRun) run, "
            if exercisesCached > 0 { line += "\(exercisesCached) unchanged, " }
            line += "\(exercisesRecorded) from the record (not rerun)"
            if exercisesSourceChanged > 0 { line += ", \(exercisesSourceChanged) with source changed since recorded" }
            let shown = exercisesRun + exercisesCached + exercisesRecorded
            if shown < exercises { line += ", \(exercises - shown) not run (no exercise runner)" }
        }
        if !warnings.isEmpty { line += "; \(warnings.count) warning\(warnings.count == 1 ? "" : "s")" }
        return line
    }
}
