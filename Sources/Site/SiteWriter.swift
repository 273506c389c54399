import Foundation

/// Writes every page, the search index, theme assets and the files lessons link to into the
/// staging folder. Pages render in parallel.
struct SiteWriter {
    let course: Course
    let theme: Theme
    let bodies: [String: RenderedBody]
    let staging: URL
    let contentRoot: URL
    /// Set when the course has a base URL: pages get their canonical links and alternates, and the
    /// default language's site gets `sitemap.xml` and `robots.txt`.
    var publishing: WebPublishing? = nil
    /// The PDF edition, relative to print.html, when the build prints one.
    var pdfURL: String? = nil

    private enum PageKind: Sendable {
        case home, chapter(Int), chapterPrint(Int), lesson(Int, Int), print, notFound, searchIndex, sidebar, glossary, uiStrings
    }

    /// Returns the number of HTML pages written.
    func write() throws -> Int {
        for chapter in course.chapters {
            try FileManager.default.createDirectory(at: staging.appendingPathComponent(chapter.slug), withIntermediateDirectories: true)
        }
        let written = try writePages()
        var taken = Set(written)
        try writeAssets(taken: &taken)
        if course.edition == nil, let publishing {
            for (path, text) in [("sitemap.xml", publishing.sitemap()), ("robots.txt", publishing.robots())] {
                try Self.writeFile(staging.appendingPathComponent(path), text)
                taken.insert(path)
            }
        }
        try writeDownloads(taken: &taken)
        try copyLinkedFiles(avoiding: taken)
        return written.filter { $0.hasSuffix(".html") }.count
    }

    /// Every page, the search index, the shared sidebar and UI strings, in parallel; returns their paths.
    private func writePages() throws -> [String] {
        // The big single files first, so they overlap with the many small pages.
        var kinds: [PageKind] = [.print, .searchIndex, .sidebar, .uiStrings, .home, .notFound]
        if !course.glossary.isEmpty { kinds.append(.glossary) }
        for (ci, chapter) in course.chapters.enumerated() {
            kinds.append(.chapter(ci))
            kinds.append(.chapterPrint(ci))
            for li in chapter.lessons.indices { kinds.append(.lesson(ci, li)) }
        }
        let pageKinds = kinds
        let staging = self.staging
        let course = self.course
        let writer = self
        var renderer = PageRenderer(course: course, theme: theme, bodies: bodies, publishing: publishing)
        renderer.pdfURL = pdfURL
        let pages = renderer
        let results = parallelMap(pageKinds.count) { index -> [String] in
            let (path, html): (String, String)
            switch pageKinds[index] {
            case .home: (path, html) = ("index.html", pages.home())
            case .print: return try Self.writePrintPage(staging.appendingPathComponent("print.html"), pages.printAll(), as: "print.html")
            case .notFound: (path, html) = ("404.html", pages.notFound())
            case .chapter(let ci): (path, html) = (course.chapters[ci].path, pages.chapter(ci))
            case .chapterPrint(let ci):
                let path = PageRenderer.chapterPrintPath(course.chapters[ci])
                return try Self.writePrintPage(staging.appendingPathComponent(path), pages.printChapter(ci), as: path)
            case .lesson(let ci, let li): (path, html) = (course.chapters[ci].lessons[li].path, pages.lesson(ci, li))
            case .sidebar: (path, html) = ("sidebar.js", pages.sharedSidebar())
            case .glossary: (path, html) = (PageRenderer.glossaryPath, pages.glossary())
            case .uiStrings: (path, html) = ("ui-strings.js", pages.sharedUIStrings())
            case .searchIndex: return try writer.writeSearchIndex()
            }
            try Self.writeFile(staging.appendingPathComponent(path), html)
            return [path]
        }
        let (written, errors) = try collectFailures(results)
        guard errors.isEmpty else { throw BuildFailure(errors) }
        return written.flatMap { $0 }
    }

    /// The theme's assets, as files and as built (the joined stylesheet), under `assets/`.
    private func writeAssets(taken: inout Set<String>) throws {
        let fm = FileManager.default
        for (relative, source) in theme.assets.sorted(by: { $0.key < $1.key }) {
            let target = staging.appendingPathComponent("assets").appendingPathComponent(relative)
            try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            // Contents, not the directory entry: `copyItem` keeps a symlink as a symlink, and the
            // site would then point into the machine that built it.
            let data = try source.data()
            do {
                try data.write(to: target)
            } catch {
                throw SiteError(file: target, "cannot write: \(error.localizedDescription)")
            }
            taken.insert("assets/" + relative)
        }
        for (relative, data) in theme.builtAssets.sorted(by: { $0.key < $1.key }) {
            let target = staging.appendingPathComponent("assets").appendingPathComponent(relative)
            try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            do {
                try data.write(to: target)
            } catch {
                throw SiteError(file: target, "cannot write: \(error.localizedDescription)")
            }
            taken.insert("assets/" + relative)
        }
    }

