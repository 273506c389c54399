import Foundation

extension SiteBuilder {
    /// After the pages: the offline editions into `downloads/`, then each language's home page
    /// again, now with a Download section listing them with their sizes. The home page inside a
    /// site zip keeps none, as the downloads are not in the zip.
    func writeDownloads(_ languages: [EditionWriter.Language], staging: URL, publishing: WebPublishing?) throws {
        let written = try EditionWriter(
            languages: languages, staging: staging, pdfBrowser: options.pdfBrowser, previousSite: options.outputDirectory,
            readFolders: [options.themeDirectory, options.templatesDirectory].compactMap { $0 }
        ).write()
        guard !written.isEmpty else { return }
        let names = Dictionary(languages.map { ($0.course.config.language, $0.course.edition?.name) }) { first, _ in first }
        let defaultName = languages.first?.course.config.defaultLanguage?.name
        for language in languages {
            let theme = language.theme
            let prefix = language.course.edition == nil ? "" : "../"
            var renderer = PageRenderer(course: language.course, theme: theme, bodies: language.bodies, publishing: publishing)
            renderer.downloads = written.map { file in
                let kind = theme.string(["download_epub", "download_pdf", "download_site"][file.kind.rawValue])
                let name = (names[file.language] ?? nil) ?? defaultName
                return PageRenderer.DownloadLink(
                    label: languages.count > 1 ? "\(kind) · \(name ?? file.language)" : kind, url: prefix + file.path,
                    size: Self.sizeText(file.bytes), file: String(file.path.split(separator: "/").last ?? ""))
            }
            let folder = language.course.edition.map { staging.appendingPathComponent($0.code) } ?? staging
            try SiteWriter.writeFile(folder.appendingPathComponent("index.html"), renderer.home())
        }
    }

    /// `398 KB`, `5.6 MB`: decimal units, as download pages show them.
    static func sizeText(_ bytes: Int) -> String {
        if bytes < 1_000_000 { return "\(max(1, (bytes + 500) / 1000)) KB" }
        let tenths = (bytes + 50_000) / 100_000
        return "\(tenths / 10).\(tenths % 10) MB"
    }
}
