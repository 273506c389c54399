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

    /// A file of an edition, as the Download section lists it.
    struct Written: Sendable {
        var language: String
        var path: String
        var bytes: Int
    }

    static func epubPath(slug: String, language: String) -> String { "\(folder)/\(slug)-\(language).epub" }

    /// Writes every edition course.yml asks for, the languages in parallel.
    func write() throws -> [Written] {
        guard let first = languages.first, first.course.config.editions.epub else { return [] }
        try FileManager.default.createDirectory(at: staging.appendingPathComponent(Self.folder), withIntermediateDirectories: true)
        let languages = self.languages
        let results = parallelMap(languages.count) { index in try writeEPUB(languages[index]) }
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
        let path = Self.epubPath(slug: courseSlug, language: code)
        let url = staging.appendingPathComponent(path)
        try ZipFile.write(entries, to: url, modified: book.metadata.modified)
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        return Written(language: code, path: path, bytes: size)
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
