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
            root.appendingPathComponent(".build/debug"),
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
        try! FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try! FileManager.default.copyItem(at: Repo.fixture, to: content)
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    func read(_ path: String) -> String { (try? String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)) ?? "" }

    func write(_ path: String, _ text: String) {
        try! text.write(to: root.appendingPathComponent(path), atomically: true, encoding: .utf8)
    }

    func edit(_ path: String, _ change: (String) -> String) {
        let before = read(path)
        let after = change(before)
        precondition(before != after, "the edit changed nothing in \(path)")
        write(path, after)
    }

    /// The built page that holds exercise `id`.
    func page(with id: String) -> String {
        let walker = FileManager.default.enumerator(at: output, includingPropertiesForKeys: nil)
        while let url = walker?.nextObject() as? URL {
            guard url.pathExtension == "html", url.lastPathComponent != "print.html" else { continue }
            let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
            if text.contains("id=\"exercise-\(id)\"") { return text }
        }
        return ""
    }

    /// One exercise's `<figure>` from its page.
    func figure(_ id: String) -> String {
        let text = page(with: id)
        guard let start = text.range(of: "<figure class=\"exercise"),
              let anchor = text.range(of: "id=\"exercise-\(id)\"") else { return "" }
        let head = text[..<anchor.lowerBound].range(of: "<figure", options: .backwards)?.lowerBound ?? start.lowerBound
        guard let end = text.range(of: "</figure>", range: anchor.upperBound..<text.endIndex) else { return "" }
        return String(text[head..<end.upperBound])
    }

    /// Builds in this process through Site, the exercise provider and the CLI's adapter.
    func build(kvmDevice: String = KVMSystem.defaultDevicePath, promote: Bool = false) async throws -> BuildSummary {
        let options = BuildOptions(contentDirectory: content, outputDirectory: output, themeDirectory: Repo.templates)
        let provider = BuildCommand.exerciseProvider(contentDirectory: content, kvmDevice: kvmDevice, promote: promote)
        return try await SiteBuilder(options: options, exercises: provider).build()
    }

    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs the built `hypercourse` in the scratch folder.
    func run(_ arguments: [String], environment: [String: String]? = nil) throws -> Outcome {
        let tool = try #require(Repo.tool, "the hypercourse binary was not built")
        let process = Process()
        process.executableURL = tool
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.currentDirectoryURL = root
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes concurrently so neither can fill up and stall the tool.
        let errors = Locked("")
        let reader = Thread { errors.set(String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)) }
        reader.start()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        while !errors.done { usleep(1000) }
        return Outcome(status: process.terminationStatus, stdout: stdout, stderr: errors.value)
    }
}

final class Locked: @unchecked Sendable {
    private let lock = NSLock()
    private var text: String
    private var finished = false
    init(_ text: String) { self.text = text }
    func set(_ value: String) { lock.withLock { text = value; finished = true } }
    var done: Bool { lock.withLock { finished } }
    var value: String { lock.withLock { text } }
}

extension String {
    func count(of needle: String) -> Int { components(separatedBy: needle).count - 1 }
}
