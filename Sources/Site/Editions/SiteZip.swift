import Foundation

/// The built site of one language in one zip file (`downloads/SLUG-LANG-site.zip`), to unzip
/// anywhere and open from `file://`: the default language's pages with the shared assets, or a
/// translation's folder with them (and an `index.html` that opens it). Entries sorted by path,
/// under one top folder, so two builds of one tree give the same bytes.
struct SiteZip {
    /// The staging folder the site was written into.
    let staging: URL
    /// The translation languages' folder names, which the default language's zip leaves out.
    let translationFolders: Set<String>

    /// The published site's address (ending with `/`), where links to another language's pages go.
    var baseURL: String? = nil

    /// Files of the site that mean nothing offline: they tell search engines about the published site.
    static let webOnly: Set<String> = ["sitemap.xml", "robots.txt"]

    /// Whether the zip of the language in `folder` (nil: the default language) holds a site-root path.
    func holds(_ relative: String, language folder: String?) -> Bool {
        let first = String(relative.prefix { $0 != "/" })
        guard relative.contains("/") || folder == nil else { return false }
        // The PDF's book page exists only while Chromium prints it, maybe beside this job.
        guard first != EditionWriter.folder, !relative.hasPrefix("."), !relative.hasSuffix(PageRenderer.bookPath),
            !Self.webOnly.contains(relative)
        else { return false }
        if let folder { return first == folder || first == "assets" }
        return !translationFolders.contains(first)
    }

    /// The files of a language's site, as zip entries under `top/`.
    func entries(language folder: String?, top: String) throws -> [ZipFile.Entry] {
        var entries: [ZipFile.Entry] = []
        let links = translationFolders.isEmpty ? nil : ZipLinks(holds: { holds($0, language: folder) }, baseURL: baseURL)
        for relative in try Self.files(under: staging) where holds(relative, language: folder) {
            var data = try Data(contentsOf: staging.appendingPathComponent(relative))
            if let links, relative.hasSuffix(".html") {
                data = Data(links.rewrite(String(decoding: data, as: UTF8.self), page: relative).utf8)
            }
            entries.append(ZipFile.Entry(path: "\(top)/\(relative)", data: data, stored: Self.isCompressed(relative)))
        }
        if let folder {
            let redirect = """
                <!DOCTYPE html>
                <html><head><meta charset="utf-8"><meta http-equiv="refresh" content="0; url=\(folder)/index.html">\
                <title>\(folder)</title></head>
                <body><a href="\(folder)/index.html">\(folder)/index.html</a></body></html>

                """
            entries.append(ZipFile.Entry(path: "\(top)/index.html", data: Data(redirect.utf8)))
        }
        return entries.sorted { $0.path < $1.path }
    }

    /// Formats that are compressed already: deflating them again only costs time.
    private static func isCompressed(_ path: String) -> Bool {
        ["png", "jpg", "jpeg", "gif", "webp", "woff", "woff2", "zip", "epub", "pdf"].contains((path as NSString).pathExtension.lowercased())
    }

    /// Every regular file under `root`, as sorted relative paths.
    static func files(under root: URL) throws -> [String] {
        var result: [String] = []
        let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
        let prefix = root.standardizedFileURL.path.count + 1
        while let url = walker?.nextObject() as? URL {
            guard try url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true else { continue }
            result.append(String(url.standardizedFileURL.path.dropFirst(prefix)))
        }
        return result.sorted()
    }
}
