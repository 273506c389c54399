import Foundation

/// What every edition of a course says about itself, from course.yml and the sources.
struct EditionMetadata: Sendable {
    var title: String
    var language: String
    var authors: [String]
    var license: String?
    var description: String?
    var baseURL: String?
    /// Stable across builds: course.yml's `editions: identifier`, or a name-based UUID of the
    /// course's title and language.
    var identifier: String
    /// The newest modification time of the course's sources (or SOURCE_DATE_EPOCH), never the
    /// clock, so two builds of one tree give the same files.
    var modified: Date

    /// `2026-12-07T19:41:00Z`, as `dcterms:modified` wants it.
    var modifiedStamp: String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: modified)
    }

    /// A UUID (version 8, name-based) from the course's title and language: the same course gets
    /// the same identifier in every build.
    static func nameBasedIdentifier(title: String, language: String) -> String {
        var bytes = Array(Self.fnv128(Array("hypercourse\u{0}\(title)\u{0}\(language)".utf8)))
        bytes[6] = (bytes[6] & 0x0F) | 0x80
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        let groups = [
            hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4), hex.dropFirst(16).prefix(4), hex.dropFirst(20)
        ]
        return "urn:uuid:" + groups.joined(separator: "-")
    }

    /// Two 64-bit FNV-1a hashes with different offsets: an identifier needs spread, not secrecy.
    private static func fnv128(_ data: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        for offset: UInt64 in [0xcbf2_9ce4_8422_2325, 0x6c62_272e_07bb_0142] {
            var hash = offset
            for byte in data {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01B3
            }
            result += withUnsafeBytes(of: hash.bigEndian, Array.init)
        }
        return result
    }
}

/// The package document (`EPUB/package.opf`): metadata, manifest and spine.
struct EPUBPackage {
    struct Item {
        var path: String
        var mediaType: String
        var isNavigation = false
        var hasSVG = false
        var inSpine = false
    }

    let metadata: EditionMetadata
    let items: [Item]

    /// The image types EPUB 3 reading systems must show.
    static func imageMediaType(_ path: String) -> String? {
        switch (path as NSString).pathExtension.lowercased() {
        case "png": "image/png"
        case "jpg", "jpeg": "image/jpeg"
        case "gif": "image/gif"
        case "svg": "image/svg+xml"
        default: nil
        }
    }

    func xml() -> String {
        let e = XHTMLConverter.escapedText
        var xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="book-id" xml:lang="\(e(metadata.language))">
            <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
            <dc:identifier id="book-id">\(e(metadata.identifier))</dc:identifier>
            <dc:title>\(e(metadata.title))</dc:title>
            <dc:language>\(e(metadata.language))</dc:language>

            """
        for author in metadata.authors { xml += "<dc:creator>\(e(author))</dc:creator>\n" }
        if let license = metadata.license { xml += "<dc:rights>\(e(license))</dc:rights>\n" }
        if let description = metadata.description { xml += "<dc:description>\(e(description))</dc:description>\n" }
        if let url = metadata.baseURL { xml += "<dc:source>\(e(url))</dc:source>\n" }
        xml += "<meta property=\"dcterms:modified\">\(metadata.modifiedStamp)</meta>\n</metadata>\n<manifest>\n"
        for (index, item) in items.enumerated() {
            var properties: [String] = []
            if item.isNavigation { properties.append("nav") }
            if item.hasSVG { properties.append("svg") }
            let props = properties.isEmpty ? "" : " properties=\"\(properties.joined(separator: " "))\""
            xml += "<item id=\"item\(index)\" href=\"\(e(URLPaths.encodePath(item.path)))\" media-type=\"\(item.mediaType)\"\(props)/>\n"
        }
        xml += "</manifest>\n<spine>\n"
        for (index, item) in items.enumerated() where item.inSpine { xml += "<itemref idref=\"item\(index)\"/>\n" }
        return xml + "</spine>\n</package>\n"
    }
}
