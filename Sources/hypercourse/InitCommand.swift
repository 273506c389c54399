import ArgumentParser
import Common
import Foundation
import Site

/// What `init` and `new course` take: where, the title, and whether a non-empty folder is fine.
struct NewCourseOptions: ParsableArguments {
    @Argument(help: "The folder for the course (created if missing; default: the current folder).")
    var directory: String = "."

    @Option(name: .long, help: "The course title (default: from the folder's name).")
    var title: String?

    @Flag(name: .long, help: "Add the starter files to a folder that is not empty (no existing file is replaced).")
    var force = false

    func create() throws {
        let folder = URL(fileURLWithPath: directory)
        do {
            let written = try Scaffold.newCourse(in: folder, title: title, force: force)
            let place = directory == "." ? "this folder" : directory
            print("Started a course in \(place):")
            for path in written { print("  \(path)") }
            print("\nNext:")
            if directory != "." { print("  cd \(ShellWord.quoted(directory))") }
            print("  hypercourse build     # runs the exercises on KVM, records their results, writes public/")
            print("  hypercourse serve     # http://127.0.0.1:8000, rebuilt on every save")
        } catch let error as SiteError {
            printError(error.description)
            throw ExitCode(1)
        }
    }
}

struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Start a new course: course.yml, a chapter, lessons with exercises, a .gitignore, a GitHub Pages workflow.",
        discussion: """
            The starter course builds at once and explains the format as you read it: open \
            content/01-first-steps/01-hello-guest.md first. Same as `hypercourse new course`.

            Examples:
              hypercourse init my-course
              hypercourse init --title "Virtualization, Hands On"
            """
    )

    @OptionGroup var options: NewCourseOptions

    func run() async throws { try options.create() }
}

struct NewCourseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "course",
        abstract: "Start a new course (the same as `hypercourse init`).",
        discussion: """
            Examples:
              hypercourse new course my-course
              hypercourse new course my-course --title "Virtualization, Hands On"
            """
    )

    @OptionGroup var options: NewCourseOptions

    func run() async throws { try options.create() }
}
