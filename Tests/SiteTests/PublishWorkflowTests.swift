import Foundation
import Testing
import Yams

@testable import Site

/// The GitHub Actions workflow `hypercourse init` writes, read back as YAML: the jobs and steps
/// publishing relies on, in the order that matters, and shell scripts that parse.
@Suite struct PublishWorkflowTests {
    let scratch = Scratch()

    func workflow() throws -> Node {
        let folder = scratch.url.appendingPathComponent("course")
        let written = try Scaffold.newCourse(in: folder)
        #expect(written.contains(".github/workflows/publish.yml"))
        let text = try String(contentsOf: folder.appendingPathComponent(".github/workflows/publish.yml"), encoding: .utf8)
        return try #require(try Yams.compose(yaml: text))
    }

    @Test func triggersAndPermissionsAreThoseGitHubPagesNeeds() throws {
        let flow = try workflow()
        #expect(flow["on"]?["push"]?["branches"]?.sequence?.compactMap(\.string) == ["main"])
        #expect(flow["on"]?["workflow_dispatch"] != nil)
        #expect(flow["permissions"]?["pages"]?.string == "write")
        #expect(flow["permissions"]?["id-token"]?.string == "write")
        #expect(flow["permissions"]?["contents"]?.string == "read")
        #expect(flow["concurrency"]?["group"]?.string == "pages")
    }

    @Test func buildJobBuildsChecksAndUploadsTheSite() throws {
        let build = try #require(try workflow()["jobs"]?["build"])
        #expect(build["runs-on"]?.string == "ubuntu-latest")
        #expect(build["container"]?["image"]?.string?.hasPrefix("swift:6.") == true)
        #expect(build["container"]?["options"]?.string?.contains("--device /dev/kvm") == true)
        let steps = try #require(build["steps"]?.sequence)
        func index(_ matches: (Node) -> Bool) -> Int { steps.firstIndex(where: matches) ?? -1 }
        let checkout = index { $0["uses"]?.string?.hasPrefix("actions/checkout@") == true }
        let buildTool = index { $0["run"]?.string?.contains("swift build -c release --product hypercourse") == true }
        let buildCourse = index { $0["run"]?.string == "hypercourse build" }
        let check = index { $0["run"]?.string == "hypercourse check" }
        let upload = index { $0["uses"]?.string?.hasPrefix("actions/upload-pages-artifact@") == true }
        #expect(checkout >= 0 && buildTool > checkout && buildCourse > buildTool && check > buildCourse && upload > check)
        #expect(upload >= 0 && steps[upload]["with"]?["path"]?.string == "public")
    }

    /// Every Debian package make.sh installs to build the tool is installed by the workflow too.
    @Test func buildJobInstallsWhatMakeShInstallsForTheBuild() throws {
        let install = try #require(
            try workflow()["jobs"]?["build"]?["steps"]?.sequence?.compactMap { $0["run"]?.string }.first { $0.contains("apt-get install") })
        let makeScript = try String(contentsOf: Repo.root.appendingPathComponent("make.sh"), encoding: .utf8)
        let line = try #require(makeScript.split(separator: "\n").first { $0.hasPrefix("BUILD_DEBS=(") })
        let packages = line.dropFirst("BUILD_DEBS=(".count).prefix { $0 != ")" }.split(separator: " ")
        #expect(packages.count >= 5)
        let installed = Set(install.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\\" }).map(String.init))
        for package in packages { #expect(installed.contains(String(package)), "\(package) is not installed by the workflow") }
    }

    @Test func deployJobPublishesTheUploadedSite() throws {
        let deploy = try #require(try workflow()["jobs"]?["deploy"])
        #expect(deploy["needs"]?.string == "build")
        #expect(deploy["environment"]?["name"]?.string == "github-pages")
        #expect(deploy["environment"]?["url"]?.string == "${{ steps.deployment.outputs.page_url }}")
        let step = try #require(deploy["steps"]?.sequence?.first)
        #expect(step["id"]?.string == "deployment")
        #expect(step["uses"]?.string?.hasPrefix("actions/deploy-pages@") == true)
    }

    /// A container job's steps run with `sh -e`: each script must parse as one.
    @Test func everyRunScriptParsesAsShell() throws {
        let steps = try #require(try workflow()["jobs"]?["build"]?["steps"]?.sequence)
        let scripts = steps.compactMap { $0["run"]?.string }
        #expect(scripts.count >= 5)
        for script in scripts {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-n", "-c", script]
            let errors = Pipe()
            process.standardError = errors
            try process.run()
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(script)\n\(message)")
        }
    }
}
