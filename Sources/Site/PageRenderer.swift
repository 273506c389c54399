import Common
import Foundation
import Markdown
import Mustache

/// Builds the template contexts for every page and renders them through the theme. Contexts
/// are plain dictionaries (swift-mustache reads them without reflection).
struct PageRenderer {
    let course: Course
    let theme: Theme
    /// Rendered bodies by page path (lessons, and chapters that have an introduction).
    let bodies: [String: RenderedBody]
    /// Reading order: each chapter page, then its lessons.
    let readingOrder: [Link]
    private let orderIndex: [String: Int]
    private let sidebarCache = Locked([String: String]())
    /// UI strings the page scripts use, as one JSON object: the body of `ui-strings.js`, and a
    /// template value for layouts that inline it.
    private let uiStringsJSON: String
    /// The offline editions the home page's Download section lists, known only once they are written.
    var downloads: [DownloadLink] = []
    /// The PDF edition as print.html links to it, when the build prints one.
    var pdfURL: String?

    struct DownloadLink: Sendable {
        var label: String
        /// Relative to the home page.
        var url: String
        var size: String
        var file: String
    }

    /// The head's canonical link, alternates and Open Graph values, for a course with a base URL.
    let publishing: WebPublishing?

    init(course: Course, theme: Theme, bodies: [String: RenderedBody], publishing: WebPublishing? = nil) {
        self.course = course
        self.theme = theme
        self.bodies = bodies
        self.publishing = publishing
        readingOrder = course.chapters.flatMap { chapter in
            [Link(title: chapter.title, path: chapter.path)] + chapter.lessons.map { Link(title: $0.title, path: $0.path) }
        }
        var index: [String: Int] = [:]
        for (i, link) in readingOrder.enumerated() { index[link.path] = i }
        orderIndex = index
        uiStringsJSON =
            "{"
            + theme.strings.filter { !Self.templateOnlyStrings.contains(where: $0.key.hasPrefix) }.sorted { $0.key < $1.key }.map {
                "\(SearchIndex.json($0.key)):\(SearchIndex.json($0.value))"
            }.joined(
                separator: ",") + "}"
    }

    /// UI strings only templates use (the page scripts never do), kept out of every page's JSON.
    static let templateOnlyStrings = ["language_", "translation_", "glossary_"]

    /// Above this many lessons the sidebar opens only the current chapter, so a long course's
    /// sidebar stays short enough to find one's way in.
    static let fullSidebarLimit = 200

    struct Link {
        var title: String
        var path: String
    }

    // MARK: Pages

    func home() -> String {
        let path = "index.html"
        let chapters = course.chapters.enumerated().map { ci, chapter -> [String: Any] in
            compact([
                "title": chapter.title, "url": chapter.path, "number": ci + 1, "description": chapter.description,
                "lessons": chapter.lessons.enumerated().map { li, lesson in
                    compact(["title": lesson.title, "url": lesson.path, "number": "\(ci + 1).\(li + 1)", "description": lesson.description])
                }
            ])
        }
        let first = readingOrder.first
        let context = compact([
            "chapters": chapters, "hasChapters": !chapters.isEmpty,
            "startURL": first?.path, "lessonCount": course.lessonCount, "chapterCount": course.chapters.count,
            "intro": bodies[path]?.html, "introTitle": course.homeTitle,
            "editURL": editURL(for: course.homeIntro?.file),
            "downloads": downloads.isEmpty ? nil : downloads.map { ["label": $0.label, "url": $0.url, "size": $0.size, "file": $0.file] },
            "hasDownloads": downloads.isEmpty ? nil : true,
            "glossaryURL": course.glossary.isEmpty ? nil : Self.glossaryPath
        ]).merging(translationNotice(path: path, translation: course.homeTranslation, hasText: course.homeIntro != nil)) { a, _ in a }
        return page(path: path, kind: "home", title: nil, description: course.config.description, template: "home", context: context)
    }

