import ArgumentParser
import Foundation
import Site

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Build the course, serve it on 127.0.0.1 and rebuild on every change.",
        discussion: """
            Serves the output folder on the loopback interface only. When a lesson, course.yml or a \
            template changes, the site is rebuilt and open pages reload themselves; a failed rebuild \
            keeps the last good site and shows the error on the page.

            Examples:
              hypercourse serve
              hypercourse serve --port 8080
              hypercourse serve --content course/ --drafts
            """
    )

    @Option(name: .long, help: "The port on 127.0.0.1.")
    var port: UInt16 = 8000

    @Option(name: .long, help: "The course's content folder.")
    var content: String = "content"

    @Option(name: .long, help: "The output folder (replaced on every build).")
    var out: String = "public"

    @Option(name: .long, help: "A templates folder whose files override the built-in theme's by name.")
    var templates: String?

    @Flag(name: .long, help: "Include lessons marked `draft: true`.")
    var drafts = false

    @Flag(name: .long, help: "Replace the output folder even if hypercourse did not create it.")
    var force = false

    func run() async throws {
        let options = BuildOptions(
            contentDirectory: URL(fileURLWithPath: content), outputDirectory: URL(fileURLWithPath: out),
            templatesDirectory: templates.map { URL(fileURLWithPath: $0) }, includeDrafts: drafts, force: force)
        let provider = BuildCommand.exerciseProvider(contentDirectory: options.contentDirectory)
        try await BuildCommand.build(options, exercises: provider, quiet: true, exitOnFailure: false)

        let server: DevServer
        do {
            server = try DevServer(root: options.outputDirectory, port: port)
        } catch let error as SiteError {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(1)
        }
        server.start()
        print("Serving \(options.outputDirectory.path) on http://127.0.0.1:\(server.port)/ (rebuilds on change; Ctrl-C stops)")
        fflush(nil)

        var watched = [options.contentDirectory]
        if let templates = options.templatesDirectory { watched.append(templates) }
        if let theme = options.themeDirectory ?? BuildOptions.builtInThemeDirectory() { watched.append(theme) }
        var watcher = ChangeWatcher(folders: watched)
        while true {
            try await Task.sleep(for: .milliseconds(400))
            guard watcher.changed() else { continue }
            // Let an editor finish writing (several files, temp-file renames) before building.
            try await Task.sleep(for: .milliseconds(150))
            _ = watcher.changed()
            let failure = FailureCapture()
            let summary = try await BuildCommand.build(options, exercises: provider, quiet: true, exitOnFailure: false, failures: failure)
            fflush(nil)
            if summary != nil { server.reload() } else { server.showFailure(failure.text) }
        }
    }
}
