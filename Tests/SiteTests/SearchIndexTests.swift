import Foundation
import Testing

@testable import Site

/// The sharded search index: its words, its encoding, its shards and its size. What a query finds
/// in a browser is compared with the search before sharding by `bench/search/compare.py`.
@Suite struct SearchIndexTests {
    let scratch = Scratch()

    @Test func wordsAreFoldedAndSplitAtEverythingButLettersAndDigits() {
        #expect(SearchTokenizer.tokens("KVM_RUN returns; CR0.PE at 0x3f8!") == ["kvm", "run", "returns", "cr0", "pe", "at", "0x3f8"])
        #expect(SearchTokenizer.tokens("Émulation naïve, Straße") == ["emulation", "naive", "straße"])
        #expect(SearchTokenizer.tokens("ελληνικά кириллица") == ["ελληνικα", "кириллица"])
    }

    @Test func hanAndKanaAreIndexedAsPairsAndTheLastCharacter() {
        #expect(SearchTokenizer.tokens("虚拟化") == ["虚拟", "拟化", "化"])
        #expect(SearchTokenizer.tokens("虚拟化", query: true) == ["虚拟", "拟化"])
        #expect(SearchTokenizer.tokens("用KVM运行") == ["用", "kvm", "运行", "行"])
        #expect(SearchTokenizer.tokens("カタカナ。字") == ["カタ", "タカ", "カナ", "ナ", "字"])
    }

    @Test func postingsRoundTrip() {
        let docs: [(Int, Int)] = [(0, 0), (1, 23), (2, 5), (40, 7), (41, 1), (100_000, 12), (100_001, 3)]
        let text = Postings.encode(docs.map { UInt32($0.0) << 5 | UInt32($0.1) })
        #expect(Postings.decode(text).map { [$0.doc, $0.code] } == docs.map { [$0.0, $0.1] })
        #expect(text.utf8.allSatisfy { Postings.final.contains($0) || Postings.more.contains($0) })
        // One character for a doc right after the previous one with a small code.
        #expect(Postings.encode([0 << 5 | 1, 1 << 5 | 1]).count == 2)
    }

    /// Every word is in exactly one shard; a shard holds only words it can answer for; a query word
    /// finds its words in the shards site.js's rule picks, and no shard above the limit has more
    /// than one word.
    @Test func shardsSplitByPrefix() {
        var postings: [String: [UInt32]] = [:]
        for i in 0..<3000 { postings["w\(i % 7)x\(i)", default: []] = (0..<40).map { UInt32($0 * 3) << 5 | 1 } }
        postings["w"] = [1 << 5 | 1]
        postings["虚拟"] = [2 << 5 | 1]
        let shards = SearchIndex.shards(postings)
        #expect(shards.count > 10)
        var found: [String: Int] = [:]
        for (i, shard) in shards.enumerated() {
            let parts = shard.body.split(separator: " ", omittingEmptySubsequences: false)
            #expect(parts.count % 2 == 0)
            for pair in stride(from: 0, to: parts.count, by: 2) {
                let word = shard.prefix + parts[pair]
                #expect(found[word] == nil, "\(word) in two shards")
                found[word] = i
                #expect(shard.exact ? word == shard.prefix : word.hasPrefix(shard.prefix))
            }
            #expect(shard.body.utf8.count <= SearchIndex.shardLimit || parts.count == 2 || shard.exact)
        }
        #expect(Set(found.keys) == Set(postings.keys))
        for query in ["w", "w3", "w3x1", "w3x2999", "虚", "x"] {
            let picked = shards.indices.filter { i in
                shards[i].prefix.hasPrefix(query) || (!shards[i].exact && query.hasPrefix(shards[i].prefix))
            }
            let wanted = Set(postings.keys.filter { $0.hasPrefix(query) }.map { found[$0]! })
            #expect(wanted.isSubset(of: Set(picked)), "\(query)")
            #expect(picked.count < shards.count || query == "w")
        }
    }

    /// On the project's own course: the whole index is at most a third of the Markdown, and the
    /// biggest single file a query may load is a small part of it.
    @Test func theCourseIndexIsAThirdOfItsMarkdownAtMost() async throws {
        let content = Repo.root.appendingPathComponent("content")
        _ = try await build(content, into: scratch)
        let reader = try SearchIndexReader(site: scratch.url.appendingPathComponent("out"))
        let markdown = try FileManager.default.subpathsOfDirectory(atPath: content.path).filter { $0.hasSuffix(".md") }.reduce(0) {
            $0 + (try Data(contentsOf: content.appendingPathComponent($1)).count)
        }
        let index = reader.fileSizes.values.reduce(0, +)
        #expect(reader.docs.count > 100 && index * 3 <= markdown, "index \(index) bytes, Markdown \(markdown)")
        #expect(reader.fileSizes.values.max()! * 5 < index, "largest file \(reader.fileSizes.values.max()!) of \(index)")
    }
}
