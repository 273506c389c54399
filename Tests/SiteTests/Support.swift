import Foundation
import Testing

@testable import Site

/// Paths inside the repository, found from this file.
enum Repo {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let templates = root.appendingPathComponent("templates")
    static let fixture = root.appendingPathComponent("Tests/SiteTests/Fixtures/course")
}

/// A scratch folder, removed when the test ends.
final class Scratch {
    let url: URL
    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("hc-test-\(UUID().uuidString)")
        reportingFailure("making a scratch folder") { [url] in
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        }
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    /// Writes `files` (relative path → text) under `folder`.
    @discardableResult
    func write(_ files: [String: String], in folder: String = "content") -> URL {
        let base = url.appendingPathComponent(folder)
        for (path, text) in files {
            let file = base.appendingPathComponent(path)
            reportingFailure("writing \(path)") {
                try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
                try text.write(to: file, atomically: true, encoding: .utf8)
            }
        }
        return base
    }

    /// A copy of the golden fixture course, to modify in a test.
    func copyFixture() -> URL {
        let target = url.appendingPathComponent("content")
        reportingFailure("copying the fixture course") { try FileManager.default.copyItem(at: Repo.fixture, to: target) }
        return target
    }

    func read(_ path: String) -> String {
        (try? String(contentsOf: url.appendingPathComponent(path), encoding: .utf8)) ?? ""
    }

    func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: url.appendingPathComponent(path).path) }
}

/// Builds `content` into `scratch/out` with the built-in theme (the one compiled into Site).
func build(
    _ content: URL, into scratch: Scratch, out: String = "out", provider: (any ExerciseProvider)? = nil,
    drafts: Bool = false, force: Bool = false, templates: URL? = nil
) async throws -> BuildSummary {
    let options = BuildOptions(
        contentDirectory: content, outputDirectory: scratch.url.appendingPathComponent(out),
        templatesDirectory: templates, includeDrafts: drafts, force: force)
    return try await SiteBuilder(options: options, exercises: provider).build()
}

/// The build's errors, or an issue when it unexpectedly succeeds.
func buildErrors(
    _ content: URL, into scratch: Scratch, out: String = "out", provider: (any ExerciseProvider)? = nil, templates: URL? = nil
) async -> [SiteError] {
    do {
        _ = try await build(content, into: scratch, out: out, provider: provider, templates: templates)
        Issue.record("the build succeeded but should have failed")
        return []
    } catch let failure as BuildFailure {
        return failure.errors
    } catch {
        Issue.record("unexpected error type: \(error)")
        return []
    }
}

/// All matches of a regex's first capture group.
func captures(_ pattern: String, in text: String) -> [String] {
    guard let regex = try? NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators]) else {
        Issue.record("bad pattern \(pattern)")
        return []
    }
    return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { match in
        Range(match.range(at: match.numberOfRanges > 1 ? 1 : 0), in: text).map { String(text[$0]) }
    }
}

/// A built site's search index, doc by doc.
func searchDocs(_ site: URL) throws -> [SearchIndexReader.Doc] {
    try SearchIndexReader(site: site).docs
}

/// Every file of a built site's search index, as one text.
func searchIndexText(_ site: URL) -> String {
    let folder = site.appendingPathComponent("search")
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
    return ([site.appendingPathComponent("search-index.js")] + names.map { folder.appendingPathComponent($0) })
        .map { (try? String(contentsOf: $0, encoding: .utf8)) ?? "" }.joined(separator: "\n")
}

/// Runs a test helper's file operation; a failure is reported as an issue of the running test
/// instead of trapping (`try!`, `precondition`), which would end every test in the process.
func reportingFailure(_ what: String, sourceLocation: Testing.SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    do {
        try body()
    } catch {
        Issue.record("\(what): \(error)", sourceLocation: sourceLocation)
    }
}
