import Common
import Foundation

/// Writes the offline editions of each language of the course into the staging folder's
/// `downloads/`, each from the bodies the site rendered for that language, so the editions show
/// the same verified results as the pages.
struct EditionWriter {
    /// One language's course as the site renders it.
    struct Language {
        var course: Course
        var theme: Theme
        var bodies: [String: RenderedBody]
    }

    let languages: [Language]
    /// The default language's course title as a file name (`virtualization-hands-on`).
    let courseSlug: String
    /// The site's root staging folder (every language's downloads are under its `downloads/`).
    let staging: URL

    static let folder = "downloads"

    /// The Chromium that prints the PDFs; nil writes none.
    let pdfBrowser: String?
    /// The site this build replaces, whose editions are kept when their inputs have not changed.
    let previousSite: URL?
    /// The folders the build reads besides the content folder (theme, templates): their files are
    /// inputs of the editions too.
    let inputFolders: [URL]

    init(languages: [Language], staging: URL, pdfBrowser: String? = nil, previousSite: URL? = nil, readFolders: [URL] = []) {
        self.languages = languages
        self.staging = staging
        self.pdfBrowser = pdfBrowser
        self.previousSite = previousSite
        inputFolders = (languages.first.map { [$0.course.contentRoot] } ?? []) + readFolders
        courseSlug = Self.courseSlug(title: languages.first?.course.config.title ?? "")
    }

    static func courseSlug(title: String) -> String {
        let slug = Slug.make(title)
        return slug.isEmpty ? "course" : slug
    }

    enum Kind: Int, Sendable, Comparable {
        case epub, pdf, siteZip

        static func < (a: Kind, b: Kind) -> Bool { a.rawValue < b.rawValue }
    }

    /// A file of an edition, as the Download section lists it.
    struct Written: Sendable {
        var language: String
        var kind: Kind
        var path: String
        var bytes: Int
    }

    func path(of kind: Kind, language: String) -> String { Self.path(of: kind, slug: courseSlug, language: language) }

    static func path(of kind: Kind, slug: String, language: String) -> String {
        switch kind {
        case .epub: "\(folder)/\(slug)-\(language).epub"
        case .pdf: "\(folder)/\(slug)-\(language).pdf"
        case .siteZip: "\(folder)/\(slug)-\(language)-site.zip"
        }
    }

    /// Writes every edition course.yml asks for into `downloads/`, all at once (each language's
    /// book and site zip); the site's pages must be in the staging folder already. When the
    /// previous build's editions were made from the same inputs, they are kept (linked, not
    /// rewritten) instead. Returns them in course.yml's language order, each language's book first.
    func write() throws -> [Written] {
        guard let settings = languages.first?.course.config.editions, settings.epub || settings.siteZip || pdfBrowser != nil else {
            return []
        }
        let downloads = staging.appendingPathComponent(Self.folder)
        try FileManager.default.createDirectory(at: downloads, withIntermediateDirectories: true)
        let jobs = self.jobs(settings)
        let inputs = EditionInputs(languages: languages, settings: settings, pdfBrowser: pdfBrowser, folders: inputFolders)
        let key = inputs.fingerprint()
        let written = try keptFromPreviousBuild(jobs, key: key) ?? writeAll(jobs)
        try SiteWriter.writeFile(downloads.appendingPathComponent(EditionInputs.keyFile), key)
        let order = Dictionary(uniqueKeysWithValues: languages.enumerated().map { ($1.course.config.language, $0) })
        return written.sorted { (order[$0.language] ?? 0, $0.kind) < (order[$1.language] ?? 0, $1.kind) }
    }

    private func jobs(_ settings: EditionSettings) -> [(Language, Kind)] {
        var jobs: [(Language, Kind)] = []
        for language in languages {
            if settings.epub { jobs.append((language, .epub)) }
            if settings.siteZip { jobs.append((language, .siteZip)) }
            if pdfBrowser != nil { jobs.append((language, .pdf)) }
        }
        // The longest first: printing a PDF takes Chromium far longer than any zip.
        return jobs.sorted { ($0.1 == .pdf ? 0 : 1) < ($1.1 == .pdf ? 0 : 1) }
    }

    private func writeAll(_ jobs: [(Language, Kind)]) throws -> [Written] {
        let results = parallelMap(jobs.count) { index in
            let (language, kind) = jobs[index]
            switch kind {
            case .epub: return try writeEPUB(language)
            case .siteZip: return try writeSiteZip(language)
            case .pdf: return try writePDF(language)
            }
        }
        let (written, errors) = try collectFailures(results)
        guard errors.isEmpty else { throw BuildFailure(errors) }
        return written
    }