    func chapter(_ ci: Int) -> String {
        let chapter = course.chapters[ci]
        let body = bodies[chapter.path]
        let lessons = chapter.lessons.enumerated().map { li, lesson in
            compact([
                "title": lesson.title, "url": URLPaths.relative(from: chapter.path, to: lesson.path), "number": "\(ci + 1).\(li + 1)",
                "description": lesson.description
            ])
        }
        var context = compact([
            "chapter": compact(["title": chapter.title, "number": ci + 1, "description": chapter.description]),
            "intro": body?.html, "lessons": lessons, "hasLessons": !lessons.isEmpty, "chapterPrintURL": "_print.html",
            "editURL": editURL(for: chapter.intro?.file),
            "breadcrumbs": [["title": course.config.title, "url": URLPaths.relative(from: chapter.path, to: "index.html")]]
        ])
        context.merge(pager(chapter.path)) { a, _ in a }
        context.merge(translationNotice(path: chapter.path, translation: chapter.translation, hasText: chapter.intro != nil)) { a, _ in a }
        return page(
            path: chapter.path, kind: "chapter", title: chapter.title, description: chapter.description, template: "chapter",
            context: context)
    }

    func lesson(_ ci: Int, _ li: Int) -> String {
        let chapter = course.chapters[ci]
        let lesson = chapter.lessons[li]
        let body = bodies[lesson.path]
        let toc = Self.toc(body?.headings ?? [])
        var context = compact([
            "lesson": compact([
                "title": lesson.title, "description": lesson.description, "number": "\(ci + 1).\(li + 1)",
                "objectives": lesson.objectives, "hasObjectives": !lesson.objectives.isEmpty
            ]),
            "chapter": ["title": chapter.title, "url": URLPaths.relative(from: lesson.path, to: chapter.path), "number": ci + 1],
            "body": body?.html ?? "",
            "editURL": editURL(for: lesson.file),
            "toc": toc, "hasToc": !toc.isEmpty,
            "tocHTML": toc.isEmpty ? "" : theme.render("partials/toc", ["toc": toc]),
            "breadcrumbs": [
                ["title": course.config.title, "url": URLPaths.relative(from: lesson.path, to: "index.html")],
                ["title": chapter.title, "url": URLPaths.relative(from: lesson.path, to: chapter.path)]
            ]
        ])
        context.merge(pager(lesson.path)) { a, _ in a }
        context.merge(translationNotice(path: lesson.path, translation: lesson.translation, hasText: true)) { a, _ in a }
        return page(
            path: lesson.path, kind: "lesson", title: lesson.title, description: lesson.description, template: "lesson", context: context)
    }

    func notFound() -> String {
        var context: [String: Any] = [:]
        // Served for any missing address, the page finds its links and assets from its own
        // language's site root (a translation's is under `<code>/`).
        if let url = course.config.url {
            context["baseURL"] = WebPublishing.encodedBase(url) + (course.edition.map { URLPaths.encode($0.code) + "/" } ?? "")
        }
        return page(
            path: "404.html", kind: "not-found", title: theme.string("not_found_title"), description: nil, template: "404", context: context
        )
    }

    // MARK: Pieces

    /// course.yml's `edit-url` with `{path}` replaced by the page's Markdown file inside the
    /// content folder, each path segment percent-encoded; nil without a template or a file.
    func editURL(for file: URL?) -> String? {
        guard let template = course.config.editURL, let file,
            let path = ContentFolder.relativePath(of: file, in: course.contentRoot)
        else { return nil }
        let segments = path.split(separator: "/").map { segment in
            String(segment).addingPercentEncoding(withAllowedCharacters: Self.pathSegmentAllowed) ?? String(segment)
        }
        return template.replacingOccurrences(of: "{path}", with: segments.joined(separator: "/"))
    }

    private static let pathSegmentAllowed = CharacterSet.urlPathAllowed.subtracting(CharacterSet(charactersIn: "/;?#"))

