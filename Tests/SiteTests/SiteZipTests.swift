import Foundation
import Testing

@testable import Site

@Suite struct SiteZipTests {
    let scratch = Scratch()

    /// Unzips with Python's zipfile (an independent reader) into `folder`.
    private func unzip(_ zip: URL, into folder: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-c", "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])", zip.path, folder.path
        ]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }

    @Test func theSiteZipOpensAnywhereWithEveryLinkInsideIt() async throws {
        _ = try await build(Repo.fixture, into: scratch)
        let zip = scratch.url.appendingPathComponent("out/downloads/virtualization-fixture-en-site.zip")
        let entries = zipEntries(try Data(contentsOf: zip)).map(\.name)
        #expect(entries == entries.sorted() && entries.allSatisfy { $0.hasPrefix("virtualization-fixture-en/") })
        #expect(entries.contains("virtualization-fixture-en/index.html") && entries.contains("virtualization-fixture-en/assets/style.css"))
        #expect(!entries.contains { $0.contains("/downloads/") || $0.contains(".hypercourse-output") })
        #expect(try linksInside(zip, top: "virtualization-fixture-en") > 100)
    }

    /// Unzips `zip` and checks that every link of every page in it resolves inside it or is an
    /// absolute address; returns how many relative links it checked.
    private func linksInside(_ zip: URL, top: String) throws -> Int {
        let unzipped = scratch.url.appendingPathComponent("unzipped-\(zip.lastPathComponent)")
        try unzip(zip, into: unzipped)
        let root = unzipped.appendingPathComponent(top)
        var checked = 0
        for page in try SiteZip.files(under: root) where page.hasSuffix(".html") {
            let html = try String(contentsOf: root.appendingPathComponent(page), encoding: .utf8)
            for link in captures(##"(?:href|src)="([^"#?]+)[^"]*""##, in: html) where !link.contains(":") {
                let target = root.appendingPathComponent(page).deletingLastPathComponent().appendingPathComponent(
                    link.removingPercentEncoding ?? link)
                #expect(FileManager.default.fileExists(atPath: target.path), "\(page) links to \(link), which the zip does not hold")
                checked += 1
            }
        }
        return checked
    }

    /// A course in two languages: each language's zip holds that language only, so its language
    /// switch goes to the published site, or is left out when the course has no address.
    @Test(arguments: [nil, "https://example.org/demo/"])
    func eachLanguagesZipLinksOnlyInsideItselfOrToThePublishedSite(_ baseURL: String?) async throws {
        var yaml = TranslationTests.courseYAML
        if let baseURL { yaml += "base-url: \(baseURL)\n" }
        var files = TranslationTests.files
        files["course.yml"] = yaml
        _ = try await build(scratch.write(files), into: scratch)
        for (language, page) in [("en", "basics/first.html"), ("zh", "zh/basics/first.html")] {
            let zip = scratch.url.appendingPathComponent("out/downloads/demo-\(language)-site.zip")
            #expect(try linksInside(zip, top: "demo-\(language)") > 20)
            let names = zipEntries(try Data(contentsOf: zip)).map(\.name)
            // Search engines' files describe the published site, not a copy on a disk.
            #expect(!names.contains { $0.hasSuffix("/sitemap.xml") || $0.hasSuffix("/robots.txt") }, "\(names)")
            let html = try #require(EPUBTestZip.text(of: "demo-\(language)/\(page)", in: try Data(contentsOf: zip)))
            let other = language == "en" ? "zh" : "en"
            let switchHTML = html.components(separatedBy: "class=\"language-switch\"").dropFirst().first ?? ""
            if let baseURL {
                let target = baseURL + (other == "zh" ? "zh/basics/first.html" : "basics/first.html")
                #expect(switchHTML.contains("<a href=\"\(target)\" hreflang=\"\(other)\""), "\(switchHTML.prefix(400))")
            } else {
                #expect(!html.contains("hreflang=\"\(other)\""), "\(language): a link to the other language is left")
                #expect(switchHTML.contains("aria-current=\"page\" lang=\"\(language)\""))
            }
        }
        if baseURL != nil { #expect(scratch.exists("out/sitemap.xml") && scratch.exists("out/robots.txt")) }
        // The site itself keeps its relative switch.
        #expect(scratch.read("out/zh/basics/first.html").contains("href=\"../../basics/first.html\" hreflang=\"en\""))
    }

    @Test func theHomePageListsEveryEditionWithItsSize() async throws {
        _ = try await build(Repo.fixture, into: scratch)
        let home = scratch.read("out/index.html")
        for file in ["virtualization-fixture-en.epub", "virtualization-fixture-en-site.zip"] {
            let bytes = try #require(
                try FileManager.default.attributesOfItem(atPath: scratch.url.appendingPathComponent("out/downloads/\(file)").path)[.size]
                    as? Int)
            #expect(home.contains("<a href=\"downloads/\(file)\" download=\"\(file)\">"), "\(file)")
            #expect(home.contains("(\(SiteBuilder.sizeText(bytes)))"), "\(file): \(SiteBuilder.sizeText(bytes))")
        }
        #expect(home.contains("<h2 id=\"hc-downloads-title\">Download</h2>"))
    }

    @Test func turnedOffTheSiteZipIsNeitherWrittenNorListed() async throws {
        let content = scratch.copyFixture()
        let yml = content.appendingPathComponent("course.yml")
        try (try String(contentsOf: yml, encoding: .utf8) + "editions:\n  site-zip: false\n").write(
            to: yml, atomically: true, encoding: .utf8)
        _ = try await build(content, into: scratch)
        #expect(
            !scratch.exists("out/downloads/virtualization-fixture-en-site.zip")
                && scratch.exists("out/downloads/virtualization-fixture-en.epub"))
        #expect(!scratch.read("out/index.html").contains("-site.zip"))
    }

    @Test func sizesAreShownInDecimalUnits() {
        #expect(SiteBuilder.sizeText(1) == "1 KB" && SiteBuilder.sizeText(407_916) == "408 KB")
        #expect(SiteBuilder.sizeText(1_580_418) == "1.6 MB" && SiteBuilder.sizeText(12_040_000) == "12.0 MB")
    }
}
