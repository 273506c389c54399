import ArgumentParser
import Foundation
import Site

struct NewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Create course files from a template.",
        discussion: """
            Examples:
              hypercourse new course my-course
              hypercourse new lesson 05-kvm "The run loop"
              hypercourse new lesson kvm "Dirty page logging"
              hypercourse new lesson 10-nesting "Nested virtualization" --create-chapter
            """,
        subcommands: [NewLessonCommand.self, NewCourseCommand.self]
    )
}

struct NewLessonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lesson",
        abstract: "Create a lesson file with front matter in a chapter.",
        discussion: """
            The file is numbered after the chapter's existing lessons (05-kvm/04-the-run-loop.md) and \
            starts with front matter to fill in. Its name comes from the title, transliterated to \
            Latin letters when the title is in another script (虚拟化 → xu-ni-hua); --slug chooses it.

            Examples:
              hypercourse new lesson 05-kvm "The run loop"
              hypercourse new lesson kvm "Dirty page logging" --content course/
              hypercourse new lesson kvm "内存虚拟化" --slug memory
            """
    )

    @Argument(help: "The chapter: its folder name (05-kvm) or slug (kvm).")
    var chapter: String

    @Argument(help: "The lesson title.")
    var title: String

    @Option(name: .long, help: "The course's content folder.")
    var content: String = "content"

    @Option(name: .long, help: "The lesson's slug: its file name and address (a-z, 0-9, '-', '_', '.'). Default: from the title.")
    var slug: String?

    @Flag(name: .long, help: "Create the chapter folder if it does not exist.")
    var createChapter = false

    func run() async throws {
        do {
            let file = try Scaffold.newLesson(
                contentDirectory: URL(fileURLWithPath: content), chapter: chapter, title: title, slug: slug,
                createChapter: createChapter)
            print("Created \(file.path)")
            if slug == nil && LessonSlug.usesFallback(title) {
                print("note: the title has no letters to name the file after; pass --slug NAME to choose its name")
            }
        } catch let error as SiteError {
            printError(error.description)
            throw ExitCode(1)
        }
    }
}
