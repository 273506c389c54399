import ArgumentParser
import Common
import Foundation
import Site

/// `hypercourse translations`: where each translation stands, and marking reviewed ones. Wiring only.
struct TranslationsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "translations",
        abstract: "List each language's translations (up to date, stale, not reviewed, missing) and mark reviewed ones.",
        discussion: """
            For every language of course.yml's `languages:` other than the default, prints each page \
            that has an original (the home page's and chapters' _index.md, every lesson) with its \
            translation's state: up to date (reviewed against the original as it is now), stale (the \
            original changed since the review), not reviewed (no source-hash yet) or missing. \
            --mark writes the original's current hash as `source-hash:` into the translation's front \
            matter once a translator has reviewed it against the original.

            Examples:
              hypercourse translations
              hypercourse translations --mark content/05-kvm/01-kvm-architecture.zh.md
              hypercourse translations --mark-all zh
            """
    )

    @Option(name: .long, help: "The course's content folder.")
    var content: String = "content"

    @Option(name: .long, parsing: .upToNextOption, help: "Translation files to mark as reviewed against their original as it is now.")
    var mark: [String] = []

    @Option(name: .long, help: "Mark every existing translation of this language as reviewed.")
    var markAll: String?

    func run() async throws {
        let builder = SiteBuilder(options: BuildOptions(contentDirectory: URL(fileURLWithPath: content), includeDrafts: true))
        let entries: [TranslationEntry]
        do {
            entries = try builder.translationEntries()
        } catch let failure as BuildFailure {
            failure.errors.forEach { printError($0.description) }
            throw ExitCode(1)
        }
        guard !entries.isEmpty || !(mark.isEmpty && markAll == nil) else {
            print("This course has one language: course.yml lists no other under 'languages:'.")
            return
        }
        if mark.isEmpty && markAll == nil {
            TranslationTable.lines(entries).forEach { print($0) }
            return
        }
        try markReviewed(entries)
    }

    private func markReviewed(_ entries: [TranslationEntry]) throws {
        var chosen: [TranslationEntry] = []
        var failed = false
        for path in mark {
            let url = URL(fileURLWithPath: path).standardizedFileURL
            guard let entry = entries.first(where: { $0.translation.standardizedFileURL == url }) else {
                printError("\(path): error: not a translation of a page of this course (expected NAME.<language>.md beside NAME.md)")
                failed = true
                continue
            }
            chosen.append(entry)
        }
        if let language = markAll {
            guard entries.contains(where: { $0.language == language }) else {
                printError("error: '\(language)' is not a translation language of this course")
                throw ExitCode(1)
            }
            chosen += entries.filter { $0.language == language && $0.state != .missing }
        }
        for entry in chosen {
            do {
                try TranslationMarker.mark(entry)
                print("marked \(DisplayPath.of(entry.translation)) (source-hash \(entry.currentHash))")
            } catch let error as SiteError {
                printError(error.description)
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }
}

/// The table `translations` prints: per language a count line, then each page's state and file.
enum TranslationTable {
    static func lines(_ entries: [TranslationEntry]) -> [String] {
        var lines: [String] = []
        var languages: [String] = []
        for entry in entries where !languages.contains(entry.language) { languages.append(entry.language) }
        for language in languages {
            let own = entries.filter { $0.language == language }
            let counts = Translation.State.allCases.map { state in "\(own.filter { $0.state == state }.count) \(state.rawValue)" }
            if !lines.isEmpty { lines.append("") }
            lines.append("\(language): \(own.count) pages: \(counts.joined(separator: ", "))")
            let width = Translation.State.allCases.map(\.rawValue.count).max() ?? 0
            for entry in own {
                let state = entry.state.rawValue.padding(toLength: width, withPad: " ", startingAt: 0)
                lines.append("  \(state)  \(DisplayPath.of(entry.translation))")
            }
        }
        return lines
    }
}
