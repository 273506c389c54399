import Foundation

/// A built site's search index read back from its files, doc by doc: what a reader's query can
/// find, for checking a site (the tests do) without a browser.
public struct SearchIndexReader {
    public struct Doc: Sendable {
        public var page: String
        public var chapter: String
        public var heading: String
        public var url: String
        /// The start of the section's text, shown under a result.
        public var excerpt: String
        /// Every word of the section (`SearchTokenizer`) with its code: occurrences in the text (at
        /// most 5), plus 6 when in the page's title, plus 12 when in the heading.
        public var words: [String: Int]
    }

    public private(set) var docs: [Doc] = []
    /// Sizes of the index's files by path relative to the site.
    public private(set) var fileSizes: [String: Int] = [:]

    public struct Damaged: Error, CustomStringConvertible {
        public var description: String
    }

    public init(site: URL) throws {
        let main = try Self.text(site, "search-index.js", into: &fileSizes)
        guard let brace = main.firstIndex(of: "{"), let end = main.lastIndex(of: "}") else { throw Damaged(description: "search-index.js") }
        let index = try Self.object(main[brace...end], "search-index.js")
        guard let count = index["docs"] as? Int, let block = index["docBlock"] as? Int, let chapters = index["chapters"] as? [String],
            let shards = index["shards"] as? [[Any]]
        else { throw Damaged(description: "search-index.js has not the keys of version 2") }
        docs = try (0..<((count + block - 1) / block)).flatMap { b in try Self.docs(site, block: b, chapters: chapters, into: &fileSizes) }
        for (i, shard) in shards.enumerated() {
            guard let prefix = shard.first as? String else { throw Damaged(description: "search-index.js shard \(i)") }
            let script = try Self.text(site, "search/t\(i).js", into: &fileSizes)
            let start = "HC_SEARCH_SHARD(\(i),\"", end = "\");\n"
            guard script.hasPrefix(start), script.hasSuffix(end) else { throw Damaged(description: "search/t\(i).js") }
            let parts = script.dropFirst(start.count).dropLast(end.count).split(separator: " ", omittingEmptySubsequences: false)
            for pair in stride(from: 0, to: parts.count - 1, by: 2) {
                let word = prefix + parts[pair]
                for (doc, code) in Postings.decode(String(parts[pair + 1])) where doc < docs.count {
                    docs[doc].words[word] = code
                }
            }
        }
    }

    private static func docs(_ site: URL, block: Int, chapters: [String], into sizes: inout [String: Int]) throws -> [Doc] {
        let path = "search/d\(block).js"
        let script = try text(site, path, into: &sizes)
        guard let brace = script.firstIndex(of: "{"), let end = script.lastIndex(of: "}") else { throw Damaged(description: path) }
        let object = try Self.object(script[brace...end], path)
        guard let pages = object["pages"] as? [[Any]], let rows = object["docs"] as? [[Any]] else { throw Damaged(description: path) }
        return try rows.map { row in
            guard row.count == 4, let p = row[0] as? Int, p < pages.count, let heading = row[1] as? String,
                let fragment = row[2] as? String,
                let excerpt = row[3] as? String, let title = pages[p][0] as? String, let chapter = pages[p][1] as? Int,
                chapter < chapters.count, let pagePath = pages[p][2] as? String
            else { throw Damaged(description: path) }
            return Doc(
                page: title, chapter: chapters[chapter], heading: heading, url: pagePath + (fragment.isEmpty ? "" : "#" + fragment),
                excerpt: excerpt, words: [:])
        }
    }

    private static func text(_ site: URL, _ path: String, into sizes: inout [String: Int]) throws -> String {
        let data = try Data(contentsOf: site.appendingPathComponent(path))
        sizes[path] = data.count
        return String(decoding: data, as: UTF8.self)
    }

    private static func object(_ json: Substring, _ path: String) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            throw Damaged(description: path)
        }
        return object
    }
}
