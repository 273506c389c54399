import Foundation
import Testing

@testable import Site

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// A course in two languages published at a base URL: the sitemap, canonical links, language
/// alternates, Open Graph values and robots.txt, built for real; and the same course without a
/// base URL, whose site has none of it.
@Suite struct PublishingTests {
    let scratch = Scratch()

    static let base = "https://example.org/demo"

    /// TranslationTests' course and glossary, with a base URL, a description that needs escaping,
    /// and a second lesson that is not translated.
    func course(baseURL: String? = base, editions: Bool = true) -> URL {
        var yaml = TranslationTests.courseYAML
        if let baseURL { yaml += "base-url: \(baseURL)\n" }
        if !editions { yaml += "editions: {epub: false, site-zip: false}\n" }
        let first = TranslationTests.first.replacingOccurrences(
            of: "title: First\n", with: "title: First & \"foremost\"\ndescription: Traps & \"exits\" <fast>\n")
        return scratch.write([
            "course.yml": yaml,
            "01-basics/01-first.md": first,
            "01-basics/01-first.zh.md": TranslationTests.firstZh.replacingOccurrences(
                of: "title: 第一课\n", with: "title: 第一课\ndescription: 陷入与退出\n"),
            "glossary.yml": TranslationTests.glossary,
            "01-basics/02-second.md": "---\ntitle: Second\n---\n## Details\n\nBack to [the first](01-first.md#deep).\n",
            "01-basics/_index.zh.md": "---\ntitle: 基础\n---\n",
            "_index.zh.md": "---\ntitle: 欢迎\n---\n这是首页。\n"
        ])
    }

    func site(_ path: String) -> String { scratch.read("out/" + path) }

