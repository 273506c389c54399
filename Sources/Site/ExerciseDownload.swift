import Common
import Foundation

/// An exercise's whole program as the page offers it: written next to the lesson's page as
/// `exercise-ID.EXT` (a plain link: no JavaScript, works from `file://`), with a header comment that
/// says how to run it, the files it includes beside it at the paths the tools look for them, and the
/// same text for the card's "Copy all" button.
struct ExerciseDownload: Sendable, Hashable {
    /// Site-root path of the file (`intro/exercise-hello.asm`).
    var outputPath: String
    var fileName: String
    /// What the file holds and "Copy all" copies: the header comment, then the source as built.
    var text: String
    /// Lines of the source the page does not show: the hidden parts with their marker lines.
    var hiddenLines: Int
    /// Lines of the header comment before the source (the playground puts an edit after them).
    var headerLines: Int
    /// The command that runs the file as the page ran it.
    var command: String
    /// The included files, each written next to the download at the path the tools look for it.
    var includes: [Included]

    struct Included: Sendable, Hashable {
        var contentPath: String
        /// Path relative to the download's folder (`shared/serial.inc`).
        var besideFile: String
        /// Site-root path it is written to.
        var outputPath: String
    }

    /// Nil when the provider gave no whole program.
    init?(view: ExerciseView, page: String, strings: (String) -> String) {
        guard let program = view.program, !program.text.isEmpty else { return nil }
        fileName = "exercise-\(view.id).\(program.fileExtension)"
        let folder = page.lastIndex(of: "/").map { String(page[...$0]) } ?? ""
        outputPath = folder + fileName
        includes = program.includes.map {
            Included(contentPath: $0.contentPath, besideFile: $0.besideProgram, outputPath: folder + $0.besideProgram)
        }
        command = ShellWord.command(["hypercourse", "run"] + program.runOptions + [fileName])
        let source = program.text.hasSuffix("\n") ? program.text : program.text + "\n"
        hiddenLines = max(0, Self.lineCount(source) - Self.lineCount(view.displaySource))
        var header = [
            "\(fileName): \(strings("exercise_file_whole")) \(view.id), \(page)",
            "\(strings("exercise_run_it")): \(command)"
        ]
        if !includes.isEmpty {
            header.append("\(strings("exercise_file_includes")): " + includes.map(\.besideFile).joined(separator: ", "))
        }
        headerLines = header.count
        text = header.map { "\(program.commentPrefix) \($0)\n" }.joined() + source
    }

    /// The link to the file, or to an included one, from a page at `page` (its own page or print.html).
    static func href(from page: String, to outputPath: String) -> String { URLPaths.relative(from: page, to: outputPath) }

    /// What the theme's template needs, the links as seen from `page`.
    func context(from page: String) -> [String: Any] {
        [
            "href": Self.href(from: page, to: outputPath), "file": fileName, "hiddenLines": hiddenLines, "headerLines": headerLines,
            "hasHiddenLines": hiddenLines > 0, "oneHiddenLine": hiddenLines == 1, "command": command, "text": text,
            "hasIncludes": !includes.isEmpty,
            "includes": includes.map { ["href": Self.href(from: page, to: $0.outputPath), "path": $0.besideFile] }
        ]
    }

    static func lineCount(_ text: String) -> Int {
        text.utf8.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) } + (text.isEmpty || text.hasSuffix("\n") ? 0 : 1)
    }
}
