import Foundation

/// The print pages: the whole course on one page (`print.html`), and each chapter on its own
/// (`CHAPTER/_print.html`; `_` cannot start a lesson's slug, so no lesson takes the name), which a
/// browser opens comfortably however long the course is.
extension PageRenderer {
    /// A chapter's print page, beside its chapter page.
    static func chapterPrintPath(_ chapter: Chapter) -> String { "\(chapter.slug)/_print.html" }

    /// On paper nothing can be opened: the print page shows every prediction's answer and every
    /// result a prediction hides, each after its question (the `<details>` open, its summary hidden).
    /// Byte by byte, and the text itself when nothing opens: it runs on every body twice (print.html
    /// and the chapter's page), where Foundation's search through UTF-16 was most of a build.
    static func answersOpen(_ html: String) -> String {
        var html = html
        let opened = html.withUTF8 { b -> [UInt8]? in
            var out: [UInt8] = []
            var copied = 0, i = 0
            while i < b.count {
                guard b[i] == UInt8(ascii: "<"),
                    let tag = openable.first(where: { i + $0.count <= b.count && b[i..<i + $0.count].elementsEqual($0) })
                else { i += 1; continue }
                let close = i + tag.count - 1 // the tag's `>`
                if out.isEmpty { out.reserveCapacity(b.count + 256) }
                out += b[copied..<close]
                out += Array(" open".utf8)
                copied = close
                i = close + 1
            }
            guard copied > 0 else { return nil }
            out += b[copied...]
            return out
        }
        return opened.map { String(decoding: $0, as: UTF8.self) } ?? html
    }

    private static let openable = [Array("<details class=\"predict-answer\">".utf8), Array("<details class=\"exercise-reveal\">".utf8)]

    func printAll() -> PrintPage {
        var pieces = PrintPage.Pieces()
        let chapters = course.chapters.indices.map { printContext($0, into: &pieces) { $0 } }
        let html = page(
            path: "print.html", kind: "print", title: theme.string("print_title"), description: course.config.description,
            template: "print", context: compact(["chapters": chapters, "printIntro": theme.string("print_intro"), "pdfURL": pdfURL]))
        return PrintPage(skeleton: html, pieces: pieces.bodies, nonce: pieces.nonce)
    }

    /// One chapter as print.html shows it. The bodies were rendered for print.html, at the site's
    /// root, with links between pages as links inside it; here those move one folder down and
    /// out of the chapter (`PrintLinks`).
    func printChapter(_ ci: Int) -> PrintPage {
        let chapter = course.chapters[ci]
        let links = PrintLinks(chapterSlug: chapter.slug, chapterSlugs: Set(course.chapters.map(\.slug)))
        var pieces = PrintPage.Pieces()
        var context: [String: Any] = [
            "chapters": [printContext(ci, into: &pieces) { links.rewrite($0) }], "printIntro": theme.string("print_chapter_intro")
        ]
        context["wholeCourseURL"] = "../print.html"
        let html = page(
            path: Self.chapterPrintPath(chapter), kind: "print", title: chapter.title, description: chapter.description,
            template: "print", context: context)
        return PrintPage(skeleton: html, pieces: pieces.bodies, nonce: pieces.nonce)
    }

    /// A chapter's print context with its bodies in it (for pages built whole, like the book).
    func printContext(_ ci: Int, _ links: @escaping @Sendable (String) -> String) -> [String: Any] {
        let bodies = self.bodies
        return printContext(ci) { path in bodies[path].map { links(Self.answersOpen($0.printHTML)) } }
    }

    /// A chapter's print context; each body is a token in it, its HTML a piece made when written.
    private func printContext(
        _ ci: Int, into pieces: inout PrintPage.Pieces, _ links: @escaping @Sendable (String) -> String
    )
        -> [String: Any]
    {
        let bodies = self.bodies
        return printContext(ci) { path in
            guard let html = bodies[path]?.printHTML else { return nil }
            return html.isEmpty ? html : pieces.add { links(Self.answersOpen(html)) }
        }
    }

