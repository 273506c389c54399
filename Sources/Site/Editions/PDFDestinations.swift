import Foundation

/// The pages of a PDF's named destinations, read with poppler's `pdfinfo -dests`: Chromium names
/// a destination after each element id the page links to, so the book's contents find the page
/// each chapter and lesson starts on (CSS's target-counter, which would say it, Chromium lacks).
enum PDFDestinations {
    static func pages(of pdf: URL) throws -> [String: Int] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["pdfinfo", "-dests", pdf.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw SiteError(file: pdf, "cannot run pdfinfo to number the PDF's contents: \(error.localizedDescription)")
        }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw SiteError(
                file: pdf, "pdfinfo could not read the PDF's destinations (exit \(process.terminationStatus)); is poppler-utils installed?")
        }
        return parse(text)
    }

    /// `   3 [ XYZ    6  776 null      ] "foundations"` → ["foundations": 3].
    static func parse(_ text: String) -> [String: Int] {
        var pages: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            guard let page = fields.first.flatMap({ Int($0) }), let close = line.lastIndex(of: "\""),
                let open = line[..<close].range(of: "] \"")
            else { continue }
            pages[String(line[open.upperBound..<close])] = page
        }
        return pages
    }
}
