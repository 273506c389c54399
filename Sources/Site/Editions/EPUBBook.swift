import Foundation
import Markdown

/// One language's course as an EPUB 3 book: a title page, the navigation document, each chapter's
/// introduction and lessons as XHTML in course order, the images they show, and a stylesheet.
/// Pure: `files()` returns every file of the book in the order the zip stores them.
struct EPUBBook {
    let course: Course
    let theme: Theme
    let bodies: [String: RenderedBody]
    let language: String
    /// Every file lessons show or link to, by site path → content path.
    let resources: [String: String]
    let metadata: EditionMetadata

    struct File {
        var path: String
        var data: Data
    }

    /// A content document of the book: where the site has it, and where the book does.
    private struct Document {
        var sitePath: String
        var bookPath: String
        var title: String
    }

    static let titlePage = "title.xhtml"

    /// The book's path (under `EPUB/`) of a site page: the same folders, `.xhtml` for `.html`.
    static func bookPath(ofPage sitePath: String) -> String {
        sitePath == "index.html" ? titlePage : String(sitePath.dropLast(".html".count)) + ".xhtml"
    }

    func files() throws -> [File] {
        var pageMap: [String: String] = ["index.html": Self.titlePage]
        for chapter in course.chapters {
            pageMap[chapter.path] = Self.bookPath(ofPage: chapter.path)
            for lesson in chapter.lessons { pageMap[lesson.path] = Self.bookPath(ofPage: lesson.path) }
        }
        let images = EPUBLinks.UsedImages()
        var documents: [(Document, String)] = []
        func add(_ document: Document, _ body: String) {
            let links = EPUBLinks(page: document.sitePath, pages: pageMap, resources: resources, baseURL: metadata.baseURL)
            let converted = links.converter(collecting: images).convert(body)
            documents.append((document, converted))
        }
        add(Document(sitePath: "index.html", bookPath: Self.titlePage, title: metadata.title), titlePageBody())
        for (ci, chapter) in course.chapters.enumerated() {
            add(Document(sitePath: chapter.path, bookPath: pageMap[chapter.path]!, title: chapter.title), chapterBody(ci))
            for (li, lesson) in chapter.lessons.enumerated() {
                add(Document(sitePath: lesson.path, bookPath: pageMap[lesson.path]!, title: lesson.title), lessonBody(ci, li))
            }
        }
        var files = [
            File(path: "mimetype", data: Data("application/epub+zip".utf8)),
            File(path: "META-INF/container.xml", data: Data(Self.container.utf8))
        ]
        var manifest: [EPUBPackage.Item] = []
        for (document, body) in documents {
            let xhtml = xhtmlDocument(title: document.title, path: document.bookPath, body: body)
            files.append(File(path: "EPUB/" + document.bookPath, data: Data(xhtml.utf8)))
            manifest.append(
                .init(path: document.bookPath, mediaType: "application/xhtml+xml", hasSVG: body.contains("<svg"), inSpine: true))
        }
        let nav = xhtmlDocument(title: theme.string("book_contents"), path: "nav.xhtml", body: navigationBody(), navigation: true)
        files.append(File(path: "EPUB/nav.xhtml", data: Data(nav.utf8)))
        manifest.insert(.init(path: "nav.xhtml", mediaType: "application/xhtml+xml", isNavigation: true, inSpine: true), at: 1)
        files.append(File(path: "EPUB/style.css", data: try stylesheet()))
        manifest.append(.init(path: "style.css", mediaType: "text/css"))
        for image in images.paths.sorted() {
            guard let contentPath = resources[image], let type = EPUBPackage.imageMediaType(image) else { continue }
            let data = try Self.read(course.contentRoot.appendingPathComponent(contentPath))
            files.append(File(path: "EPUB/" + image, data: data))
            manifest.append(.init(path: image, mediaType: type))
        }
        let package = EPUBPackage(metadata: metadata, items: manifest)
        files.insert(File(path: "EPUB/package.opf", data: Data(package.xml().utf8)), at: 2)
        return files
    }

    private static let container = """
        <?xml version="1.0" encoding="UTF-8"?>
        <container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
          <rootfiles>
            <rootfile full-path="EPUB/package.opf" media-type="application/oebps-package+xml"/>
          </rootfiles>
        </container>

        """

    private static func read(_ url: URL) throws -> Data {
        do {
            return try Data(contentsOf: url)
        } catch {
            throw SiteError(file: url, "unreadable file for the EPUB edition: \(error.localizedDescription)")
        }
    }

    private func stylesheet() throws -> Data {
        guard let file = theme.editionFiles["epub.css"] else { return Data() }
        return try file.data()
    }

    // MARK: Documents

