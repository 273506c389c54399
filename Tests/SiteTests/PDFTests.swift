import Foundation
import Testing

@testable import Site

/// Runs a tool and returns its standard output.
private func output(of arguments: [String]) throws -> String {
    try EditionTool.run(arguments, keeping: .standardOutput).text
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
        try contentsShowEachStartPage(pdf)
        // The print page and the home page link to it; the book page is gone.
        #expect(scratch.read("out/print.html").contains("href=\"downloads/virtualization-fixture-en.pdf\""))
        #expect(scratch.read("out/index.html").contains("<a href=\"downloads/virtualization-fixture-en.pdf\""))
        #expect(!scratch.exists("out/_book.html"))
    }

    /// The contents page lists each chapter and lesson with the page its destination is on, and the
    /// title and contents pages are not blank.
    private func contentsShowEachStartPage(_ pdf: String) throws {
        let pages = PDFDestinations.parse(try output(of: ["pdfinfo", "-dests", pdf]))
        let chapter = try #require(pages["foundations"], "\(pages)")
        let lesson = try #require(pages["foundations/what-is-a-vm"], "\(pages)")
        let later = try #require(pages["memory-virtualization"], "\(pages)")
        #expect(chapter >= 3 && lesson >= chapter && later > lesson, "\(pages)")
        let contents = try output(of: ["pdftotext", "-layout", "-f", "2", "-l", "2", pdf, "-"])
        // The print stylesheet sets the contents in capitals.
        let lines = contents.uppercased().split(separator: "\n")
        let line = try #require(lines.first { $0.contains("WHAT IS A VIRTUAL MACHINE?") }, "\(contents)")
        #expect(line.hasSuffix(" \(lesson)"), "\(line)")
        let chapterLine = try #require(lines.first { $0.contains("1. FOUNDATIONS") })
        #expect(chapterLine.hasSuffix(" \(chapter)"), "\(chapterLine)")
        for page in [1, 2] {
            let image = try Data(contentsOf: URL(fileURLWithPath: try renderedPage(pdf, page)))
            #expect(Self.inkedFraction(ofPPM: image) > 0.002, "page \(page) is blank")
        }
    }

    /// Renders one page to a grey-scale PPM file with pdftoppm (50 dpi); returns its path.
    private func renderedPage(_ pdf: String, _ page: Int) throws -> String {
        let prefix = scratch.url.appendingPathComponent("page\(page)").path
        _ = try output(of: ["pdftoppm", "-gray", "-r", "50", "-f", "\(page)", "-l", "\(page)", "-singlefile", pdf, prefix])
        return prefix + ".pgm"
    }

    /// The share of pixels darker than light grey in a binary PGM (`P5 W H 255`, then bytes).
    static func inkedFraction(ofPPM data: Data) -> Double {
        let bytes = [UInt8](data)
        var fields = 0, index = 0
        // The header: magic, width, height, maximum, each ended by white space.
        while fields < 4, index < bytes.count {
            while index < bytes.count, !(bytes[index] == 0x20 || bytes[index] == 0x0A) { index += 1 }
            fields += 1
            index += 1
        }
        let pixels = bytes[min(index, bytes.count)...]
        guard !pixels.isEmpty else { return 0 }
        return Double(pixels.filter { $0 < 200 }.count) / Double(pixels.count)
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
