import Foundation

/// The pages of a PDF's named destinations, read with poppler's `pdfinfo -dests`: Chromium names
/// a destination after each element id the page links to, so the book's contents find the page
/// each chapter and lesson starts on (CSS's target-counter, which would say it, Chromium lacks).
enum PDFDestinations {
    static func pages(of pdf: URL) throws -> [String: Int] {
        let run: EditionTool.Outcome
        do {
            run = try EditionTool.run(["pdfinfo", "-dests", pdf.path], keeping: .standardOutput)
        } catch {
            throw SiteError(file: pdf, "cannot run pdfinfo to number the PDF's contents: \(error.localizedDescription)")
        }
        guard run.status == 0 else {
            throw SiteError(file: pdf, "pdfinfo could not read the PDF's destinations (exit \(run.status)); is poppler-utils installed?")
        }
        return parse(run.text)
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