    func page(path: String, kind: String, title: String?, description: String?, template: String, context: [String: Any]) -> String {
        let root = URLPaths.rootPrefix(of: path)
        let config = course.config
        var common = compact([
            "lang": config.language,
            "dir": ["ar", "he", "fa", "ur"].contains(String(config.language.prefix(2))) ? "rtl" : "ltr",
            "root": root,
            "t": theme.strings,
            "course": compact([
                "title": config.title, "subtitle": config.subtitle, "description": config.description,
                "authors": config.authors.isEmpty ? nil : config.authors.joined(separator: ", "), "license": config.license,
                "repository": config.repository
            ]),
            "page": compact([
                "title": title ?? config.title,
                "fullTitle": title.map { "\($0) · \(config.title)" } ?? config.title,
                "description": description ?? config.description, "kind": kind, "path": path
            ]),
            "homeURL": root + "index.html",
            "printURL": root + "print.html",
            "searchIndexURL": root + "search-index.js",
            "assetsURL": root + "assets/",
            "baseURL": context["baseURL"],
            "uiStrings": uiStringsJSON
        ])
        common.merge(context) { _, new in new }
        addLanguages(to: &common, path: path)
        addPublishing(to: &common, path: path, kind: kind, title: title, description: description)
        common["sidebarHTML"] = sidebarHTML(for: path, common: common)
        common["headerHTML"] = header(path: path, common: common)
        common["footerHTML"] = folderPartial("partials/footer", path: path, common: common)
        let content = theme.render(template, common)
        common["content"] = content
        return theme.render("layout", common)
    }

    /// A page's own sidebar is the fallback for readers without JavaScript: its chapter with that
    /// chapter's lessons, and a link to the outline (the home page lists everything). With
    /// JavaScript, `sidebar.js` puts the whole list in its place. So a page's size does not grow
    /// with the number of chapters. Pages of one folder share it except for which entry is current:
    /// it renders once per folder with each entry's `{{#current}}...{{/current}}` text kept between
    /// markers, and each page keeps only its own entry's text (`CurrentMarkers`).
    private func sidebarHTML(for path: String, common: [String: Any]) -> String {
        let folder = (path as NSString).deletingLastPathComponent
        let cached = sidebarCache.withLock { $0[folder] }
        let html: String
        if let cached {
            html = cached
        } else {
            var context = common
            context["sidebar"] = sidebarEntries(
                from: path,
                chapters: course.chapters.indices.filter { ci in
                    let chapter = course.chapters[ci]
                    return (chapter.path as NSString).deletingLastPathComponent == folder
                }, marked: true)
            html = theme.render("partials/sidebar", context)
            sidebarCache.withLock { $0[folder] = html }
        }
        return CurrentMarkers.resolve(html, current: path)
    }

    /// `sidebar.js`: every chapter and lesson, linked from the site's root, for every page to share;
    /// the script marks the page it runs on.
    func sharedSidebar() -> String {
        var context: [String: Any] = ["t": theme.strings]
        context["sidebar"] = sidebarEntries(from: "index.html", chapters: Array(course.chapters.indices), marked: false)
        let list = theme.render("partials/sidebar-list", context)
        return theme.render(
            "sidebar-js", ["listJSON": SearchIndex.json(list), "everyChapterOpen": course.lessonCount <= Self.fullSidebarLimit])
    }

    /// The header, rendered once per folder with a marker where the page's own language switch goes.
    private func header(path: String, common: [String: Any]) -> String {
        guard let switchHTML = common["languageSwitchHTML"] as? String else {
            return folderPartial("partials/header", path: path, common: common)
        }
        var marked = common
        marked["languageSwitchHTML"] = Self.languageSwitchMarker
        return folderPartial("partials/header", path: path, common: marked).replacingOccurrences(
            of: Self.languageSwitchMarker, with: switchHTML)
    }

    /// A private-use character: it cannot clash with course text.
    private static let languageSwitchMarker = "\u{E003}"

    /// `ui-strings.js`: the theme's strings for the page scripts, once for the site instead of in
    /// every page (a reader never sees them until a script shows one). A script that sets a
    /// global, not a JSON file to fetch, so it loads from file:// too; pages load it deferred,
    /// before site.js, which runs after it in document order.
    func sharedUIStrings() -> String {
        "window.HC_UI_STRINGS = " + uiStringsJSON + ";\n"
    }

    /// Header and footer use only course-wide values and the folder's relative URLs, so they
    /// render once per folder (swift-mustache costs microseconds per lookup; this saves a
    /// thousand renders on a thousand pages).
    private func folderPartial(_ name: String, path: String, common: [String: Any]) -> String {
        let key = name + "|" + (path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "")
        if let cached = sidebarCache.withLock({ $0[key] }) { return cached }
        let html = theme.render(name, common)
        sidebarCache.withLock { $0[key] = html }
        return html
    }

