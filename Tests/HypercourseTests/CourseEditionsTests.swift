import Common
import Foundation
import Site
import Testing

@testable import hypercourse

/// The real course's offline editions: built from content/ with its verified records (no KVM
/// needed: no exercise is rerun), into a scratch folder.
@Suite struct CourseEditionsTests {
    static let jar = URL(fileURLWithPath: "/usr/share/java/epubcheck.jar")

    @Test func eachLanguagesEPUBPassesEPUBCheckWithNoErrorOrWarning() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("hc-editions-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let content = Repo.root.appendingPathComponent("content")
        let options = BuildOptions(contentDirectory: content, outputDirectory: scratch.appendingPathComponent("public"))
        // A device that does not exist: the build shows the records instead of running anything.
        let provider = BuildCommand.exerciseProvider(
            content: content.path, kvmDevice: "/nonexistent/kvm", cache: scratch.appendingPathComponent("cache"))
        let summary = try await SiteBuilder(options: options, exercises: provider).build()
        #expect(summary.lessons > 30)
        let downloads = scratch.appendingPathComponent("public/downloads")
        let books = try FileManager.default.contentsOfDirectory(atPath: downloads.path).filter { $0.hasSuffix(".epub") }.sorted()
        // One book per language of course.yml's languages: list.
        #expect(books == ["virtualization-hands-on-en.epub", "virtualization-hands-on-zh.epub"])
        try #require(FileManager.default.fileExists(atPath: Self.jar.path), "epubcheck is not installed; ./make.sh test installs it")
        for book in books {
            let path = downloads.appendingPathComponent(book).path
            // Java runs for tens of seconds: off Swift's cooperative pool, where it would starve the async server tests.
            let (status, report) = await onItsOwnThread { () -> (Int32, String) in
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                process.arguments = ["java", "-jar", Self.jar.path, "--quiet", path]
                let pipe = Pipe()
                process.standardOutput = pipe
                process.standardError = pipe
                do { try process.run() } catch { return (-1, "cannot run java: \(error)") }
                let report = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                process.waitUntilExit()
                return (process.terminationStatus, report)
            }
            #expect(status == 0 && !report.contains("WARNING") && !report.contains("ERROR"), "\(book): \(report)")
        }
    }
}
