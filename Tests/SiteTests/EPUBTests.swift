import Common
import Foundation
import Testing

@testable import Site

/// epubcheck (Debian's package; `./make.sh test` installs it) on a book; nil when it is not installed.
enum EPUBCheck {
    static let jar = URL(fileURLWithPath: "/usr/share/java/epubcheck.jar")
    static var available: Bool { FileManager.default.fileExists(atPath: jar.path) }

    /// epubcheck's whole report and whether it found no error and no warning. Java runs for seconds,
    /// so the wait happens off Swift's cooperative pool, where it would starve the async server tests.
    static func run(_ book: URL) async -> (clean: Bool, report: String) {
        await onItsOwnThread {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            // Through java: Debian's /usr/bin/epubcheck is the jar itself, run through binfmt_misc,
            // which containers often lack.
            process.arguments = ["java", "-jar", jar.path, "--quiet", book.path]
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            do { try process.run() } catch { return (false, "cannot run java: \(error)") }
            let report = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            let clean = process.terminationStatus == 0 && !report.contains("WARNING") && !report.contains("ERROR")
            return (clean, report)
        }
    }
}

/// The zip's entries in stored order: name, compression method, extra field length (local headers).
func zipEntries(_ data: Data) -> [(name: String, method: UInt16, extra: UInt16)] {
    let bytes = [UInt8](data)
    var entries: [(String, UInt16, UInt16)] = []
    var i = 0
    func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
    func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
    while i + 30 <= bytes.count, bytes[i..<(i + 4)].elementsEqual([0x50, 0x4B, 0x03, 0x04]) {
        let method = UInt16(u16(i + 8)), compressed = u32(i + 18), nameLength = u16(i + 26), extra = u16(i + 28)
        let name = String(decoding: bytes[(i + 30)..<(i + 30 + nameLength)], as: UTF8.self)
        entries.append((name, method, UInt16(extra)))
        i += 30 + nameLength + extra + compressed
    }
    return entries
}

@Suite struct EPUBTests {
    let scratch = Scratch()
    static let bookPath = "out/downloads/virtualization-fixture-en.epub"

    @Test func theFixtureBookIsAValidEPUBWithMimetypeFirstAndStored() async throws {
        _ = try await build(Repo.fixture, into: scratch)
        let book = scratch.url.appendingPathComponent(Self.bookPath)
        let entries = zipEntries(try Data(contentsOf: book))
        #expect(entries.first?.name == "mimetype" && entries.first?.method == 0 && entries.first?.extra == 0)
        let names = entries.map(\.name)
        #expect(names.contains("EPUB/nav.xhtml") && names.contains("EPUB/package.opf") && names.contains("META-INF/container.xml"))
        // Every lesson, in course order, after the title page and each chapter's page.
        let documents = names.filter { $0.hasSuffix(".xhtml") && $0 != "EPUB/nav.xhtml" }
        #expect(documents.first == "EPUB/title.xhtml")
        #expect(
            documents.firstIndex(of: "EPUB/foundations/index.xhtml")! < documents.firstIndex(of: "EPUB/foundations/what-is-a-vm.xhtml")!)
        #expect(
            documents.firstIndex(of: "EPUB/foundations/history.xhtml")! < documents.firstIndex(of: "EPUB/cpu-virtualization/index.xhtml")!)
        try #require(EPUBCheck.available, "epubcheck is not installed (apt-get install epubcheck); ./make.sh test installs it")
        let (clean, report) = await EPUBCheck.run(book)
        #expect(clean, "epubcheck: \(report)")
    }

    @Test func metadataComesFromCourseYmlAndTheSourcesNotTheClock() async throws {
        let content = scratch.copyFixture()
        let old = Date(timeIntervalSince1970: 1_700_000_000)
        let walker = FileManager.default.enumerator(at: content, includingPropertiesForKeys: nil)
        while let url = walker?.nextObject() as? URL {
            try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: url.path)
        }
        _ = try await build(content, into: scratch)
        let book = try Data(contentsOf: scratch.url.appendingPathComponent(Self.bookPath))
        let opf = try #require(EPUBTestZip.text(of: "EPUB/package.opf", in: book))
        #expect(opf.contains("<meta property=\"dcterms:modified\">2023-11-14T22:13:20Z</meta>"))
        #expect(opf.contains("<dc:title>Virtualization Fixture</dc:title>") && opf.contains("<dc:language>en</dc:language>"))
        #expect(opf.contains("<dc:creator>Ada Example</dc:creator>") && opf.contains("<dc:creator>Grace Sample</dc:creator>"))
        #expect(opf.contains("<dc:rights>CC BY-SA 4.0</dc:rights>"))
        let id = EditionMetadata.nameBasedIdentifier(title: "Virtualization Fixture", language: "en")
        #expect(opf.contains("<dc:identifier id=\"book-id\">\(id)</dc:identifier>"))
        #expect(id != EditionMetadata.nameBasedIdentifier(title: "Virtualization Fixture", language: "zh"))
    }

    @Test func theNavigationNestsLessonsInChaptersAndLinksStayInsideTheBook() async throws {
        _ = try await build(Repo.fixture, into: scratch)
        let book = try Data(contentsOf: scratch.url.appendingPathComponent(Self.bookPath))
        let nav = try #require(EPUBTestZip.text(of: "EPUB/nav.xhtml", in: book))
        #expect(nav.contains("epub:type=\"toc\""))
        let chapter = try #require(nav.range(of: "<a href=\"foundations/index.xhtml\">"))
        let lesson = try #require(nav.range(of: "<a href=\"foundations/what-is-a-vm.xhtml\">"))
        #expect(chapter.upperBound < lesson.lowerBound && nav[chapter.upperBound..<lesson.lowerBound].contains("<ol>"))
        // No page of the book links to the site's .html pages or runs a script.
        for name in zipEntries(book).map(\.name) where name.hasSuffix(".xhtml") {
            let page = try #require(EPUBTestZip.text(of: name, in: book))
            #expect(!page.contains(".html\"") && !page.contains(".html#") && !page.contains("<script"), "\(name)")
        }
    }

    @Test func turnedOffInCourseYml() async throws {
        let content = scratch.copyFixture()
        let yml = content.appendingPathComponent("course.yml")
        try (try String(contentsOf: yml, encoding: .utf8) + "editions:\n  epub: false\n").write(to: yml, atomically: true, encoding: .utf8)
        _ = try await build(content, into: scratch)
        #expect(!scratch.exists(Self.bookPath))
    }

    @Test func anUnknownEditionsKeyIsAnErrorAtItsLine() async throws {
        let content = scratch.write(["course.yml": "title: T\neditions:\n  epub: false\n  pdf: maybe\n"])
        let errors = await buildErrors(content, into: scratch)
        #expect(errors.contains { $0.line == 4 && $0.message.contains("unknown key 'pdf' under 'editions'") })
    }
}

/// Reads one entry of a zip through Python's zipfile (an independent reader of our archives).
enum EPUBTestZip {
    static func text(of name: String, in zip: Data) -> String? {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("hc-zip-\(UUID().uuidString).zip")
        defer { try? FileManager.default.removeItem(at: file) }
        guard (try? zip.write(to: file)) != nil else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-c", "import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))", file.path, name
        ]
        let pipe = Pipe()
        process.standardOutput = pipe
        guard (try? process.run()) != nil else { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
    }
}
