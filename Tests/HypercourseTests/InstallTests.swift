import Foundation
import Testing

/// `./make.sh install` and the installed binary on its own: a course started with `init` in an empty
/// folder outside the repository builds and checks with nothing but the one installed file.
@Suite(.enabled(if: kvmPresent, "skipped: /dev/kvm is absent on this machine (the starter course's exercises run on KVM)"))
struct InstallTests {
    @Test(.timeLimit(.minutes(5)))
    func theInstalledBinaryStandsAlone() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("hc-install-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let prefix = scratch.appendingPathComponent("prefix"), work = scratch.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)

        // The debug build `swift test` has just made (a nested `swift build` would wait for this
        // process's build lock forever).
        let install = try await FixtureCourse.run(
            URL(fileURLWithPath: "/bin/bash"),
            [Repo.root.appendingPathComponent("make.sh").path, "install", "--prefix", prefix.path, "--debug", "--no-build"],
            in: Repo.root)
        #expect(install.status == 0, "\(install.stderr)")
        #expect(Self.files(under: prefix) == ["bin/hypercourse"], "install copies the one file and nothing else")
        let tool = prefix.appendingPathComponent("bin/hypercourse")

        let hidden = await RepoHidden(repo: Repo.root)
        if hidden.canHide {
            let probe = try await hidden.run(
                URL(fileURLWithPath: "/bin/sh"), ["-c", "test ! -e \"$0/Package.swift\"", Repo.root.path], in: work)
            #expect(probe.status == 0, "the repository is out of sight of what runs hidden")
        }
        let started = try await hidden.run(tool, ["init", "course", "--title", "A \"quoted\" course"], in: work)
        #expect(started.status == 0, "\(started.stderr)")
        let course = work.appendingPathComponent("course")
        for step in [["build"], ["check"], ["new", "lesson", "first-steps", "虚拟化"], ["build", "--quiet"]] {
            let result = try await hidden.run(tool, step, in: course)
            #expect(result.status == 0, "\(step): \(result.stderr)")
        }
        // The theme came from the binary: the stylesheet and the script are the repository's templates.
        let style = try String(contentsOf: course.appendingPathComponent("public/assets/style.css"), encoding: .utf8)
        let base = try String(contentsOf: Repo.root.appendingPathComponent("templates/assets/style/10-base.css"), encoding: .utf8)
        #expect(style.hasPrefix(base))
        #expect(
            FileManager.default.contentsEqual(
                atPath: course.appendingPathComponent("public/assets/site.js").path,
                andPath: Repo.root.appendingPathComponent("templates/assets/site.js").path))
        let page = try String(contentsOf: course.appendingPathComponent("public/first-steps/hello-guest.html"), encoding: .utf8)
        #expect(page.contains("A &quot;quoted&quot; course") || page.contains("A \"quoted\" course"))
        #expect(page.contains("1 + 4 + 9 = 14"), "the C exercise ran: the runtime travels in the binary too")
        #expect(FileManager.default.fileExists(atPath: course.appendingPathComponent("public/first-steps/xu-ni-hua.html").path))
        #expect(!page.contains(Repo.root.path), "the page names nothing of the repository")
    }

    /// Every regular file under `folder`, relative to it.
    static func files(under folder: URL) -> [String] {
        let walker = FileManager.default.enumerator(atPath: folder.path)
        var files: [String] = []
        while let path = walker?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent(path).path, isDirectory: &isDirectory),
                !isDirectory.boolValue
            {
                files.append(path)
            }
        }
        return files.sorted()
    }
}

/// Runs programs with the repository out of sight: in a private mount namespace an empty tmpfs is
/// mounted over it, so anything the program would read from the checkout (templates/, the C runtime,
/// .build/) is simply not there. Needs root and util-linux's unshare (as on CI); elsewhere the
/// program runs as it is, still from a folder outside the repository.
struct RepoHidden {
    let repo: URL
    let canHide: Bool

    init(repo: URL) async {
        self.repo = repo
        let probe = try? await FixtureCourse.run(
            URL(fileURLWithPath: "/usr/bin/unshare"), Self.hiding(repo, ["/bin/true"]), in: URL(fileURLWithPath: "/"))
        canHide = probe?.status == 0
    }

    static func hiding(_ repo: URL, _ command: [String]) -> [String] {
        [
            "--mount", "--propagation", "private", "--", "/bin/sh", "-c",
            "mount -t tmpfs -o size=1m,mode=0555 hidden \"$0\" && exec \"$@\"", repo.path
        ] + command
    }

    func run(_ program: URL, _ arguments: [String], in folder: URL) async throws -> FixtureCourse.Outcome {
        guard canHide else { return try await FixtureCourse.run(program, arguments, in: folder) }
        return try await FixtureCourse.run(
            URL(fileURLWithPath: "/usr/bin/unshare"), Self.hiding(repo, [program.path] + arguments), in: folder)
    }
}
