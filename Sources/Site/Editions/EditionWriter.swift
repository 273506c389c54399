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

    init(languages: [Language], staging: URL) {
        self.languages = languages
        self.staging = staging
        let slug = Slug.make(languages.first?.course.config.title ?? "")
        courseSlug = slug.isEmpty ? "course" : slug
    }

    enum Kind: Int, Sendable, Comparable {
        case epub, siteZip

        static func < (a: Kind, b: Kind) -> Bool { a.rawValue < b.rawValue }
    }

    /// A file of an edition, as the Download section lists it.
    struct Written: Sendable {
        var language: String
        var kind: Kind
        var path: String
        var bytes: Int
    }

    func path(of kind: Kind, language: String) -> String {
        switch kind {
        case .epub: "\(Self.folder)/\(courseSlug)-\(language).epub"
        case .siteZip: "\(Self.folder)/\(courseSlug)-\(language)-site.zip"
        }
    }

    /// Writes every edition course.yml asks for into `downloads/`, all at once (each language's
    /// book and site zip); the site's pages must be in the staging folder already. Returns them in
    /// course.yml's language order, each language's book first.
    func write() throws -> [Written] {
        guard let settings = languages.first?.course.config.editions, settings.epub || settings.siteZip else { return [] }
        try FileManager.default.createDirectory(at: staging.appendingPathComponent(Self.folder), withIntermediateDirectories: true)
        var jobs: [(Language, Kind)] = []
        for language in languages {
            if settings.epub { jobs.append((language, .epub)) }
            if settings.siteZip { jobs.append((language, .siteZip)) }
        }
        let all = jobs
        let results = parallelMap(all.count) { index in
            let (language, kind) = all[index]
            return kind == .epub ? try writeEPUB(language) : try writeSiteZip(language)
        }
        let (written, errors) = try collectFailures(results)
        guard errors.isEmpty else { throw BuildFailure(errors) }
        return written
    }

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
        let zip = SiteZip(staging: staging, translationFolders: Set(languages.compactMap { $0.course.edition?.code }))
        let entries = try zip.entries(language: folder, top: "\(courseSlug)-\(code)")
        return try writeZip(entries, language: code, kind: .siteZip, modified: try Self.metadata(of: language.course).modified)
    }

    private func writeZip(_ entries: [ZipFile.Entry], language: String, kind: Kind, modified: Date) throws -> Written {
        let path = self.path(of: kind, language: language)
        let url = staging.appendingPathComponent(path)
        try ZipFile.write(entries, to: url, modified: modified)
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        return Written(language: language, kind: kind, path: path, bytes: size)
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
