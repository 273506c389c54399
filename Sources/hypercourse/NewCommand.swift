import ArgumentParser
import Foundation
import Site

struct NewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Create course files from a template.",
        discussion: """
            Examples:
              hypercourse new lesson 05-kvm "The run loop"
              hypercourse new lesson kvm "Dirty page logging"
              hypercourse new lesson 10-nesting "Nested virtualization" --create-chapter
            """,
        subcommands: [NewLessonCommand.self]
    )
}

struct NewLessonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lesson",
        abstract: "Create a lesson file with front matter in a chapter.",
        discussion: """
            The file is numbered after the chapter's existing lessons (05-kvm/04-the-run-loop.md) and \
            starts with front matter to fill in.

            Examples:
              hypercourse new lesson 05-kvm "The run loop"
              hypercourse new lesson kvm "Dirty page logging" --content course/
            """
    )

    @Argument(help: "The chapter: its folder name (05-kvm) or slug (kvm).")
    var chapter: String

    @Argument(help: "The lesson title.")
    var title: String

    @Option(name: .long, help: "The course's content folder.")
    var content: String = "content"

    @Flag(name: .long, help: "Create the chapter folder if it does not exist.")
    var createChapter = false

    func run() async throws {
        do {
            let file = try Scaffold.newLesson(contentDirectory: URL(fileURLWithPath: content), chapter: chapter, title: title, createChapter: createChapter)
            print("Created \(file.path)")
        } catch let error as SiteError {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
