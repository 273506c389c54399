import Foundation
import Testing

@testable import Site

/// Runs a tool and returns its standard output.
private func output(of arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

private func installed(_ tool: String) -> Bool {
    ((try? output(of: ["sh", "-c", "command -v \(tool)"])) ?? "").isEmpty == false
}

/// The PDF edition through the real headless Chromium (`./make.sh test` installs it with the browser
/// check's packages) and checked with poppler's tools.
@Suite(.enabled(if: installed("chromium") && installed("pdfinfo"), "skipped: chromium or poppler-utils is not installed"))
struct PDFTests {
    let scratch = Scratch()

    @Test func aBookOnA4WithEmbeddedFontsAndAnOutlineOfChaptersAndLessons() async throws {
        let options = BuildOptions(
            contentDirectory: Repo.fixture, outputDirectory: scratch.url.appendingPathComponent("out"))
        var withPDF = options
        withPDF.pdfBrowser = "chromium"
        _ = try await SiteBuilder(options: withPDF).build()
        let pdf = scratch.url.appendingPathComponent("out/downloads/virtualization-fixture-en.pdf").path
        let info = try output(of: ["pdfinfo", pdf])
        #expect(info.contains("(A4)"), "\(info)")
        let pages = Int(captures(#"Pages:\s+(\d+)"#, in: info).first ?? "") ?? 0
        #expect(pages >= 6, "a title page, the contents and three chapters each from a new page: \(pages) pages")
        // Every font embedded (the `emb` column, fifth from the end of each row), and there are some.
        let fonts = try output(of: ["pdffonts", pdf]).split(separator: "\n").dropFirst(2)
        #expect(
            !fonts.isEmpty && fonts.allSatisfy { $0.split(separator: " ", omittingEmptySubsequences: true).dropLast(4).last == "yes" },
            "\(fonts)")
        // The outline: chapters, each with its lessons nested inside.
        let xml = try output(of: ["pdftohtml", "-xml", "-i", "-stdout", "-f", "1", "-l", "1", pdf])
        let chapter = try #require(xml.range(of: "<item page=\"3\">Chapter 1 · Foundations</item>"), "\(xml)")
        let lesson = try #require(xml.range(of: "1.1 What is a virtual machine?</item>"))
        let next = try #require(xml.range(of: "Chapter 2 · "))
        #expect(chapter.upperBound < lesson.lowerBound && lesson.upperBound < next.lowerBound)
        #expect(xml[chapter.upperBound..<lesson.lowerBound].contains("<outline>"))
        // The lessons' text, which the book takes from their print HTML (kept for the PDF when the
        // build frees what only the pages needed).
        let text = try output(of: ["pdftotext", pdf, "-"])
        #expect(text.contains("Timing is the usual exception"), "\(text.prefix(2000))")
        // The print page and the home page link to it; the book page is gone.
        #expect(scratch.read("out/print.html").contains("href=\"downloads/virtualization-fixture-en.pdf\""))
        #expect(scratch.read("out/index.html").contains("<a href=\"downloads/virtualization-fixture-en.pdf\""))
        #expect(!scratch.exists("out/_book.html"))
    }

    @Test func aBrowserThatIsNotThereIsAClearErrorAndTheSiteStays() async throws {
        var options = BuildOptions(contentDirectory: Repo.fixture, outputDirectory: scratch.url.appendingPathComponent("out"))
        options.pdfBrowser = "/nonexistent/chromium"
        do {
            _ = try await SiteBuilder(options: options).build()
            Issue.record("the build succeeded without a browser")
        } catch let failure as BuildFailure {
            #expect(failure.errors.contains { $0.message.contains("could not print the PDF") }, "\(failure.errors)")
        }
        #expect(!scratch.exists("out"))
    }
}
