import CCmarkGFM
import Foundation

@testable import Markdown

/// One example of the GFM spec or of cmark-gfm's extension and regression tests: Markdown in,
/// the HTML cmark-gfm's own runner (`spec_tests.py`) expects out.
struct GFMExample: CustomStringConvertible {
    var file: String
    var number: Int
    var line: Int
    var section: String
    /// Extension names on the example's fence line (`table`, `footnotes`, ...).
    var extensions: [String]
    var markdown: String
    var html: String

    var description: String { "\(file) example \(number) (line \(line), \(section))" }
}

/// The examples, read at test time from `../shared/data/gfm-spec/` beside the clone, where CI
/// keeps them: they are not copied into this repository.
enum GFMExamples {
    static let files = ["spec.txt", "extensions.txt", "regression.txt"]

    /// The folder, or nil when this machine has none. `HYPERCOURSE_GFM_SPEC` names it outright;
    /// else it is `shared/data/gfm-spec` beside the repository, or beside the main checkout when
    /// this is a linked git worktree (whose `.git` is a file naming the main repository).
    static func folder(repositoryRoot root: URL = repositoryRoot) -> URL? {
        var candidates: [URL] = []
        if let named = ProcessInfo.processInfo.environment["HYPERCOURSE_GFM_SPEC"] { candidates.append(URL(fileURLWithPath: named)) }
        candidates.append(root.deletingLastPathComponent().appendingPathComponent("shared/data/gfm-spec"))
        if let main = mainCheckout(of: root) {
            candidates.append(main.deletingLastPathComponent().appendingPathComponent("shared/data/gfm-spec"))
        }
        return candidates.first { folder in
            files.allSatisfy { FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path) }
        }
    }

    /// This file is `Tests/MarkdownTests/GFMExamples.swift` in the repository.
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// `gitdir: /repo/.git/worktrees/NAME` → `/repo`.
    private static func mainCheckout(of root: URL) -> URL? {
        guard let text = try? String(contentsOf: root.appendingPathComponent(".git"), encoding: .utf8),
            text.hasPrefix("gitdir: "), let range = text.range(of: "/.git/worktrees/")
        else { return nil }
        return URL(fileURLWithPath: String(text[text.index(text.startIndex, offsetBy: 8)..<range.lowerBound]))
    }

    static func load(from folder: URL) throws -> [GFMExample] {
        try files.flatMap { name in
            parse(try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8), file: name)
        }
    }

    /// `spec_tests.py`'s `get_tests`: an example opens with 32 backticks and ` example` (then
    /// extension names), a line `.` separates input from output, 32 backticks close it; `→` is a
    /// tab; examples marked `disabled` are skipped but still counted.
    static func parse(_ text: String, file: String) -> [GFMExample] {
        let fence = String(repeating: "`", count: 32)
        var examples: [GFMExample] = []
        var state = 0, number = 0, start = 0
        var section = "", extensions: [String] = []
        var markdown = "", html = ""
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(raw) + "\n"
            let stripped = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if stripped.hasPrefix(fence + " example") {
                state = 1
                extensions = stripped.dropFirst(fence.count + " example".count).split(separator: " ").map(String.init)
                start = index + 1
            } else if stripped == fence {
                state = 0
                number += 1
                if !extensions.contains("disabled") {
                    examples.append(
                        GFMExample(
                            file: file, number: number, line: start, section: section, extensions: extensions,
                            markdown: markdown.replacingOccurrences(of: "→", with: "\t"),
                            html: html.replacingOccurrences(of: "→", with: "\t")))
                }
                markdown = ""
                html = ""
            } else if stripped == "." {
                state = 2
            } else if state == 1 {
                markdown += line
            } else if state == 2 {
                html += line
            } else if raw.hasPrefix("#"), let space = raw.firstIndex(of: " "), raw[..<space].allSatisfy({ $0 == "#" }) {
                section = raw[raw.index(after: space)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return examples
    }
}

/// libcmark-gfm's own rendering, called directly: default allocator, no tree edits, with the
/// options and extensions our pipeline uses.
enum LibCmarkGFM {
    static func html(_ markdown: String) -> String {
        cmark_gfm_core_extensions_ensure_registered()
        let parser = cmark_parser_new(CmarkRuntime.options)!
        defer { cmark_parser_free(parser) }
        for name in CmarkRuntime.extensionNames {
            guard let ext = cmark_find_syntax_extension(name), cmark_parser_attach_syntax_extension(parser, ext) != 0 else {
                return "<libcmark-gfm has no '\(name)' extension>"
            }
        }
        var text = markdown
        text.withUTF8 { buffer in
            buffer.withMemoryRebound(to: CChar.self) { cmark_parser_feed(parser, $0.baseAddress, $0.count) }
        }
        // Through CmarkRuntime only for its lock: libcmark-gfm's inline phase uses a global table
        // that concurrent parses (other tests run alongside) would clear under each other.
        let root = CmarkRuntime.finish(parser)
        defer { cmark_node_free(root) }
        guard let rendered = cmark_render_html(root, CmarkRuntime.options, cmark_parser_get_syntax_extensions(parser)) else { return "" }
        defer { free(rendered) }
        return String(cString: rendered)
    }
}