    private func xhtmlDocument(title: String, path: String, body: String, navigation: Bool = false) -> String {
        let css = URLPaths.relative(from: path, to: "style.css")
        let lang = XHTMLConverter.escapedAttribute(language)
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <!DOCTYPE html>
            <html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" lang="\(lang)" xml:lang="\(lang)">
            <head>
            <meta charset="UTF-8"/>
            <title>\(XHTMLConverter.escapedText(title))</title>
            <link rel="stylesheet" type="text/css" href="\(css)"/>
            </head>
            <body\(navigation ? "" : " class=\"book-page\"")>
            \(body)
            </body>
            </html>

            """
    }

    private func escaped(_ text: String) -> String { HTMLEscaping.escape(text) }

    private func titlePageBody() -> String {
        var html = "<section class=\"title-page\" epub:type=\"titlepage\">\n<h1 class=\"book-title\">\(escaped(metadata.title))</h1>\n"
        if let subtitle = course.config.subtitle { html += "<p class=\"book-subtitle\">\(escaped(subtitle))</p>\n" }
        if !metadata.authors.isEmpty { html += "<p class=\"book-authors\">\(escaped(metadata.authors.joined(separator: ", ")))</p>\n" }
        if let license = metadata.license { html += "<p class=\"book-license\">\(escaped(license))</p>\n" }
        if let url = metadata.baseURL { html += "<p class=\"book-url\"><a href=\"\(escaped(url))\">\(escaped(url))</a></p>\n" }
        html += "</section>\n"
        if let intro = bodies["index.html"] {
            html += "<section class=\"book-intro\">\n\(PageRenderer.answersOpen(intro.html))\n</section>\n"
        }
        return html
    }

    private func chapterBody(_ ci: Int) -> String {
        let chapter = course.chapters[ci]
        var html = "<section epub:type=\"part\">\n<header class=\"page-header\">\n"
        html += "<p class=\"eyebrow\">\(escaped(theme.string("chapter"))) \(ci + 1)</p>\n<h1>\(escaped(chapter.title))</h1>\n"
        if let description = chapter.description { html += "<p class=\"lead\">\(escaped(description))</p>\n" }
        html += "</header>\n"
        if let intro = bodies[chapter.path] { html += PageRenderer.answersOpen(intro.html) + "\n" }
        html += "<ol class=\"chapter-lessons\">\n"
        for lesson in chapter.lessons {
            html += "<li><a href=\"\(escaped(URLPaths.relative(from: chapter.path, to: lesson.path)))\">\(escaped(lesson.title))</a></li>\n"
        }
        return html + "</ol>\n</section>"
    }

    private func lessonBody(_ ci: Int, _ li: Int) -> String {
        let lesson = course.chapters[ci].lessons[li]
        var html = "<section epub:type=\"chapter\">\n<header class=\"page-header\">\n"
        html += "<p class=\"eyebrow\">\(escaped(theme.string("lesson"))) \(ci + 1).\(li + 1)</p>\n<h1>\(escaped(lesson.title))</h1>\n"
        if let description = lesson.description { html += "<p class=\"lead\">\(escaped(description))</p>\n" }
        html += "</header>\n"
        if !lesson.objectives.isEmpty {
            html +=
                "<section class=\"objectives\">\n<h2 class=\"objectives-title\">\(escaped(theme.string("objectives_title")))</h2>\n<ul>\n"
            for objective in lesson.objectives { html += "<li>\(escaped(objective))</li>\n" }
            html += "</ul>\n</section>\n"
        }
        return html + PageRenderer.answersOpen(bodies[lesson.path]?.html ?? "") + "\n</section>"
    }

    /// The navigation document: the table of contents, chapters with their lessons nested.
    private func navigationBody() -> String {
        var html = "<nav epub:type=\"toc\" id=\"toc\">\n<h1>\(escaped(theme.string("book_contents")))</h1>\n<ol>\n"
        html += "<li><a href=\"\(Self.titlePage)\">\(escaped(metadata.title))</a></li>\n"
        for (ci, chapter) in course.chapters.enumerated() {
            html += "<li><a href=\"\(URLPaths.encodePath(Self.bookPath(ofPage: chapter.path)))\">\(ci + 1). \(escaped(chapter.title))</a>"
            if !chapter.lessons.isEmpty {
                html += "\n<ol>\n"
                for (li, lesson) in chapter.lessons.enumerated() {
                    let href = URLPaths.encodePath(Self.bookPath(ofPage: lesson.path))
                    html += "<li><a href=\"\(href)\">\(ci + 1).\(li + 1) \(escaped(lesson.title))</a></li>\n"
                }
                html += "</ol>\n"
            }
            html += "</li>\n"
        }
        html += "</ol>\n</nav>\n"
        html += "<nav epub:type=\"landmarks\" id=\"landmarks\" hidden=\"hidden\">\n<ol>\n"
        html += "<li><a epub:type=\"toc\" href=\"#toc\">\(escaped(theme.string("book_contents")))</a></li>\n"
        if let first = course.chapters.first {
            html +=
                "<li><a epub:type=\"bodymatter\" href=\"\(URLPaths.encodePath(Self.bookPath(ofPage: first.path)))\">\(escaped(first.title))</a></li>\n"
        }
        return html + "</ol>\n</nav>"
    }
}
