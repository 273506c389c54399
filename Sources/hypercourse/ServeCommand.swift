import ArgumentParser
import Exercises
import Foundation
import Site

/// `hypercourse serve`. Wiring only: building is `BuildCommand.build`, serving `Site.DevServer`,
/// noticing edits `Site.ChangeWatcher`.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Build the course, serve it on 127.0.0.1 and rebuild on every change.",
        discussion: """
            Serves the output folder on the loopback interface only. When a lesson, course.yml or a \
            template changes, the site is rebuilt and open pages reload themselves; a failed rebuild \
            keeps the last good site and shows the error on the page.

            Served pages have a playground: each exercise card can be edited and run on this \
            machine (Edit, Run, Reset, Compare), built and run as the build does it. Nothing it \
            does is written to the course, its records or the output folder.

            Examples:
              hypercourse serve
              hypercourse serve --port 8080
              hypercourse serve --port 0                # any free port
              hypercourse serve --content course/ --drafts
            """
    )

    @Option(name: .long, help: "The port on 127.0.0.1 (0 to 65535; 0 picks a free one).")
    var port: UInt16 = 8000

    @OptionGroup var site: SiteOptions

    func run() async throws {
        Interrupts.install()
        let options = site.buildOptions
        let provider = BuildCommand.exerciseProvider(content: site.content)
        // Watching starts before the first build, so an edit saved while it runs starts the next.
        var watcher = ChangeWatcher(watching: options)
        let first = await BuildCommand.build(options, exercises: provider, quiet: true)
        watcher.absorb((try? first.get())?.contentFilesWritten ?? [])

        // The playground runs a student's edit of a card with the exercises of the site being served.
        let playground = PlaygroundEndpoint(playground: PlaygroundAdapter(playground: Playground(engine: provider.engine)))
        playground.serve((try? first.get())?.served)
        let server = DevServer(root: options.outputDirectory, port: port, endpoints: [playground.endpoint, playground.highlightEndpoint])
        do {
            try await server.start()
        } catch let error as SiteError {
            printError(error.description)
            throw ExitCode(1)
        }
        if case .failure(let failure) = first { server.showFailure(failure.description) }
        print("Serving \(options.outputDirectory.path) on http://127.0.0.1:\(server.port)/ (rebuilds on change; Ctrl-C stops)")
        fflush(nil)

        while true {
            try await Task.sleep(for: .milliseconds(400))
            guard watcher.changed() else { continue }
            // Let an editor finish writing (several files, temp-file renames) before building.
            try await Task.sleep(for: .milliseconds(150))
            _ = watcher.changed()
            let result = await BuildCommand.build(options, exercises: provider, quiet: true)
            watcher.absorb((try? result.get())?.contentFilesWritten ?? [])
            fflush(nil)
            switch result {
            case .success(let summary):
                playground.serve(summary.served)
                server.reload()
            case .failure(let failure): server.showFailure(failure.description)
            }
        }
    }
}