    /// A chapter's print context, each body (by page path) from `body`.
    private func printContext(_ ci: Int, body piece: (String) -> String?) -> [String: Any] {
        let chapter = course.chapters[ci]
        return compact([
            "title": chapter.title, "number": ci + 1, "id": chapter.slug, "intro": piece(chapter.path),
            // In an edition, text not translated yet is marked with the original's language.
            "introLang": course.edition != nil && chapter.translation == nil ? course.defaultLanguage : nil,
            "lessons": chapter.lessons.enumerated().map { li, lesson in
                compact([
                    "title": lesson.title, "number": "\(ci + 1).\(li + 1)", "id": "\(chapter.slug)/\(lesson.slug)",
                    "description": lesson.description, "objectives": lesson.objectives, "hasObjectives": !lesson.objectives.isEmpty,
                    "body": piece(lesson.path) ?? "",
                    "contentLang": course.edition != nil && lesson.translation == nil ? course.defaultLanguage : nil
                ])
            }
        ])
    }
}

/// A print page as it is written: the page rendered with a token where each lesson's body goes,
/// and the bodies, each made only when the file reaches it. print.html holds every lesson; as one
/// string it would be the largest thing in memory (tens of MB at thousands of lessons, and
/// rendering it through the layout copied it again).
struct PrintPage {
    var skeleton: String
    var pieces: [@Sendable () -> String]
    var nonce: String

    /// Collects the bodies and hands out their tokens: private-use characters around a number
    /// drawn for this page and the piece's index. Course text cannot forge one (it would have to
    /// guess the number), and every token is replaced, so the page written does not depend on it.
    struct Pieces {
        var bodies: [@Sendable () -> String] = []
        let nonce = String(UInt64.random(in: 1 << 60..<UInt64.max), radix: 16)

        mutating func add(_ body: @escaping @Sendable () -> String) -> String {
            bodies.append(body)
            return "\u{E005}\(nonce)-\(bodies.count - 1)\u{E006}"
        }
    }

    static let tokenOpen: [UInt8] = [0xEE, 0x80, 0x85] // U+E005
    static let tokenClose: [UInt8] = [0xEE, 0x80, 0x86] // U+E006
}

/// Moves print.html's links into one chapter's print page, one folder down: a link to a place in
/// this chapter stays; one to another chapter goes to that chapter's print page, one to the home
/// page's introduction to print.html; a relative file link gains `../`. Ids in print.html are the
/// page's print id (`chapter`, `chapter/lesson`) or prefix (`chapter::`, `chapter/lesson::`,
/// `hc-home::`), so an id names its chapter.
struct PrintLinks {
    var chapterSlug: String
    var chapterSlugs: Set<String>

    func rewrite(_ html: String) -> String {
        let bytes = Array(html.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 256)
        var copied = 0
        var i = 0
        // Byte by byte: `href="` and `src="` (a page has thousands of links; no regex per page).
        while i < bytes.count {
            guard bytes[i] == 0x3D, i + 1 < bytes.count, bytes[i + 1] == 0x22, Self.endsWithAttributeName(bytes, at: i) else {
                i += 1
                continue
            }
            let start = i + 2
            guard let close = bytes[start...].firstIndex(of: 0x22) else { break }
            out += bytes[copied..<start]
            out += Array(url(String(decoding: bytes[start..<close], as: UTF8.self)).utf8)
            copied = close
            i = close
        }
        out += bytes[copied...]
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether ` href` or ` src` ends right before `at`.
    private static func endsWithAttributeName(_ bytes: [UInt8], at: Int) -> Bool {
        for name in [Array(" href".utf8), Array(" src".utf8)] where at >= name.count {
            if bytes[(at - name.count)..<at].elementsEqual(name) { return true }
        }
        return false
    }

    func url(_ value: String) -> String {
        if value.hasPrefix("#") {
            let id = value.dropFirst()
            let owner = String(id.prefix { $0 != "/" && $0 != ":" })
            if owner == chapterSlug { return value }
            if chapterSlugs.contains(owner) { return "../\(owner)/_print.html\(value)" }
            // An id that names no chapter and has no page prefix is not print.html's: an exercise
            // card's own (its lines, its title) or the page title, on this page as on print.html.
            let prefixed = owner == "hc-home" || id.contains("::") || id.contains("/")
            return prefixed ? "../print.html\(value)" : value
        }
        if value.isEmpty || value.hasPrefix("/") || LinkResolver.hasScheme(value) { return value }
        return "../" + value
    }
}
