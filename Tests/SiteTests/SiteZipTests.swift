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
        let unzipped = scratch.url.appendingPathComponent("unzipped")
        try unzip(zip, into: unzipped)
        let root = unzipped.appendingPathComponent("virtualization-fixture-en")
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
        #expect(checked > 100)
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
