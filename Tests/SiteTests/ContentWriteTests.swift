import Common
import Foundation
import Testing

@testable import Site

/// What a provider asks to write into the content folder is written with the site, only when the
/// build succeeds, and put back when the site cannot be swapped in.
@Suite struct ContentWriteTests {
    let scratch = Scratch()

    /// Every block gets a view, and the provider asks for one record file beside the lesson.
    final class RecordingProvider: ExerciseProvider, @unchecked Sendable {
        let record: URL
        init(record: URL) { self.record = record }
        func results(for blocks: [ExerciseBlock]) async throws -> ExerciseResults {
            ExerciseResults(
                views: blocks.map { sampleView(id: $0.option("id") ?? "x", output: "out") },
                contentFiles: [PendingFile(url: record, data: Data("new record\n".utf8))])
        }
    }

    func course() -> URL {
        scratch.write(["01-ch/01-a.md": "---\ntitle: A\n---\n\n```asm exercise id=one\nhlt\n```\n"], in: "content")
    }

    @Test func recordsAreWrittenWithTheSite() async throws {
        let content = course()
        let record = content.appendingPathComponent("01-ch/01-a.exercises.json")
        let summary = try await build(content, into: scratch, provider: RecordingProvider(record: record))
        #expect(summary.contentFilesWritten == [record])
        #expect(scratch.read("content/01-ch/01-a.exercises.json") == "new record\n")
    }

    @Test func aSiteThatCannotBeSwappedInPutsTheRecordsBack() async throws {
        let content = course()
        let record = content.appendingPathComponent("01-ch/01-a.exercises.json")
        try Data("old record\n".utf8).write(to: record)
        var builder = SiteBuilder(
            options: BuildOptions(contentDirectory: content, outputDirectory: scratch.url.appendingPathComponent("out")),
            exercises: RecordingProvider(record: record))
        builder.beforeSwap = {
            // The record is in place by now, so putting it back is what is tested.
            #expect((try? String(contentsOf: record, encoding: .utf8)) == "new record\n")
            throw SiteError("the swap failed")
        }
        await #expect(throws: BuildFailure.self) { try await builder.build() }
        #expect(scratch.read("content/01-ch/01-a.exercises.json") == "old record\n")
        #expect(!scratch.exists("out"))

        // A record that did not exist before is removed again.
        try FileManager.default.removeItem(at: record)
        await #expect(throws: BuildFailure.self) { try await builder.build() }
        #expect(!FileManager.default.fileExists(atPath: record.path))
    }
}
