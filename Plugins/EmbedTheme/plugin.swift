import Foundation
import PackagePlugin

/// Puts the built-in theme (`templates/` at the top of the package) into the Site module as
/// generated Swift source, so an installed `hypercourse` copied anywhere needs no file beside it.
/// SwiftPM resources would not do: on Linux `Bundle.module` looks for a resource bundle next to the
/// executable, which a binary copied alone does not have.
///
/// Every theme file is an input of the command, so editing one regenerates the source. SwiftPM asks
/// a plugin for its commands only when the package's structure changes (a target folder gains or
/// loses a file); `Plugins/EmbedTheme/templates` is a symlink to `templates/` so that a file added
/// to or removed from the theme counts as such a change (the manifest excludes it from this target).
@main
struct EmbedTheme: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL.appending(path: "templates")
        let files = try Self.files(under: root)
        let output = context.pluginWorkDirectoryURL.appending(path: "BuiltInTheme+Files.swift")
        return [.buildCommand(
            displayName: "Embedding the built-in theme into \(target.name)",
            executable: try context.tool(named: "EmbedFiles").url,
            arguments: ["BuiltInThemeFiles", root.path, output.path] + files,
            inputFiles: files.map { root.appending(path: $0) },
            outputFiles: [output])]
    }

    /// Relative paths of the regular files under `root`, sorted. Names starting with `.` are left
    /// out, as the theme loader leaves them out of a templates folder.
    static func files(under root: URL) throws -> [String] {
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: root.path) else { throw EmbedError("no templates/ folder at \(root.path)") }
        var files: [String] = []
        for case let relative as String in walker {
            if relative.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { continue }
            var isDirectory: ObjCBool = false
            if fm.fileExists(atPath: root.appending(path: relative).path, isDirectory: &isDirectory), !isDirectory.boolValue {
                files.append(relative)
            }
        }
        return files.sorted()
    }
}

struct EmbedError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
