import ArgumentParser

/// The command-line entry point. Wiring only: every command delegates to a library module.
@main
struct Hypercourse: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hypercourse",
        abstract: "Build a virtualization course whose exercises run on a built-in KVM hypervisor.",
        subcommands: [
            InitCommand.self, BuildCommand.self, ServeCommand.self, NewCommand.self, RunCommand.self, CheckCommand.self,
            PromoteCommand.self,
            TranslationsCommand.self
        ]
    )
}