    @Test func sitemapListsEveryPublishedPageOnceWithItsAlternates() async throws {
        _ = try await build(course(), into: scratch)
        let sitemap = try Sitemap(Data(site("sitemap.xml").utf8))
        let b = Self.base
        #expect(
            sitemap.locations == [
                "\(b)/", "\(b)/glossary.html", "\(b)/basics/", "\(b)/basics/first.html", "\(b)/basics/second.html",
                "\(b)/zh/", "\(b)/zh/glossary.html", "\(b)/zh/basics/", "\(b)/zh/basics/first.html"
            ])
        #expect(Set(sitemap.locations).count == sitemap.locations.count)
        let both = ["en=\(b)/basics/first.html", "zh=\(b)/zh/basics/first.html", "x-default=\(b)/basics/first.html"]
        #expect(sitemap.alternates["\(b)/basics/first.html"] == both)
        #expect(sitemap.alternates["\(b)/zh/basics/first.html"] == both)
        // The untranslated lesson has one version; the Chinese site's copy of it is not listed.
        #expect(sitemap.alternates["\(b)/basics/second.html"] == ["en=\(b)/basics/second.html", "x-default=\(b)/basics/second.html"])
        #expect(sitemap.alternates["\(b)/zh/"] == ["en=\(b)/", "zh=\(b)/zh/", "x-default=\(b)/"])
    }

    @Test func pagesHaveAbsoluteCanonicalLinksAndAlternates() async throws {
        _ = try await build(course(), into: scratch)
        let b = Self.base
        let lesson = site("basics/first.html")
        #expect(links("canonical", in: lesson) == ["\(b)/basics/first.html"])
        #expect(alternates(in: lesson) == ["en=\(b)/basics/first.html", "zh=\(b)/zh/basics/first.html", "x-default=\(b)/basics/first.html"])
        #expect(meta("og:type", in: lesson) == ["article"])
        #expect(meta("og:url", in: lesson) == ["\(b)/basics/first.html"])
        #expect(meta("og:locale", in: lesson) == ["en"])
        #expect(meta("og:locale:alternate", in: lesson) == ["zh"])
        #expect(meta("og:site_name", in: lesson) == ["Demo"])
        let translated = site("zh/basics/first.html")
        #expect(links("canonical", in: translated) == ["\(b)/zh/basics/first.html"])
        #expect(alternates(in: translated) == alternates(in: lesson))
        #expect(meta("og:title", in: translated) == ["第一课"] && meta("og:description", in: translated) == ["陷入与退出"])
        #expect(meta("og:locale", in: translated) == ["zh"] && meta("og:locale:alternate", in: translated) == ["en"])
        #expect(meta("og:site_name", in: translated) == ["演示课程"])
        // An untranslated page of the Chinese site shows the original: the original is canonical.
        let untranslated = site("zh/basics/second.html")
        #expect(links("canonical", in: untranslated) == ["\(b)/basics/second.html"])
        #expect(alternates(in: untranslated) == ["en=\(b)/basics/second.html", "x-default=\(b)/basics/second.html"])
        #expect(meta("og:locale", in: untranslated) == ["en"] && meta("og:locale:alternate", in: untranslated).isEmpty)
        // Folders are addressed as folders; the home and chapter pages are websites, not articles.
        #expect(links("canonical", in: site("index.html")) == ["\(b)/"])
        #expect(links("canonical", in: site("zh/basics/index.html")) == ["\(b)/zh/basics/"])
        #expect(meta("og:type", in: site("index.html")) == ["website"])
        #expect(meta("og:type", in: site("basics/index.html")) == ["website"])
        #expect(links("canonical", in: site("zh/glossary.html")) == ["\(b)/zh/glossary.html"])
    }

    @Test func openGraphAndDescriptionAreEscaped() async throws {
        _ = try await build(course(), into: scratch)
        let lesson = site("basics/first.html")
        #expect(lesson.contains("<meta property=\"og:title\" content=\"First &amp; &quot;foremost&quot;\">"))
        #expect(lesson.contains("<meta property=\"og:description\" content=\"Traps &amp; &quot;exits&quot; &lt;fast&gt;\">"))
        #expect(lesson.contains("<meta name=\"description\" content=\"Traps &amp; &quot;exits&quot; &lt;fast&gt;\">"))
        #expect(!lesson.contains("<fast>"))
        // A page without a description of its own (nor the course's) has no og:description.
        #expect(meta("og:description", in: site("basics/second.html")).isEmpty)
    }

    @Test func robotsAllowsEverythingAndNamesTheSitemap() async throws {
        _ = try await build(course(), into: scratch)
        #expect(site("robots.txt") == "User-agent: *\nAllow: /\n\nSitemap: \(Self.base)/sitemap.xml\n")
        // One sitemap and one robots.txt, at the site's root.
        #expect(!scratch.exists("out/zh/sitemap.xml") && !scratch.exists("out/zh/robots.txt"))
    }

    @Test func printAndNotFoundPagesAreLeftOutOfSearchEngines() async throws {
        _ = try await build(course(), into: scratch)
        for page in ["print.html", "basics/_print.html", "404.html", "zh/print.html", "zh/404.html"] {
            let html = site(page)
            #expect(html.contains("<meta name=\"robots\" content=\"noindex\">"), "\(page)")
            #expect(links("canonical", in: html).isEmpty && meta("og:url", in: html).isEmpty, "\(page)")
        }
        // The not-found page, served at any address, finds its language's links and assets.
        #expect(site("404.html").contains("<base href=\"\(Self.base)/\">"))
        #expect(site("zh/404.html").contains("<base href=\"\(Self.base)/zh/\">"))
    }

    /// Without a base URL the site is what it always was: no sitemap, no robots.txt, no absolute
    /// URL, no publishing metadata. With one, every page is the same but for the head lines the
    /// base URL adds, and every other file is byte for byte the same. (The offline editions are
    /// off here: the EPUB links to the published site by design, and the home page lists the
    /// editions' sizes.)
    @Test func withoutABaseURLNothingChanges() async throws {
        _ = try await build(course(baseURL: nil, editions: false), into: scratch, out: "plain")
        let plain = scratch.url.appendingPathComponent("plain")
        let plainFiles = try files(in: plain)
        #expect(!plainFiles.contains("sitemap.xml") && !plainFiles.contains("robots.txt"))
        for path in plainFiles where path.hasSuffix(".html") {
            let html = scratch.read("plain/" + path)
            for added in Self.publishingLines where !added.contains("alternate") { #expect(!html.contains(added), "\(path) has \(added)") }
            for url in captures("(?:href|src|content)=\"([^\"]*)\"", in: html) {
                #expect(!url.contains("://"), "\(path): absolute URL \(url)")
            }
        }
        _ = try await build(course(editions: false), into: scratch, out: "published")
        let published = scratch.url.appendingPathComponent("published")
        #expect(try files(in: published) == plainFiles.union(["sitemap.xml", "robots.txt"]))
        for path in plainFiles.sorted() {
            var before = try Data(contentsOf: plain.appendingPathComponent(path))
            var after = try Data(contentsOf: published.appendingPathComponent(path))
            // The language switch's relative alternates give way to absolute ones: neither is compared.
            if path.hasSuffix(".html") {
                before = Data(Self.withoutPublishingLines(String(decoding: before, as: UTF8.self)).utf8)
                after = Data(Self.withoutPublishingLines(String(decoding: after, as: UTF8.self)).utf8)
            }
            #expect(before == after, "\(path) differs beyond the publishing lines")
        }
    }

    /// The golden fixture, in one language: its pages in the sitemap, no language alternates.
    @Test func aCourseInOneLanguageHasNoAlternates() async throws {
        let content = scratch.copyFixture()
        let yml = content.appendingPathComponent("course.yml")
        try (try String(contentsOf: yml, encoding: .utf8) + "base-url: https://example.org/vf/\n").write(
            to: yml, atomically: true, encoding: .utf8)
        let summary = try await build(content, into: scratch)
        let sitemap = try Sitemap(Data(site("sitemap.xml").utf8))
        // Home, then each chapter with its lessons; the draft and the print pages are not pages to index.
        #expect(sitemap.locations.count == 1 + summary.chapters + summary.lessons)
        #expect(sitemap.locations.first == "https://example.org/vf/")
        #expect(sitemap.locations.contains("https://example.org/vf/foundations/what-is-a-vm.html"))
        #expect(!sitemap.locations.contains { $0.contains("unfinished") || $0.contains("print") })
        #expect(sitemap.alternates.values.allSatisfy { $0.isEmpty })
        let lesson = site("foundations/what-is-a-vm.html")
        #expect(links("canonical", in: lesson) == ["https://example.org/vf/foundations/what-is-a-vm.html"])
        #expect(alternates(in: lesson).isEmpty && meta("og:locale:alternate", in: lesson).isEmpty)
        #expect(meta("og:locale", in: lesson) == ["en"])
    }

    @Test func baseURLIsEncodedAndEndsWithASlash() {
        #expect(WebPublishing.encodedBase("https://example.org/demo") == "https://example.org/demo/")
        #expect(WebPublishing.encodedBase("https://example.org/课程/") == "https://example.org/%E8%AF%BE%E7%A8%8B/")
        #expect(WebPublishing.encodedBase("https://example.org/a%20b/") == "https://example.org/a%20b/")
        #expect(WebPublishing.openGraphLocale("zh-Hans") == "zh_Hans")
    }

    // MARK: Reading what was built

    static let publishingLines = [
        "<link rel=\"canonical\"", "<link rel=\"alternate\" hreflang=", "<meta property=\"og:", "<meta name=\"robots\"", "<base href="
    ]

    static func withoutPublishingLines(_ html: String) -> String {
        html.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { line in !publishingLines.contains { line.hasPrefix($0) } }
            .joined(separator: "\n")
    }

    func files(in folder: URL) throws -> Set<String> {
        let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey])
        var paths: Set<String> = []
        while let url = enumerator?.nextObject() as? URL {
            guard try url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true else { continue }
            paths.insert(String(url.standardizedFileURL.path.dropFirst(folder.standardizedFileURL.path.count + 1)))
        }
        return paths
    }

    func links(_ rel: String, in html: String) -> [String] {
        captures("<link rel=\"\(rel)\" href=\"([^\"]*)\">", in: html)
    }

    func alternates(in html: String) -> [String] {
        let head = captures("<head>(.*?)</head>", in: html).first ?? ""
        return captures("<link rel=\"alternate\" hreflang=\"([^\"]*\" href=\"[^\"]*)\">", in: head)
            .map { $0.replacingOccurrences(of: "\" href=\"", with: "=") }
    }

    func meta(_ property: String, in html: String) -> [String] {
        captures("<meta property=\"\(NSRegularExpression.escapedPattern(for: property))\" content=\"([^\"]*)\">", in: html)
    }
}

/// sitemap.xml read with a real XML parser: each `<loc>` in order, and its `xhtml:link` alternates
/// as `hreflang=href`. Parsing fails on anything that is not well-formed XML.
final class Sitemap: NSObject, XMLParserDelegate {
    private(set) var locations: [String] = []
    private(set) var alternates: [String: [String]] = [:]
    private var text = ""
    private var current: [String] = []
    private var root: String?

    init(_ data: Data) throws {
        super.init()
        let parser = XMLParser(data: data)
        parser.shouldProcessNamespaces = true
        parser.delegate = self
        guard parser.parse() else { throw parser.parserError ?? CocoaError(.propertyListReadCorrupt) }
        guard root == "urlset" else { throw CocoaError(.propertyListReadCorrupt) }
    }

    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String]
    ) {
        if root == nil { root = name }
        text = ""
        if name == "url" { current = [] }
        if name == "link", namespaceURI == "http://www.w3.org/1999/xhtml", attributes["rel"] == "alternate" {
            current.append("\(attributes["hreflang"] ?? "")=\(attributes["href"] ?? "")")
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "loc" { locations.append(text) }
        if name == "url", let location = locations.last { alternates[location] = current }
    }
}
