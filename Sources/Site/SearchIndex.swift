import Foundation

/// The search index: one entry (a "doc") per section of every page, written as scripts that
/// register themselves, so search works from `file://` (where fetch() of a JSON file is blocked),
/// and split so that a query loads a small part of it:
///
/// - `search-index.js`: what every query needs first: the chapters and the list of shards.
/// - `search/tN.js`: the words (`SearchTokenizer`) whose first characters are the shard's prefix,
///   each with the docs it occurs in, as one string: each word without the prefix, a space, its
///   postings (`Postings`), a space. Words hold only letters, marks and digits, postings only
///   letters, digits, `$` and `_`, so neither needs escaping. A shard grows one character deeper
///   when it gets too big.
/// - `search/dN.js`: `docBlock` docs each: page, heading, link and the start of the text, loaded
///   only for the results shown.
struct SearchIndex {
    struct Entry {
        var page: String // page title
        var chapter: String
        var heading: String
        var url: String // site-root path with #fragment
        var text: String
    }

    var entries: [Entry] = []

    /// Docs per `search/dN.js`.
    static let docBlock = 32
    /// A word shard is split by the next character above this many bytes.
    static let shardLimit = 16_384
    /// Characters of a section's text kept for its result's snippet.
    static let excerptLength = 80
    /// Occurrences of a word in one section that count for its score (the reader's script caps the
    /// score of a query word at the same number).
    static let maxCount = 5

    /// Output path → contents, for every file of the index.
    func files() -> [(path: String, text: String)] {
        let chapters = chapterTitles()
        let shards = Self.shards(postings())
        var files: [(String, String)] = []
        var shardList: [String] = []
        for (i, shard) in shards.enumerated() {
            shardList.append("[\(Self.json(shard.prefix)),\(shard.exact ? 1 : 0)]")
            files.append(("search/t\(i).js", "HC_SEARCH_SHARD(\(i),\"" + shard.body + "\");\n"))
        }
        for (block, start) in stride(from: 0, to: entries.count, by: Self.docBlock).enumerated() {
            let docs = entries[start..<min(start + Self.docBlock, entries.count)]
            files.append(("search/d\(block).js", docsScript(block, docs, chapters: chapters)))
        }
        let main =
            "window.HC_SEARCH_INDEX = {\"version\":2,\"docBlock\":\(Self.docBlock),\"maxCount\":\(Self.maxCount),"
            + "\"docs\":\(entries.count),\"chapters\":[\(chapters.titles.map(Self.json).joined(separator: ","))],\n"
            + "\"shards\":[\(shardList.joined(separator: ",\n"))]};\n"
        return [("search-index.js", main)] + files
    }

    private func chapterTitles() -> (titles: [String], index: [String: Int]) {
        var titles: [String] = []
        var index: [String: Int] = [:]
        for entry in entries where index[entry.chapter] == nil {
            index[entry.chapter] = titles.count
            titles.append(entry.chapter)
        }
        return (titles, index)
    }

    /// `HC_SEARCH_DOCS(block, {"pages":[[title, chapter, path], ...], "docs":[[page, heading, fragment, excerpt], ...]})`:
    /// a page's title and path once per block, however many of its sections are in it.
    private func docsScript(_ block: Int, _ docs: ArraySlice<Entry>, chapters: (titles: [String], index: [String: Int])) -> String {
        var pages: [String] = []
        var pageIndex: [String: Int] = [:]
        var rows: [String] = []
        for doc in docs {
            let hash = doc.url.firstIndex(of: "#")
            let path = hash.map { String(doc.url[..<$0]) } ?? doc.url
            let fragment = hash.map { String(doc.url[doc.url.index(after: $0)...]) } ?? ""
            let key = path + "\u{0}" + doc.page
            if pageIndex[key] == nil {
                pageIndex[key] = pages.count
                pages.append("[\(Self.json(doc.page)),\(chapters.index[doc.chapter] ?? 0),\(Self.json(path))]")
            }
            rows.append(
                "[\(pageIndex[key]!),\(Self.json(doc.heading)),\(Self.json(fragment)),\(Self.json(Self.excerpt(doc.text)))]")
        }
        return "HC_SEARCH_DOCS(\(block),{\"pages\":[\(pages.joined(separator: ","))],\n\"docs\":[\(rows.joined(separator: ",\n"))]});\n"
    }

    /// The start of a section's text, cut after a whole word.
    static func excerpt(_ text: String) -> String {
        guard text.count > excerptLength else { return text }
        let cut = text.prefix(excerptLength)
        return String(cut.lastIndex(of: " ").map { cut[..<$0] } ?? cut) + " …"
    }

    // MARK: Postings

    /// Each word's docs, in doc order, packed as `doc << 5 | code` (`Postings.code`).
    private func postings() -> [String: [UInt32]] {
        let chunk = 256
        let entries = self.entries
        let chunks = parallelMap((entries.count + chunk - 1) / chunk) { c -> [String: [UInt32]] in
            var words: [String: [UInt32]] = [:]
            for doc in (c * chunk)..<min((c + 1) * chunk, entries.count) {
                for (word, code) in Self.docWords(entries[doc]) {
                    words[word, default: []].append(UInt32(doc) << 5 | UInt32(code))
                }
            }
            return words
        }
        var all: [String: [UInt32]] = [:]
        for case .success(let words) in chunks {
            for (word, docs) in words { all[word, default: []] += docs }
        }
        return all
    }

