import Common
import Foundation
import Testing

@testable import Site

/// The whole program of an exercise, hidden lines included: a file written next to the lesson's page
/// with a header that says how to run it, the files it includes beside it, a plain link to it (no
/// JavaScript; print.html links to the same file), and the text the card's "Copy all" button copies.
@Suite struct ExerciseDownloadTests {
    let scratch = Scratch()

    static let whole = "bits 16\n; [hide]\norg 0x7c00\n%include \"shared/serial.inc\"\n; [show]\nmov al, '<'\nhlt\n"
    static let header = """
        ; exercise-hello.asm: the whole program of exercise hello, intro/first.html
        ; Run it with: hypercourse run --mode real --timeout 0.3 exercise-hello.asm
        ; Keep beside it, at these paths: shared/serial.inc, helpers.inc

        """

    static func view(_ block: ExerciseBlock) -> ExerciseView {
        var view = sampleView(id: block.option("id")!, output: "<")
        view.displaySource = "bits 16\nmov al, '<'\nhlt\n"
        if block.option("id") == "hello" {
            view.program = WholeProgram(
                text: Self.whole, fileExtension: "asm", commentPrefix: ";", runOptions: ["--mode", "real", "--timeout", "0.3"],
                includes: [
                    .init(contentPath: "shared/serial.inc", besideProgram: "shared/serial.inc"),
                    .init(contentPath: "01-intro/helpers.inc", besideProgram: "helpers.inc")
                ])
        }
        return view
    }

    func course() -> URL {
        scratch.write([
            "01-intro/01-first.md": "---\ntitle: First\n---\n\n```asm exercise id=hello timeout=0.3\nbits 16\n```\n",
            "01-intro/02-second.md": "---\ntitle: Second\n---\n\n```asm exercise id=bare\nhlt\n```\n",
            "01-intro/helpers.inc": "; helpers\n",
            "shared/serial.inc": "; serial\n"
        ])
    }

    @Test func theWholeProgramIsWrittenBesideThePageWithItsIncludes() async throws {
        _ = try await build(course(), into: scratch, provider: StubProvider(Self.view))
        #expect(scratch.read("out/intro/exercise-hello.asm") == Self.header + Self.whole)
        #expect(scratch.read("out/intro/shared/serial.inc") == "; serial\n")
        #expect(scratch.read("out/intro/helpers.inc") == "; helpers\n")
        let page = scratch.read("out/intro/first.html")
        let figure = try #require(captures("(<figure class=\"exercise\" id=\"exercise-hello\".*?</figure>)", in: page).first)
        #expect(
            figure.contains(
                "<a class=\"exercise-download\" href=\"exercise-hello.asm\" download=\"exercise-hello.asm\">Download <code>exercise-hello.asm</code></a>"
            ))
        // Seven source lines and the page shows three: the hidden part's four lines are counted.
        #expect(figure.contains("<span>(the whole program, 4 hidden lines included)</span>"))
        #expect(
            figure.contains(
                "Keep beside it, at these paths: <a href=\"shared/serial.inc\"><code>shared/serial.inc</code></a> <a href=\"helpers.inc\"><code>helpers.inc</code></a>"
            ))
        #expect(figure.contains("Run it with: <code>hypercourse run --mode real --timeout 0.3 exercise-hello.asm</code>"))
        // What "Copy all" copies: the file's text, escaped like every string the page shows; the
        // playground puts an edit after its three header lines.
        let template = "<template class=\"exercise-whole-source\" data-hidden-lines=\"4\" data-header-lines=\"3\">(.*?)</template>"
        let copied = try #require(captures(template, in: figure).first)
        #expect(
            copied
                == (Self.header + Self.whole).replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "'", with: "&#39;")
                .replacingOccurrences(of: "<", with: "&lt;"))
        // The source shown stays without the hidden lines.
        #expect(!captures("(<pre data-lang=.*?</pre>)", in: figure).first!.contains("org 0x7c00"))
    }

    @Test func printLinksToTheSameFilesFromTheRoot() async throws {
        _ = try await build(course(), into: scratch, provider: StubProvider(Self.view))
        let print = scratch.read("out/print.html")
        #expect(print.contains("<a class=\"exercise-download\" href=\"intro/exercise-hello.asm\" download=\"exercise-hello.asm\">"))
        #expect(print.contains("<a href=\"intro/shared/serial.inc\"><code>shared/serial.inc</code></a>"))
    }

    @Test func noFileAndNoLinkWithoutAWholeProgram() async throws {
        _ = try await build(course(), into: scratch, provider: StubProvider(Self.view))
        #expect(!scratch.exists("out/intro/exercise-bare.asm"))
        #expect(!scratch.read("out/intro/second.html").contains("exercise-download"))
        // Nor without a provider: a placeholder card runs nothing and offers nothing.
        _ = try await build(course(), into: scratch, out: "bare")
        #expect(!scratch.exists("bare/intro/exercise-hello.asm"))
        #expect(!scratch.exists("bare/intro/shared/serial.inc"))
        #expect(!scratch.read("bare/intro/first.html").contains("exercise-whole"))
    }

    @Test func aLessonFileWithTheSameNameIsAnError() async throws {
        let content = course()
        try "x".write(to: content.appendingPathComponent("01-intro/exercise-hello.asm"), atomically: true, encoding: .utf8)
        try "---\ntitle: First\n---\n\n[file](exercise-hello.asm)\n\n```asm exercise id=hello\nbits 16\n```\n"
            .write(to: content.appendingPathComponent("01-intro/01-first.md"), atomically: true, encoding: .utf8)
        let errors = await buildErrors(content, into: scratch, provider: StubProvider(Self.view))
        #expect(errors.map { $0.message } == ["would overwrite the generated file intro/exercise-hello.asm; rename it"])
    }

    @Test func theFileNameAndCommandAreSafe() throws {
        var view = sampleView(id: "spin", output: "")
        view.language = "c"
        view.displaySource = "int main(void) { return 0; }\n"
        view.program = WholeProgram(
            text: "int main(void) { return 0; }", fileExtension: "c", commentPrefix: "//",
            runOptions: ["--mode", "long", "--append", "a b's"])
        let download = try #require(ExerciseDownload(view: view, page: "intro/first.html", strings: { $0 }))
        #expect(download.outputPath == "intro/exercise-spin.c")
        #expect(download.command == "hypercourse run --mode long --append 'a b'\\''s' exercise-spin.c")
        #expect(
            download.text
                == "// exercise-spin.c: exercise_file_whole spin, intro/first.html\n// exercise_run_it: \(download.command)\nint main(void) { return 0; }\n"
        )
        #expect(download.hiddenLines == 0)
        #expect(ExerciseDownload.href(from: "print.html", to: download.outputPath) == "intro/exercise-spin.c")
    }
}