    /// Exercises' whole sources, beside their pages; ids are unique in a course, so are their names.
    private func writeDownloads(taken: inout Set<String>) throws {
        for download in bodies.values.flatMap(\.downloads).sorted(by: { $0.outputPath < $1.outputPath }) {
            try Self.writeFile(staging.appendingPathComponent(download.outputPath), download.text)
            taken.insert(download.outputPath)
        }
    }

    /// Files lessons link to or show (images, sources), each once; one that would overwrite a
    /// generated file is an error.
    private func copyLinkedFiles(avoiding taken: Set<String>) throws {
        var copied: [String: String] = [:]
        for body in bodies.values {
            for file in body.files { copied[file.outputPath] = file.contentPath }
        }
        for (outputPath, contentPath) in copied.sorted(by: { $0.key < $1.key }) {
            guard !taken.contains(outputPath) else {
                throw SiteError(
                    file: contentRoot.appendingPathComponent(contentPath), "would overwrite the generated file \(outputPath); rename it")
            }
            let target = staging.appendingPathComponent(outputPath)
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            do {
                // Contents, not the directory entry: a symlink inside the content folder becomes a file.
                try Data(contentsOf: contentRoot.appendingPathComponent(contentPath)).write(to: target)
            } catch {
                throw SiteError(file: contentRoot.appendingPathComponent(contentPath), "unreadable file: \(error.localizedDescription)")
            }
        }
    }

    /// The search index's files; returns their paths.
    private func writeSearchIndex() throws -> [String] {
        let files = searchIndex().files()
        try FileManager.default.createDirectory(at: staging.appendingPathComponent("search"), withIntermediateDirectories: true)
        for (path, text) in files { try Self.writeFile(staging.appendingPathComponent(path), text) }
        return files.map(\.path)
    }

    private func searchIndex() -> SearchIndex {
        var index = SearchIndex()
        // The home page's introduction, under the course's title.
        for section in bodies["index.html"]?.sections ?? [] {
            index.entries.append(
                .init(
                    page: course.homeTitle ?? course.config.title, chapter: course.config.title, heading: section.heading,
                    url: section.headingID.map { "index.html#\($0)" } ?? "index.html", text: section.text))
        }
        for chapter in course.chapters {
            var pagesOfChapter: [(title: String, path: String)] = []
            if bodies[chapter.path] != nil { pagesOfChapter.append((chapter.title, chapter.path)) }
            pagesOfChapter += chapter.lessons.map { ($0.title, $0.path) }
            for (title, path) in pagesOfChapter {
                guard let body = bodies[path] else { continue }
                for section in body.sections {
                    index.entries.append(
                        .init(
                            page: title, chapter: chapter.title, heading: section.heading,
                            url: section.headingID.map { "\(path)#\($0)" } ?? path, text: section.text))
                }
            }
        }
        return index
    }

    /// Writes a new file in the staging folder straight from the string's bytes (no temporary
    /// file: the staging folder as a whole is what gets swapped in atomically).
    static func writeFile(_ url: URL, _ text: String) throws {
        let file = try OutputFile(url)
        defer { file.close() }
        var text = text
        try text.withUTF8 { try file.write($0) }
    }

    /// Writes a print page's skeleton with each body in place of its token, one body at a time;
    /// returns `[path]`.
    static func writePrintPage(_ url: URL, _ page: PrintPage, as path: String) throws -> [String] {
        let file = try OutputFile(url)
        defer { file.close() }
        let open = PrintPage.tokenOpen + Array(page.nonce.utf8) + [UInt8(ascii: "-")]
        var skeleton = page.skeleton
        try skeleton.withUTF8 { b in
            var copied = 0, i = 0
            func at(_ position: Int, _ pattern: [UInt8]) -> Bool {
                position + pattern.count <= b.count && b[position..<position + pattern.count].elementsEqual(pattern)
            }
            while i < b.count {
                guard b[i] == open[0], at(i, open) else { i += 1; continue }
                var end = i + open.count, number = 0
                while end < b.count, (0x30...0x39).contains(b[end]), number < page.pieces.count {
                    number = number * 10 + Int(b[end] - 0x30)
                    end += 1
                }
                guard end > i + open.count, number < page.pieces.count, at(end, PrintPage.tokenClose) else { i += 1; continue }
                try file.write(UnsafeBufferPointer(rebasing: b[copied..<i]))
                var body = page.pieces[number]()
                try body.withUTF8 { try file.write($0) }
                i = end + PrintPage.tokenClose.count
                copied = i
            }
            try file.write(UnsafeBufferPointer(rebasing: b[copied...]))
        }
        return [path]
    }
}

/// A file of the site being written: `open`/`write` straight from the bytes (the staging folder is
/// swapped in as a whole, so there is no temporary file per page).
private struct OutputFile {
    let url: URL
    let fd: Int32

    init(_ url: URL) throws {
        self.url = url
        fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SiteError(file: url, "cannot write: \(String(cString: strerror(errno)))") }
    }

    func write(_ buffer: UnsafeBufferPointer<UInt8>) throws {
        var offset = 0
        while offset < buffer.count {
            let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw SiteError(file: url, "cannot write: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }

    func close() { _ = Glibc.close(fd) }
}
