import Common
import Foundation
import Hypervisor
import Site
import Testing

@testable import hypercourse

let kvmPresent = FileManager.default.fileExists(atPath: KVMSystem.defaultDevicePath)

enum Repo {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let templates = root.appendingPathComponent("templates")
    static let fixture = root.appendingPathComponent("Tests/HypercourseTests/Fixtures/course")

    /// The `hypercourse` binary `swift test` built (this target depends on it).
    static var tool: URL? {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            root.appendingPathComponent(".build/debug")
        ]
        return candidates.map { $0.appendingPathComponent("hypercourse") }.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }
}

/// A copy of the fixture course in a scratch folder: `content/`, `public/`, `.hypercourse-cache/`.
final class FixtureCourse: @unchecked Sendable {
    let root: URL
    var content: URL { root.appendingPathComponent("content") }
    var output: URL { root.appendingPathComponent("public") }

    init() {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("hc-e2e-\(UUID().uuidString)")
        reportingFailure("copying the fixture course") {
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: Repo.fixture, to: content)
            try CourseBlocks.expand(content.appendingPathComponent(CourseBlocks.lesson))
        }
    }

    /// A course of its own instead of the fixture: `files` by path in `content/`.
    init(files: [String: String]) {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("hc-e2e-\(UUID().uuidString)")
        reportingFailure("writing the course") {
            for (path, text) in files {
                let url = content.appendingPathComponent(path)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try text.write(to: url, atomically: true, encoding: .utf8)
            }
        }
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    func read(_ path: String) -> String { (try? String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)) ?? "" }

    func write(_ path: String, _ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        reportingFailure("writing \(path)", sourceLocation: sourceLocation) {
            try text.write(to: root.appendingPathComponent(path), atomically: true, encoding: .utf8)
        }
    }

    /// Rewrites `path` with `change`; an edit that changes nothing is a failure of the test (it
    /// would otherwise test the unedited file and pass for the wrong reason).
    func edit(_ path: String, sourceLocation: Testing.SourceLocation = #_sourceLocation, _ change: (String) -> String) {
        let before = read(path)
        let after = change(before)
        guard before != after else {
            Issue.record("the edit changed nothing in \(path)", sourceLocation: sourceLocation)
            return
        }
        write(path, after, sourceLocation: sourceLocation)
    }

    /// Every record file of the course, by path, with its text.
    func records() -> [String: String] {
        var found: [String: String] = [:]
        let walker = FileManager.default.enumerator(atPath: content.path)
        while let path = walker?.nextObject() as? String {
            if path.hasSuffix(".exercises.json") { found[path] = read("content/" + path) }
        }
        return found
    }

    /// The built page that holds exercise `id`.
    func page(with id: String) -> String {
        let walker = FileManager.default.enumerator(at: output, includingPropertiesForKeys: nil)
        while let url = walker?.nextObject() as? URL {
            guard url.pathExtension == "html", !["print.html", "_print.html"].contains(url.lastPathComponent) else { continue }
            let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
            if text.contains("id=\"exercise-\(id)\"") { return text }
        }
        return ""
    }

    /// One exercise's `<figure>` from its page.
    func figure(_ id: String) -> String {
        let text = page(with: id)
        guard let start = text.range(of: "<figure class=\"exercise"),
            let anchor = text.range(of: "id=\"exercise-\(id)\"")
        else { return "" }
        let head = text[..<anchor.lowerBound].range(of: "<figure", options: .backwards)?.lowerBound ?? start.lowerBound
        guard let end = text.range(of: "</figure>", range: anchor.upperBound..<text.endIndex) else { return "" }
        return String(text[head..<end.upperBound])
    }

    /// Builds in this process through Site, the exercise provider and the CLI's adapter.
    func build(kvmDevice: String = KVMSystem.defaultDevicePath, promote: Bool = false) async throws -> BuildSummary {
        let options = BuildOptions(contentDirectory: content, outputDirectory: output)
        let provider = BuildCommand.exerciseProvider(content: content.path, kvmDevice: kvmDevice, promote: promote)
        return try await SiteBuilder(options: options, exercises: provider).build()
    }

    struct Outcome: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs the built `hypercourse` in the scratch folder.
    func run(_ arguments: [String], environment: [String: String]? = nil) async throws -> Outcome {
        let tool = try #require(Repo.tool, "the hypercourse binary was not built")
        return try await Self.run(tool, arguments, in: root, environment: environment)
    }

    /// Runs `program` in `folder` and collects its exit status and output. The wait is on a thread
    /// of its own: a test waiting on the cooperative pool for a build of seconds holds one of its two
    /// threads, and two such tests starve every async test (the server's timing tests among them).
    static func run(_ program: URL, _ arguments: [String], in folder: URL, environment: [String: String]? = nil) async throws -> Outcome {
        try await onItsOwnThread { Result { try runBlocking(program, arguments, in: folder, environment: environment) } }.get()
    }

    private static func runBlocking(_ program: URL, _ arguments: [String], in folder: URL, environment: [String: String]?) throws -> Outcome
    {
        let process = Process()
        process.executableURL = program
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.currentDirectoryURL = folder
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes concurrently so neither can fill up and stall the tool.
        let errors = Locked<String?>(nil)
        let reader = Thread { errors.withLock { $0 = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) } }
        reader.start()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        while errors.withLock({ $0 }) == nil { usleep(1000) }
        return Outcome(status: process.terminationStatus, stdout: stdout, stderr: errors.withLock { $0 } ?? "")
    }
}

