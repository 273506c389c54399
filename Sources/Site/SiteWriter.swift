import Foundation

/// Writes every page, the search index, theme assets and the files lessons link to into the
/// staging folder. Pages render in parallel.
struct SiteWriter {
    let course: Course
    let theme: Theme
    let bodies: [String: RenderedBody]
    let staging: URL
    let contentRoot: URL

    private enum PageKind: Sendable {
        case home, chapter(Int), lesson(Int, Int), print, notFound
    }

    /// Returns the number of HTML pages written.
    func write() throws -> Int {
        let fm = FileManager.default
        for chapter in course.chapters {
            try fm.createDirectory(at: staging.appendingPathComponent(chapter.slug), withIntermediateDirectories: true)
        }
        var kinds: [PageKind] = [.home, .print, .notFound]
        for (ci, chapter) in course.chapters.enumerated() {
            kinds.append(.chapter(ci))
            for li in chapter.lessons.indices { kinds.append(.lesson(ci, li)) }
        }
        let renderer = PageRenderer(course: course, theme: theme, bodies: bodies)
        let pageKinds = kinds
        let staging = self.staging
        let course = self.course
        let pages = renderer
        let results = parallelMap(pageKinds.count) { index in
            let (path, html): (String, String)
            switch pageKinds[index] {
            case .home: (path, html) = ("index.html", pages.home())
            case .print: (path, html) = ("print.html", pages.printAll())
            case .notFound: (path, html) = ("404.html", pages.notFound())
            case .chapter(let ci): (path, html) = (course.chapters[ci].path, pages.chapter(ci))
            case .lesson(let ci, let li): (path, html) = (course.chapters[ci].lessons[li].path, pages.lesson(ci, li))
            }
            try Self.writeFile(staging.appendingPathComponent(path), Data(html.utf8))
            return path
        }
        let (written, errors) = try collectFailures(results)
        guard errors.isEmpty else { throw BuildFailure(errors) }
        var taken = Set(written)

        try Self.writeFile(staging.appendingPathComponent("search-index.js"), Data(searchIndex().javascript().utf8))
        taken.insert("search-index.js")

        for (relative, source) in theme.assets.sorted(by: { $0.key < $1.key }) {
            let target = staging.appendingPathComponent("assets").appendingPathComponent(relative)
            try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try fm.copyItem(at: source, to: target)
            taken.insert("assets/" + relative)
        }

        // Files lessons link to or show (images, sources), each once.
        var copied: [String: String] = [:]
        for body in bodies.values {
            for file in body.files { copied[file.outputPath] = file.contentPath }
        }
        for (outputPath, contentPath) in copied.sorted(by: { $0.key < $1.key }) {
            guard !taken.contains(outputPath) else {
                throw SiteError(file: contentRoot.appendingPathComponent(contentPath), "would overwrite the generated file \(outputPath); rename it")
            }
            let target = staging.appendingPathComponent(outputPath)
            try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            do {
                try fm.copyItem(at: contentRoot.appendingPathComponent(contentPath), to: target)
            } catch {
                throw SiteError(file: contentRoot.appendingPathComponent(contentPath), "unreadable file: \(error.localizedDescription)")
            }
        }
        return written.count
    }

    private func searchIndex() -> SearchIndex {
        var index = SearchIndex()
        for chapter in course.chapters {
            var pagesOfChapter: [(title: String, path: String)] = []
            if bodies[chapter.path] != nil { pagesOfChapter.append((chapter.title, chapter.path)) }
            pagesOfChapter += chapter.lessons.map { ($0.title, $0.path) }
            for (title, path) in pagesOfChapter {
                guard let body = bodies[path] else { continue }
                for section in body.sections {
                    index.entries.append(.init(
                        page: title, chapter: chapter.title, heading: section.heading,
                        url: section.headingID.map { "\(path)#\($0)" } ?? path, text: section.text))
                }
            }
        }
        return index
    }

    static func writeFile(_ url: URL, _ data: Data) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: data) else {
            throw SiteError(file: url, "cannot write: \(String(cString: strerror(errno)))")
        }
    }
}
