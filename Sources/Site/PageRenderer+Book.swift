import Foundation

/// The PDF's source: the whole course as one book page (`_book.html`, written only while the PDF is
/// printed): a title page, the contents, then each chapter (h1) with its lessons (h2), every
/// heading of a lesson one level down, so the PDF's outline nests lessons in chapters.
extension PageRenderer {
    static let bookPath = "_book.html"

    /// `pages`: each chapter's and lesson's page in the PDF (by its id), which the contents show in
    /// slots of one width whether or not they are known, so adding them cannot move any page.
    func printBook(pages: [String: Int] = [:]) -> String {
        let chapters = course.chapters.indices.map { index in
            var chapter = printContext(index, Self.headingsOneLevelDown)
            // Never absent: Mustache would show the enclosing chapter's number for a lesson without one.
            chapter["page"] = Self.pageNumber(of: chapter, in: pages)
            chapter["lessons"] = (chapter["lessons"] as? [[String: Any]])?.map { lesson in
                var lesson = lesson
                lesson["page"] = Self.pageNumber(of: lesson, in: pages)
                return lesson
            }
            return chapter
        }
        return page(
            path: Self.bookPath, kind: "print", title: theme.string("print_title"), description: course.config.description,
            // A theme of its own without book.mustache prints its print page's layout.
            template: theme.templateFiles["book"] == nil ? "print" : "book", context: ["chapters": chapters])
    }

    private static func pageNumber(of entry: [String: Any], in pages: [String: Int]) -> String {
        (entry["id"] as? String).flatMap { pages[$0] }.map(String.init) ?? ""
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
