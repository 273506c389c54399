import Foundation

/// Prints a page to PDF with headless Chromium: its print stylesheet decides the layout (A4, page
/// numbers, breaks), and Chromium adds the document outline from the page's headings.
struct PDFPrinter {
    /// The Chromium to run (a name on PATH or a path).
    let browser: String

    func print(_ page: URL, to pdf: URL) throws {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("hc-chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        var arguments = [
            browser, "--headless", "--disable-gpu", "--no-pdf-header-footer", "--generate-pdf-document-outline",
            // A profile of its own: two builds (or a build beside a browser) never share one.
            "--user-data-dir=\(profile.path)", "--print-to-pdf=\(pdf.path)", page.absoluteString
        ]
        // Chromium refuses to run its sandbox as root, where the tests and CI run.
        if getuid() == 0 { arguments.insert("--no-sandbox", at: 1) }
        let run: EditionTool.Outcome
        do {
            run = try EditionTool.run(arguments, keeping: .standardError)
        } catch {
            throw SiteError(file: page, "cannot run '\(browser)' to print the PDF: \(error.localizedDescription)")
        }
        guard run.status == 0, FileManager.default.fileExists(atPath: pdf.path) else {
            let tail = run.text.split(separator: "\n").suffix(3).joined(separator: "\n")
            throw SiteError(file: page, "'\(browser)' could not print the PDF (exit \(run.status)); is Chromium installed?\n\(tail)")
        }
    }
}
