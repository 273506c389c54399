import Foundation
import Testing

@testable import hypercourse

/// An exercise's whole program as the site offers it (next to the lesson's page, with the files it
/// includes beside it) runs with the command its header and card give, as the lesson ran it. Real
/// nasm, clang and /dev/kvm.
@Suite(.enabled(if: kvmPresent, "skipped: /dev/kvm is absent on this machine"))
struct DownloadedProgramTests {
    static let lesson = """
        ---
        title: "Download me"
        ---
        ```asm exercise id=fx-download timeout=2 memory=8
        ; [hide]
        bits 16
        org 0x7c00
        ; [show]
            mov al, 'D'
            call putc
            hlt
        ; [hide]
        %include "shared/dl-putc.inc"
        ; [show]
        ```

        ```c exercise id=fx-download-c mode=user expect=exit:3
        // [hide]
        #include "hypercourse.h"
        // [show]
        int main(void) { printf("%d\\n", 6 * 7); return 3; }
        ```

        """

    /// The file named `name` somewhere in the built site.
    static func find(_ name: String, in output: URL) throws -> URL {
        let files = FileManager.default.enumerator(at: output, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
        return try #require(files.first { $0.lastPathComponent == name }, "\(name) is not in the built site")
    }

    /// The command on the file's second header line, run with the tool under test in the file's folder.
    static func runAsTheHeaderSays(_ file: URL, comment: String) async throws -> FixtureCourse.Outcome {
        let text = try String(contentsOf: file, encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init)
        let prefix = "\(comment) Run it with: hypercourse run "
        let line = try #require(lines.first { $0.hasPrefix(prefix) }, "no run command in \(text)")
        let arguments = ["run"] + line.dropFirst(prefix.count).split(separator: " ").map(String.init)
        #expect(arguments.last == file.lastPathComponent)
        let tool = try #require(Repo.tool, "the hypercourse binary was not built")
        return try await FixtureCourse.run(tool, arguments, in: file.deletingLastPathComponent())
    }

    @Test func theDownloadRunsWithTheCommandItGives() async throws {
        let course = FixtureCourse()
        course.write("content/shared/dl-putc.inc", "putc:\n    mov dx, 0x3f8\n    out dx, al\n    ret\n")
        course.write("content/01-modes/09-download.md", Self.lesson)
        _ = try await course.build()

        let asm = try Self.find("exercise-fx-download.asm", in: course.output)
        let text = try String(contentsOf: asm, encoding: .utf8)
        #expect(text.contains("; [hide]\nbits 16\norg 0x7c00\n; [show]\n"), "the hidden lines are in the file")
        #expect(text.contains("; Run it with: hypercourse run --mode real --memory 8 --timeout 2 exercise-fx-download.asm\n"), "\(text)")
        #expect(text.contains("; Keep beside it, at these paths: shared/dl-putc.inc\n"), "\(text)")
        let included = asm.deletingLastPathComponent().appendingPathComponent("shared/dl-putc.inc")
        #expect(try String(contentsOf: included, encoding: .utf8).hasPrefix("putc:"))
        let ran = try await Self.runAsTheHeaderSays(asm, comment: ";")
        // No newline ends the output, so the summary line starts on a line of its own.
        #expect(ran.status == 0 && ran.stdout == "D" && ran.stderr.hasPrefix("\nhalt · "), "\(ran.stderr)")
        #expect(course.figure("fx-download").contains("<a href=\"shared/dl-putc.inc\"><code>shared/dl-putc.inc</code></a>"))

        let c = try Self.find("exercise-fx-download-c.c", in: course.output)
        let cRan = try await Self.runAsTheHeaderSays(c, comment: "//")
        #expect(cRan.status == 1 && cRan.stdout == "42\n" && cRan.stderr.hasPrefix("exit 3 · "), "\(cRan.stderr)")
    }
}