/// The fixture's exercises taken from the course. They are read from `content/` when a test copies
/// the fixture, not kept as copies: copies drifted from the lessons within days (seven of nine had,
/// when this was written), and then tested syntax nobody writes any more. What the tests assert about
/// them comes from the course's own verified records, so the tests stay true when the course changes
/// and fail only when the pipeline no longer reproduces what the course recorded (or the course drops
/// a block listed here: pick another then).
enum CourseBlocks {
    static let lesson = "02-from-the-course/01-lessons.md"
    static let marker = "<!-- course block: "

    /// (lesson path in content/, exercise id) for every marker in the fixture lesson.
    static var taken: [(path: String, id: String)] {
        let text = (try? String(contentsOf: Repo.fixture.appendingPathComponent(lesson), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            guard line.hasPrefix(marker) else { return nil }
            let words = line.dropFirst(marker.count).split(separator: " ")
            return words.count >= 2 ? (String(words[0]), String(words[1])) : nil
        }
    }

    /// Replaces each marker in `lesson` with the block from the course, and copies the files the
    /// blocks name with `src=` beside it.
    static func expand(_ lesson: URL) throws {
        var text = try String(contentsOf: lesson, encoding: .utf8)
        for (path, id) in taken {
            let source = Repo.root.appendingPathComponent("content").appendingPathComponent(path)
            guard let block = block(id: id, in: source) else {
                Issue.record("content/\(path) no longer has exercise '\(id)': take another block in \(lesson.lastPathComponent)")
                continue
            }
            text = text.replacingOccurrences(of: "\(marker)\(path) \(id) -->", with: block)
            let info = block.prefix { $0 != "\n" }
            for option in info.split(separator: " ") where option.hasPrefix("src=") {
                let name = String(option.dropFirst(4))
                let target = lesson.deletingLastPathComponent().appendingPathComponent(name)
                try? FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                try FileManager.default.copyItem(at: source.deletingLastPathComponent().appendingPathComponent(name), to: target)
            }
        }
        try text.write(to: lesson, atomically: true, encoding: .utf8)
    }

    /// The fenced exercise block with `id=ID` in `file`, fences included.
    static func block(id: String, in file: URL) -> String? {
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() {
            let trimmed = line.drop { $0 == " " }
            guard let fenceChar = trimmed.first, fenceChar == "`" || fenceChar == "~" else { continue }
            let fence = trimmed.prefix { $0 == fenceChar }
            guard fence.count >= 3, trimmed.split(separator: " ").contains("id=\(id)"), trimmed.contains(" exercise") else { continue }
            guard
                let end = lines[(index + 1)...].firstIndex(where: {
                    $0.drop { $0 == " " }.hasPrefix(fence) && $0.allSatisfy { $0 == fenceChar || $0 == " " }
                })
            else { return nil }
            return lines[index...end].joined(separator: "\n")
        }
        return nil
    }

    /// The course's verified record of exercise `id` (from the lesson's `.exercises.json`), as JSON,
    /// without what differs between runs and hosts (when, where, the key).
    static func courseRecord(_ id: String, lesson path: String) -> [String: Any]? {
        let file = Repo.root.appendingPathComponent("content").appendingPathComponent(String(path.dropLast(3)) + ".exercises.json")
        return record(id, in: file)
    }

    /// A record entry as sorted-key JSON text, to compare two entries.
    static func canonical(_ entry: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: entry, options: [.sortedKeys]), as: UTF8.self)
    }

    static func record(_ id: String, in file: URL) -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: file.path),
            let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let entries = json["exercises"] as? [[String: Any]],
            var entry = entries.first(where: { $0["id"] as? String == id })
        else { return nil }
        // Provenance, not result: a record keeps when, where and on which machine version it was
        // first made for as long as the result stays the same.
        for key in ["recorded", "host", "machine", "key", "hostDetail", "includes"] { entry.removeValue(forKey: key) }
        return entry
    }
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

extension String {
    func count(of needle: String) -> Int { components(separatedBy: needle).count - 1 }
}