    /// Sidebar entries for `chapters` with their lessons, linked from a page at `from`; `marked`
    /// wraps each entry's current-page text for `CurrentMarkers`.
    private func sidebarEntries(from page: String, chapters: [Int], marked: Bool) -> [[String: Any]] {
        let marker = CurrentMarkers.lambda
        return chapters.map { ci in
            let chapter = course.chapters[ci]
            var entry: [String: Any] = [
                "title": chapter.title, "url": URLPaths.relative(from: page, to: chapter.path), "number": ci + 1,
                "active": marked, "hasLessons": !chapter.lessons.isEmpty
            ]
            if marked { entry["current"] = marker(chapter.path) }
            entry["lessons"] = chapter.lessons.enumerated().map { li, lesson in
                var item: [String: Any] = [
                    "title": lesson.title, "url": URLPaths.relative(from: page, to: lesson.path), "number": "\(ci + 1).\(li + 1)"
                ]
                if marked { item["current"] = marker(lesson.path) }
                return item
            }
            return entry
        }
    }

    private func pager(_ path: String) -> [String: Any] {
        let order = readingOrder
        guard let index = orderIndex[path] else { return [:] }
        var result: [String: Any] = [:]
        if index > 0 {
            result["prev"] = ["title": order[index - 1].title, "url": URLPaths.relative(from: path, to: order[index - 1].path)]
        } else {
            result["prev"] = ["title": course.config.title, "url": URLPaths.relative(from: path, to: "index.html")]
        }
        if index + 1 < order.count {
            result["next"] = ["title": order[index + 1].title, "url": URLPaths.relative(from: path, to: order[index + 1].path)]
        }
        return result
    }

    /// h2 entries with their h3 children.
    static func toc(_ headings: [Heading]) -> [[String: Any]] {
        var entries: [[String: Any]] = []
        var children: [[String: Any]] = []
        var current: [String: Any]?
        func flush() {
            guard var entry = current else { return }
            entry["children"] = children
            entry["hasChildren"] = !children.isEmpty
            entries.append(entry)
            children = []
        }
        for heading in headings where heading.level == 2 || heading.level == 3 {
            let item: [String: Any] = ["id": heading.id, "html": heading.html, "text": heading.text]
            if heading.level == 2 {
                flush()
                current = item
            } else if current != nil {
                children.append(item)
            } else {
                entries.append(item.merging(["children": [[String: Any]](), "hasChildren": false]) { a, _ in a })
            }
        }
        flush()
        return entries
    }
}

/// Marks the text of `{{#current}}...{{/current}}` sections in a sidebar rendered once per folder,
/// then keeps it only for the page it belongs to. Private-use characters delimit the marks, so
/// they cannot clash with course text.
enum CurrentMarkers {
    static let open: Character = "\u{E000}"
    static let middle: Character = "\u{E001}"
    static let close: Character = "\u{E002}"

    /// A Mustache lambda for an entry: the section's text wrapped with the entry's page path.
    static func lambda(_ key: String) -> MustacheLambda {
        MustacheLambda { (text: String) -> Any? in "\(open)\(key)\(middle)\(text)\(close)" }
    }

    /// `html` with the marked text kept for `current` and dropped for every other page.
    static func resolve(_ html: String, current: String) -> String {
        // Byte-level: U+E000/E001/E002 are EE 80 80/81/82 in UTF-8.
        var html = html
        return html.withUTF8 { b -> String in
            let key = Array(current.utf8)
            var out = [UInt8]()
            out.reserveCapacity(b.count)
            var i = 0
            var copied = 0
            func marker(_ at: Int, _ last: UInt8) -> Bool { at + 2 < b.count && b[at] == 0xEE && b[at + 1] == 0x80 && b[at + 2] == last }
            while i < b.count {
                guard marker(i, 0x80) else { i += 1; continue }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: b[copied..<i]))
                var mid = i + 3
                while mid < b.count, !marker(mid, 0x81) { mid += 1 }
                var end = mid + 3
                while end < b.count, !marker(end, 0x82) { end += 1 }
                guard end < b.count else { copied = i; break }
                if mid - (i + 3) == key.count, key.withUnsafeBufferPointer({ k in zip(k, b[(i + 3)..<mid]).allSatisfy { $0 == $1 } }) {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: b[(mid + 3)..<end]))
                }
                i = end + 3
                copied = i
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: b[copied..<b.count]))
            return String(decoding: out, as: UTF8.self)
        }
    }
}