    /// The previous build's files, hard-linked into the staging folder (same inode and date: a warm
    /// build rewrites nothing), when its key says they were made from these inputs; nil otherwise.
    private func keptFromPreviousBuild(_ jobs: [(Language, Kind)], key: String) -> [Written]? {
        guard let previousSite,
            (try? String(contentsOf: previousSite.appendingPathComponent("\(Self.folder)/\(EditionInputs.keyFile)"), encoding: .utf8))
                == key
        else { return nil }
        var kept: [Written] = []
        for (language, kind) in jobs {
            let code = language.course.config.language
            let path = self.path(of: kind, language: code)
            let target = staging.appendingPathComponent(path)
            let source = previousSite.appendingPathComponent(path)
            // A copy where the file system cannot link (the staging folder is beside the site, so it rarely happens).
            guard
                (try? FileManager.default.linkItem(at: source, to: target)) != nil
                    || (try? FileManager.default.copyItem(at: source, to: target)) != nil
            else {
                // Written afresh: never into a file the previous site still shares.
                for file in kept { try? FileManager.default.removeItem(at: staging.appendingPathComponent(file.path)) }
                return nil
            }
            kept.append(Written(language: code, kind: kind, path: path, bytes: Self.size(of: target)))
        }
        return kept
    }

    static func size(of file: URL) -> Int { (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0 }

    private func writeEPUB(_ language: Language) throws -> Written {
        var resources: [String: String] = [:]
        for body in language.bodies.values {
            for file in body.files { resources[file.outputPath] = file.contentPath }
        }
        let code = language.course.config.language
        let book = EPUBBook(
            course: language.course, theme: language.theme, bodies: language.bodies, language: code, resources: resources,
            metadata: try Self.metadata(of: language.course))
        let entries = try book.files().map { ZipFile.Entry(path: $0.path, data: $0.data, stored: $0.path == "mimetype") }
        return try writeZip(entries, language: code, kind: .epub, modified: book.metadata.modified)
    }

    private func writeSiteZip(_ language: Language) throws -> Written {
        let code = language.course.config.language
        let folder = language.course.edition?.code
        let zip = SiteZip(
            staging: staging, translationFolders: Set(languages.compactMap { $0.course.edition?.code }),
            baseURL: language.course.config.url.map(WebPublishing.encodedBase))
        let entries = try zip.entries(language: folder, top: "\(courseSlug)-\(code)")
        return try writeZip(entries, language: code, kind: .siteZip, modified: try Self.metadata(of: language.course).modified)
    }

    /// The language's book page printed by Chromium twice: once to learn where each chapter and
    /// lesson starts, then with those pages in the contents (in slots of one width, so nothing
    /// moves; checked). The page is removed once printed.
    private func writePDF(_ language: Language) throws -> Written {
        let code = language.course.config.language
        let folder = language.course.edition.map { staging.appendingPathComponent($0.code) } ?? staging
        let page = folder.appendingPathComponent(PageRenderer.bookPath)
        defer { try? FileManager.default.removeItem(at: page) }
        let renderer = PageRenderer(course: language.course, theme: language.theme, bodies: language.bodies)
        let path = self.path(of: .pdf, language: code)
        let url = staging.appendingPathComponent(path)
        let printer = PDFPrinter(browser: pdfBrowser ?? "chromium")
        try SiteWriter.writeFile(page, renderer.printBook())
        try printer.print(page, to: url)
        let pages = try PDFDestinations.pages(of: url)
        try SiteWriter.writeFile(page, renderer.printBook(pages: pages))
        try printer.print(page, to: url)
        let numbered = try PDFDestinations.pages(of: url)
        guard numbered == pages else {
            let moved = pages.keys.filter { numbered[$0] != pages[$0] }.sorted()
            throw SiteError(file: url, "the PDF's pages moved when its contents were numbered (\(moved.prefix(3).joined(separator: ", ")))")
        }
        return Written(language: code, kind: .pdf, path: path, bytes: Self.size(of: url))
    }

    private func writeZip(_ entries: [ZipFile.Entry], language: String, kind: Kind, modified: Date) throws -> Written {
        let path = self.path(of: kind, language: language)
        let url = staging.appendingPathComponent(path)
        try ZipFile.write(entries, to: url, modified: modified)
        return Written(language: language, kind: kind, path: path, bytes: Self.size(of: url))
    }

    static func metadata(of course: Course) throws -> EditionMetadata {
        let config = course.config
        return EditionMetadata(
            title: config.title, language: config.language, authors: config.authors, license: config.license,
            description: config.description,
            baseURL: config.url,
            // course.yml's identifier names the default language's book; a translation is another book.
            identifier: (course.edition == nil ? config.editions.identifier : nil)
                ?? EditionMetadata.nameBasedIdentifier(title: config.title, language: config.language),
            modified: Self.sourceDate(of: course.contentRoot))
    }

    /// SOURCE_DATE_EPOCH when set (the reproducible-builds convention), else the newest
    /// modification time of a file in the content folder, to the second.
    static func sourceDate(of root: URL) -> Date {
        if let epoch = ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"].flatMap(TimeInterval.init) {
            return Date(timeIntervalSince1970: epoch)
        }
        var newest: TimeInterval = 0
        let keys: [URLResourceKey] = [.contentModificationDateKey, .isRegularFileKey]
        let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: keys, options: [.skipsHiddenFiles])
        while let url = walker?.nextObject() as? URL {
            guard let values = try? url.resourceValues(forKeys: Set(keys)), values.isRegularFile == true,
                let date = values.contentModificationDate
            else { continue }
            newest = max(newest, date.timeIntervalSince1970.rounded(.down))
        }
        // A zip date cannot be before 1980.
        return Date(timeIntervalSince1970: max(newest, 315_532_800 + 86_400))
    }
}