    /// Every word of one doc with its code: how often it occurs in the text (at most `maxCount`),
    /// plus 6 when it is in the page's title and 12 when it is in the heading.
    static func docWords(_ entry: Entry) -> [String: Int] {
        var counts: [String: Int] = [:]
        SearchTokenizer.forEachToken(in: entry.text) { counts[$0, default: 0] += 1 }
        var codes = counts.mapValues { min($0, maxCount) }
        SearchTokenizer.forEachToken(in: entry.page) { word in
            let code = codes[word, default: 0]
            if code % 12 < 6 { codes[word] = code + 6 }
        }
        SearchTokenizer.forEachToken(in: entry.heading) { word in
            let code = codes[word, default: 0]
            if code < 12 { codes[word] = code + 12 }
        }
        return codes
    }

    struct Shard {
        var prefix: String
        /// Holds only the word equal to its prefix (the longer ones went to deeper shards).
        var exact: Bool
        /// `word postings word postings`, each word without the prefix.
        var body: String
    }

    /// The words split into shards by prefix, deterministic: words in byte order, shards too.
    static func shards(_ postings: [String: [UInt32]]) -> [Shard] {
        let words = postings.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map { word in
            (scalars: Array(word.unicodeScalars), postings: Postings.encode(postings[word]!))
        }
        var shards: [Shard] = []
        split(words[...], depth: 0, into: &shards)
        return shards
    }

    private typealias Word = (scalars: [Unicode.Scalar], postings: String)

    private static func split(_ words: ArraySlice<Word>, depth: Int, into shards: inout [Shard]) {
        guard let first = words.first else { return }
        let prefix = String(String.UnicodeScalarView(first.scalars.prefix(depth)))
        let size = words.reduce(0) { $0 + $1.scalars.count + $1.postings.utf8.count + 2 }
        if size <= shardLimit || words.allSatisfy({ $0.scalars.count == depth }) {
            shards.append(Shard(prefix: prefix, exact: false, body: body(words, depth: depth)))
            return
        }
        let exact = words.filter { $0.scalars.count == depth }
        if !exact.isEmpty { shards.append(Shard(prefix: prefix, exact: true, body: body(exact[...], depth: depth))) }
        // Words are sorted by bytes, so those sharing the next character are adjacent.
        var rest = words.filter { $0.scalars.count > depth }[...]
        while let next = rest.first {
            let group = rest.prefix { $0.scalars[depth] == next.scalars[depth] }
            split(group, depth: depth + 1, into: &shards)
            rest = rest.dropFirst(group.count)
        }
    }

    private static func body(_ words: ArraySlice<Word>, depth: Int) -> String {
        words.map { String(String.UnicodeScalarView($0.scalars.dropFirst(depth))) + " " + $0.postings }.joined(separator: " ")
    }

    /// A JSON string literal that is also safe inside HTML and as JavaScript source.
    static func json(_ s: String) -> String {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        let bytes = Array(s.utf8)
        var out: [UInt8] = [0x22]
        out.reserveCapacity(bytes.count + 8)
        var i = 0
        func unicodeEscape(_ v: UInt32) {
            out += [0x5C, 0x75, hex[Int(v >> 12) & 15], hex[Int(v >> 8) & 15], hex[Int(v >> 4) & 15], hex[Int(v) & 15]]
        }
        while i < bytes.count {
            let b = bytes[i]
            switch b {
            case 0x22: out += [0x5C, 0x22]
            case 0x5C: out += [0x5C, 0x5C]
            case 0x0A: out += [0x5C, 0x6E]
            case 0x0D: out += [0x5C, 0x72]
            case 0x09: out += [0x5C, 0x74]
            case 0x3C, 0x3E, 0x26: unicodeEscape(UInt32(b))
            case 0xE2 where i + 2 < bytes.count && bytes[i + 1] == 0x80 && (bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9):
                // U+2028/U+2029 end a line in older JavaScript parsers.
                unicodeEscape(bytes[i + 2] == 0xA8 ? 0x2028 : 0x2029)
                i += 2
            default:
                if b < 0x20 { unicodeEscape(UInt32(b)) } else { out.append(b) }
            }
            i += 1
        }
        out.append(0x22)
        return String(decoding: out, as: UTF8.self)
    }
}

/// A word's docs as text: for each doc, `(doc - previous doc - 1) * 24 + code` (the first doc's
/// previous is -1; `code` is 0–23, see `SearchIndex.docWords`) as a number in base 32, most
/// significant digit first, each digit a character: the last from `final`, the others from `more`.
/// Mostly one or two characters a doc, and nothing JSON needs to escape. site.js's `postings()`
/// reads it.
enum Postings {
    static let final = Array("0123456789abcdefghijklmnopqrstuv".utf8)
    static let more = Array("wxyzABCDEFGHIJKLMNOPQRSTUVWXYZ$_".utf8)

    static func encode(_ packed: [UInt32]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(packed.count * 2)
        var previous = -1
        for item in packed {
            let doc = Int(item >> 5)
            var value = (doc - previous - 1) * 24 + Int(item & 31)
            previous = doc
            var digits: [UInt8] = [final[value & 31]]
            value >>= 5
            while value > 0 {
                digits.append(more[value & 31])
                value >>= 5
            }
            out += digits.reversed()
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// (doc, code) pairs back from `encode`'s text.
    static func decode(_ text: String) -> [(doc: Int, code: Int)] {
        var result: [(Int, Int)] = []
        var value = 0
        var previous = -1
        for byte in text.utf8 {
            if let digit = more.firstIndex(of: byte) {
                value = value << 5 | digit
            } else if let digit = final.firstIndex(of: byte) {
                value = value << 5 | digit
                let doc = previous + 1 + value / 24
                result.append((doc, value % 24))
                previous = doc
                value = 0
            }
        }
        return result
    }
}
