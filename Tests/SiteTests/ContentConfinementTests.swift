import Common
import Foundation
import Testing

@testable import Site

/// B4 and the output folder's guards, through real builds: a course's `templates:` stays inside the
/// content folder, the site never holds a symlink into the building machine, and the folders a
/// build reads are never the folder it replaces.
@Suite struct ContentConfinementTests {
    let scratch = Scratch()
    let fm = FileManager.default

    func course(templates: String) -> URL {
        scratch.write(["course.yml": "title: T\ntemplates: \(templates)\n", "01-ch/01-a.md": "---\ntitle: A\n---\n\n## Alpha\n"])
    }

    @Test(arguments: [
        ("../evil", "templates folder '../evil' leads outside the content folder"),
        ("../../evil", "templates folder '../../evil' leads outside the content folder"),
        ("/etc", "templates folder '/etc' must be relative to the content folder"),
        ("theme/../../evil", "templates folder 'theme/../../evil' leads outside the content folder")
    ])
    func aCourseTemplatesFolderOutsideTheContentFolderIsRefused(written: String, message: String) async throws {
        // The folder exists, so only the containment check can refuse it.
        scratch.write(["assets/evil.css": "body{}"], in: "evil")
        let content = course(templates: written)
        let errors = await buildErrors(content, into: scratch)
        #expect(errors.map(\.message) == [message])
        #expect(errors.first?.line == 2 && errors.first?.file?.hasSuffix("course.yml") == true)
        #expect(!scratch.exists("out"))
    }

    @Test func aCourseTemplatesFolderThatIsASymlinkOutIsRefused() async throws {
        let outside = scratch.write(["assets/x.css": "body{}"], in: "elsewhere")
        let content = course(templates: "theme")
        try fm.createSymbolicLink(at: content.appendingPathComponent("theme"), withDestinationURL: outside)
        let errors = await buildErrors(content, into: scratch)
        #expect(errors.map(\.message) == ["templates folder 'theme' is a symlink that leads outside the content folder"])
    }

    @Test func aSymlinkedAssetInTheCourseThemeLeadingOutIsRefused() async throws {
        let content = course(templates: "theme")
        scratch.write(["theme/assets/own.css": "body{}"])
        try fm.createSymbolicLink(
            at: content.appendingPathComponent("theme/assets/host.txt"), withDestinationURL: URL(fileURLWithPath: "/etc/hostname"))
        let errors = await buildErrors(content, into: scratch)
        #expect(errors.count == 1 && errors.first?.message.contains("a symlink that leads outside the content folder") == true)
        #expect(errors.first?.file?.hasSuffix("theme/assets/host.txt") == true)
    }

    /// Assets are copied as contents: `copyItem` kept symlinks, so the site pointed into the machine
    /// that built it. A `--templates` theme is trusted, but what lands in the site is a plain file.
    @Test func themeAssetsAreCopiedAsFilesNeverAsSymlinks() async throws {
        let content = scratch.write(["01-ch/01-a.md": "---\ntitle: A\n---\n\n## Alpha\n"])
        let real = scratch.write(["real.css": "/* shared */"], in: "shared")
        let theme = scratch.write([:], in: "my-theme")
        try fm.createDirectory(at: theme.appendingPathComponent("assets"), withIntermediateDirectories: true)
        try fm.createSymbolicLink(
            at: theme.appendingPathComponent("assets/linked.css"), withDestinationURL: real.appendingPathComponent("real.css"))
        _ = try await build(content, into: scratch, templates: theme)
        let copied = scratch.url.appendingPathComponent("out/assets/linked.css")
        let type = try fm.attributesOfItem(atPath: copied.path)[.type] as? FileAttributeType
        #expect(type == .typeRegular)
        #expect(scratch.read("out/assets/linked.css") == "/* shared */")
        // And nothing in the whole site is a symlink.
        let walker = fm.enumerator(at: scratch.url.appendingPathComponent("out"), includingPropertiesForKeys: [.isSymbolicLinkKey])
        while let url = walker?.nextObject() as? URL {
            #expect(try url.resourceValues(forKeys: [.isSymbolicLinkKey]).isSymbolicLink == false, "\(url.path)")
        }
    }

    /// SiteBuilder itself refuses an output folder that holds the theme or `--templates` folder, so
    /// every caller gets the check, not only the CLI.
    @Test func theBuildNeverReplacesAFolderItReads() async throws {
        let content = scratch.write(["01-ch/01-a.md": "---\ntitle: A\n---\n"])
        let theme = scratch.write(["assets/x.css": "x"], in: "site/theme")
        let options = BuildOptions(
            contentDirectory: content, outputDirectory: scratch.url.appendingPathComponent("site"),
            templatesDirectory: theme, force: true)
        await #expect(throws: BuildFailure.self) { try await SiteBuilder(options: options).build() }
        #expect(scratch.read("site/theme/assets/x.css") == "x")
        // course.yml's own folder too: an output folder holding it is refused.
        let inner = scratch.write(
            ["course.yml": "title: T\ntemplates: theme\n", "theme/assets/y.css": "y", "01-ch/01-a.md": "---\ntitle: A\n---\n"], in: "c2")
        let options2 = BuildOptions(contentDirectory: inner, outputDirectory: inner.appendingPathComponent("theme"), force: true)
        await #expect(throws: BuildFailure.self) { try await SiteBuilder(options: options2).build() }
        #expect(scratch.read("c2/theme/assets/y.css") == "y")
    }

    /// The warning `commit()` returns reaches the summary and the event stream, not only stderr.
    @Test func aStaleOldSiteIsAWarningInTheSummary() async throws {
        let content = scratch.write(["01-ch/01-a.md": "---\ntitle: A\n---\n"])
        _ = try await build(content, into: scratch)
        let options = BuildOptions(contentDirectory: content, outputDirectory: scratch.url.appendingPathComponent("out"))
        let seen = LockedWarnings()
        var builder = SiteBuilder(options: options) { if case .warning(let warning) = $0 { seen.append(warning) } }
        struct Stuck: Error {}
        builder.replacedSiteRemover = { _ in throw Stuck() }
        let summary = try await builder.build()
        let message = "the new site is in place, but the previous one could not be deleted"
        #expect(summary.warnings.contains { $0.message.contains(message) })
        #expect(summary.description.contains("1 warning"))
        #expect(seen.all.contains { $0.message.contains(message) })
    }
}

final class LockedWarnings: @unchecked Sendable {
    private let lock = NSLock()
    private var warnings: [SiteWarning] = []
    func append(_ warning: SiteWarning) { lock.withLock { warnings.append(warning) } }
    var all: [SiteWarning] { lock.withLock { warnings } }
}
