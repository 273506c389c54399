import Foundation

/// Writes the offline editions of each language of the course into the staging folder's
/// `downloads/`: the EPUB book now, each from the bodies the site rendered, so the editions show
/// the same verified results as the pages.
struct EditionWriter {
    let course: Course
    let theme: Theme
    let bodies: [String: RenderedBody]
    let staging: URL

    static let folder = "downloads"

    /// `virtualization-hands-on`: the course's title as a file name.
    var courseSlug: String {
        let slug = Slug.make(course.config.title)
        return slug.isEmpty ? "course" : slug
    }

    /// The languages the course is built in; each gets its own editions.
    var languages: [String] { [course.config.language] }

    static func epubPath(slug: String, language: String) -> String { "\(folder)/\(slug)-\(language).epub" }

    /// Writes every edition course.yml asks for; returns the paths written.
    func write() throws -> [String] {
        guard course.config.editions.epub else { return [] }
        try FileManager.default.createDirectory(at: staging.appendingPathComponent(Self.folder), withIntermediateDirectories: true)
        let metadata = try self.metadata()
        var written: [String] = []
        for language in languages {
            let path = Self.epubPath(slug: courseSlug, language: language)
            try writeEPUB(language: language, metadata: metadata, to: path)
            written.append(path)
        }
        return written
    }

    private func writeEPUB(language: String, metadata: EditionMetadata, to path: String) throws {
        var resources: [String: String] = [:]
        for body in bodies.values {
            for file in body.files { resources[file.outputPath] = file.contentPath }
        }
        var languageMetadata = metadata
        languageMetadata.language = language
        let book = EPUBBook(
            course: course, theme: theme, bodies: bodies, language: language, resources: resources, metadata: languageMetadata)
        let entries = try book.files().map { ZipFile.Entry(path: $0.path, data: $0.data, stored: $0.path == "mimetype") }
        try ZipFile.write(entries, to: staging.appendingPathComponent(path), modified: metadata.modified)
    }

    func metadata() throws -> EditionMetadata {
        let config = course.config
        return EditionMetadata(
            title: config.title, language: config.language, authors: config.authors, license: config.license,
            description: config.description,
            baseURL: config.url,
            identifier: config.editions.identifier ?? EditionMetadata.nameBasedIdentifier(title: config.title, language: config.language),
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
