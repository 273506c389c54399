import Foundation

/// The PDF's source: the whole course as one book page (`_book.html`, written only while the PDF is
/// printed): a title page, the contents, then each chapter (h1) with its lessons (h2), every
/// heading of a lesson one level down, so the PDF's outline nests lessons in chapters.
extension PageRenderer {
    static let bookPath = "_book.html"

    func printBook() -> String {
        let chapters = course.chapters.indices.map { printContext($0, Self.headingsOneLevelDown) }
        return page(
            path: Self.bookPath, kind: "print", title: theme.string("print_title"), description: course.config.description,
            // A theme of its own without book.mustache prints its print page's layout.
            template: theme.templateFiles["book"] == nil ? "print" : "book", context: ["chapters": chapters])
    }

    /// `<h2>` → `<h3>` and so on (an `<h6>` stays); ids and attributes are kept.
    static func headingsOneLevelDown(_ html: String) -> String {
        var out = html
        for level in stride(from: 5, through: 1, by: -1) {
            out = out.replacingOccurrences(of: "<h\(level)", with: "<h\(level + 1)")
                .replacingOccurrences(of: "</h\(level)>", with: "</h\(level + 1)>")
        }
        return out
    }
}
