import Exercises
import Foundation
import Hypervisor
import Testing

/// `hypercourse build`, `check` and `promote`, as the built binary, on the fixture course.
@Suite(.enabled(if: kvmPresent, "skipped: /dev/kvm is absent on this machine"))
struct CommandTests {
    static let record = "content/01-modes/01-assembly.exercises.json"

    @Test func editedRecordFailsCheckWithADiffUntilPromoted() async throws {
        let course = FixtureCourse()
        let built = try await course.run(["build", "-q"])
        #expect(built.status == 0, "\(built.stderr)")
        #expect(built.stderr.contains("recorded 'fx-real' (new) in content/01-modes/01-assembly.exercises.json"))
        #expect(built.stdout.contains("exercises: 16 run, 0 from the record"))
        #expect(try await course.run(["check"]).status == 0)

        // Someone edits the record by hand: check fails with a unified diff naming the exercise.
        course.edit(Self.record) { $0.replacingOccurrences(of: "\"R\\n\"", with: "\"X\\n\"") }
        let failed = try await course.run(["check"])
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("content/01-modes/01-assembly.md:6: error: exercise 'fx-real': the result differs from the record"))
        #expect(failed.stderr.contains("--- record (recorded ") && failed.stderr.contains("+++ this run (on "))
        #expect(failed.stderr.contains("\n-| X\n+| R\n"))
        #expect(failed.stderr.contains("check failed: 1 problem"))

        let promoted = try await course.run(["promote", "fx-real"])
        #expect(promoted.status == 0, "\(promoted.stderr)")
        #expect(
            promoted.stdout.contains("promoted 'fx-real' in content/01-modes/01-assembly.exercises.json:")
                && promoted.stdout.contains("+| R"))
        #expect(promoted.stdout.contains("promote: 1 exercise run twice; 1 changed"))
        let checked = try await course.run(["check"])
        #expect(checked.status == 0 && checked.stdout.contains("check: all 16 exercises match their records"))
        // Promoting a whole lesson by path.
        let lesson = try await course.run(["promote", "content/01-modes/02-c.md"])
        #expect(
            lesson.status == 0 && lesson.stdout.contains("promote: 3 exercises run twice; 0 changed, 0 new, 0 keys refreshed, 3 unchanged"))
    }

    @Test func withoutKVMTheBuildShowsTheRecords() async throws {
        let course = FixtureCourse()
        #expect(try await course.run(["build", "-q"]).status == 0)
        let offline = try await course.run(["build", "-q", "--kvm-device", "/nonexistent/kvm"])
        #expect(offline.status == 0, "\(offline.stderr)")
        #expect(offline.stdout.contains("exercises: 0 run, 16 from the record (not rerun)"))
        #expect(offline.stderr.contains("KVM is unavailable (/nonexistent/kvm does not exist"))
        #expect(
            course.figure("fx-real").contains("badge-recorded") && course.figure("fx-real").contains("Recorded, not rerun in this build"))
        #expect(course.figure("fx-real").contains("<samp>R\n</samp>"))

        // Source changed since recorded: shown, warned on the page and in the summary.
        course.edit("content/01-modes/01-assembly.md") { $0.replacingOccurrences(of: "mov al, 'R'", with: "mov al, 'S'") }
        let stale = try await course.run(["build", "-q", "--kvm-device", "/nonexistent/kvm"])
        #expect(stale.status == 0)
        #expect(stale.stderr.contains("content/01-modes/01-assembly.md:6: warning: exercise 'fx-real': source changed since recorded"))
        #expect(stale.stdout.contains("1 with source changed since recorded; 1 warning"))
        #expect(course.figure("fx-real").contains("badge-stale") && course.figure("fx-real").contains("<samp>R\n</samp>"))
        #expect(!course.figure("fx-user").contains("badge-stale"))

        // No record at all: an error naming the exercise, and public/ is left alone.
        let before = course.read("public/index.html")
        try FileManager.default.removeItem(at: course.root.appendingPathComponent("content/01-modes/02-c.exercises.json"))
        let missing = try await course.run(["build", "-q", "--kvm-device", "/nonexistent/kvm"])
        #expect(missing.status == 1)
        #expect(
            missing.stderr.contains(
                "content/01-modes/02-c.md:6: error: exercise 'fx-c-long' has no verified record, and it cannot run here"))
        #expect(missing.stderr.contains("build failed: 3 errors"))
        #expect(course.read("public/index.html") == before)

        // check and promote: one clear line.
        for command in ["check", "promote"] {
            let refused = try await course.run([command, "--kvm-device", "/nonexistent/kvm"])
            #expect(refused.status == 1)
            #expect(
                refused.stderr
                    == "error: \(command) needs KVM to run the exercises, and it is unavailable: /nonexistent/kvm does not exist: this machine has no KVM (load kvm_intel, kvm_amd or kvm_pvm)\n"
            )
        }
    }

    @Test(arguments: [
        ("mov al, 'R'", "frobnicate al", "content/01-modes/01-assembly.md:12: error: assembler error"),
        (
            "id=fx-real mode=real trace steps=4", "id=fx-real mode=real trace steps=4 colour=blue",
            "content/01-modes/01-assembly.md:6: error: unknown exercise option 'colour'"
        ),
        ("id=fx-real mode=real", "id=fx-real mode=virtual86", "content/01-modes/01-assembly.md:6: error: unknown mode 'virtual86'"),
        (
            "id=fx-user mode=user expect=exit:7", "id=fx-user mode=user expect=success",
            "content/01-modes/01-assembly.md:43: error: unknown expectation 'success'"
        ),
        (
            "id=fx-protected", "id=fx-real",
            "content/01-modes/01-assembly.md:21: error: duplicate exercise id 'fx-real' (first used at content/01-modes/01-assembly.md:6)"
        ),
        ("src=hello64.asm", "src=nowhere.asm", "content/01-modes/01-assembly.md:38: error: source file 'nowhere.asm' not found"),
        (
            "src=hello64.asm", "src=../../../etc/hostname",
            "content/01-modes/01-assembly.md:38: error: src path '../../../etc/hostname' leads outside the content folder"
        ),
        (
            "    mov al, 7\n", "    rdtsc\n    mov dx, 0x3f8\n    out dx, al\n    mov al, ah\n    out dx, al\n    mov al, 7\n",
            "content/01-modes/01-assembly.md:43: error: exercise 'fx-user' is non-deterministic"
        )
    ])
    func badInputFailsAtTheLessonLineAndLeavesPublicAlone(find: String, replace: String, message: String) async throws {
        let course = FixtureCourse()
        #expect(try await course.run(["build", "-q"]).status == 0)
        let marker = course.read("public/.hypercourse-output"), index = course.read("public/index.html")
        let page = try #require(
            try FileManager.default.attributesOfItem(atPath: course.root.appendingPathComponent("public/index.html").path)[
                .modificationDate] as? Date)
        let record = course.read(Self.record)
        course.edit("content/01-modes/01-assembly.md") { $0.replacingOccurrences(of: find, with: replace) }
        let result = try await course.run(["build", "-q"])
        #expect(result.status == 1)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stderr.contains("left unchanged"))
        #expect(course.read("public/.hypercourse-output") == marker && course.read("public/index.html") == index)
        let after =
            try FileManager.default.attributesOfItem(atPath: course.root.appendingPathComponent("public/index.html").path)[
                .modificationDate] as? Date
        #expect(after == page)
        #expect(course.read(Self.record) == record)
    }
}

/// `--force` never replaces a folder the build reads from.
struct ForceTests {
    @Test func forceDoesNotReplaceAFolderHoldingTheTemplates() async throws {
        let course = FixtureCourse()
        let site = course.root.appendingPathComponent("site")
        let theme = site.appendingPathComponent("theme")
        try FileManager.default.createDirectory(at: theme, withIntermediateDirectories: true)
        try "<p>mine</p>\n".write(to: theme.appendingPathComponent("notes.html"), atomically: true, encoding: .utf8)
        // A course that builds (no exercises), so without the rule the swap would happen.
        try FileManager.default.createDirectory(at: course.root.appendingPathComponent("plain/01-ch"), withIntermediateDirectories: true)
        course.write("plain/01-ch/01-a.md", "---\ntitle: A\n---\n\nText.\n")
        #expect(try await course.run(["build", "-q", "--content", "plain", "--out", "elsewhere", "--templates", "site/theme"]).status == 0)
        let result = try await course.run(["build", "-q", "--content", "plain", "--force", "--out", "site", "--templates", "site/theme"])
        #expect(result.status == 1)
        #expect(
            result.stderr.contains("error: refusing to use") && result.stderr.contains("it holds the templates folder"), "\(result.stderr)")
        #expect(course.read("site/theme/notes.html") == "<p>mine</p>\n")
    }
}

/// A build killed with SIGKILL in the middle leaves the previous site as it was.
@Suite(.enabled(if: kvmPresent, "skipped: /dev/kvm is absent on this machine"))
struct KilledBuildTests {
    @Test(.timeLimit(.minutes(2)))
    func aBuildKilledMidwayLeavesPublicIntact() async throws {
        let course = FixtureCourse()
        let first = try await course.run(["build", "-q"])
        #expect(first.status == 0, "\(first.stderr)")
        let before = try Self.snapshot(course.output)
        #expect(before.count > 5 && before[".hypercourse-output"] != nil)

        // A guest that spins for its whole 5 s timeout keeps the next build busy, deterministically.
        course.write(
            "content/01-modes/03-slow.md",
            """
            ---
            title: Slow
            ---

            ```asm exercise id=slow mode=long timeout=5 expect=timeout
            bits 64
            jmp $
            ```

            """)
        let tool = try #require(Repo.tool)
        let process = Process()
        process.executableURL = tool
        process.arguments = ["build", "-q"]
        process.currentDirectoryURL = course.root
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let scratchPrefix = "hypercourse-\(process.processIdentifier)-"
        // Scratch is in the cache folder (the temp folder where there is no cache).
        let parents = [course.root.appendingPathComponent(".hypercourse-cache/scratch"), FileManager.default.temporaryDirectory]
        defer {
            for parent in parents {
                for name in (try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? [] where name.hasPrefix(scratchPrefix) {
                    try? FileManager.default.removeItem(at: parent.appendingPathComponent(name))
                }
            }
        }
        // Wait until the slow guest is built (its image is in the build's scratch folder), so the
        // kill lands while it runs; then kill.
        let built = Self.waitForSlowGuestImage(scratchPrefix: scratchPrefix, in: parents, while: process)
        #expect(built && process.isRunning, "the build did not reach the slow guest")
        usleep(300_000)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL)

        #expect(try Self.snapshot(course.output) == before)
        #expect(!FileManager.default.fileExists(atPath: course.content.appendingPathComponent("01-modes/03-slow.exercises.json").path))
    }

    /// Waits (up to 60 s) until one of the scratch folders' parents holds the slow guest's image.
    static func waitForSlowGuestImage(scratchPrefix: String, in parents: [URL], while process: Process) -> Bool {
        let deadline = ContinuousClock.now + .seconds(60)
        var built = false
        while !built, ContinuousClock.now < deadline, process.isRunning {
            built = parents.contains { parent in
                guard
                    let scratch = (try? FileManager.default.contentsOfDirectory(atPath: parent.path))?.first(where: {
                        $0.hasPrefix(scratchPrefix)
                    }),
                    let slots = try? FileManager.default.contentsOfDirectory(atPath: parent.appendingPathComponent(scratch).path),
                    let slot = slots.first(where: { $0.hasSuffix("-slow") })
                else { return false }
                return FileManager.default.fileExists(atPath: parent.appendingPathComponent("\(scratch)/\(slot)/guest.bin").path)
            }
            if !built { usleep(10_000) }
        }
        return built
    }

    /// Every file under `folder` with its bytes.
    static func snapshot(_ folder: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey])
        while let url = walker?.nextObject() as? URL {
            guard (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true else { continue }
            files[String(url.path.dropFirst(folder.path.count + 1))] = try Data(contentsOf: url)
        }
        return files
    }
}

/// Without nasm, a build says how to install it, at each assembly exercise's line.
@Suite(.enabled(if: kvmPresent, "skipped: /dev/kvm is absent on this machine"))
struct MissingNasmTests {
    @Test func aBuildWithoutNasmGivesTheInstallLineAtTheLesson() async throws {
        let course = FixtureCourse()
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
            .filter { !FileManager.default.isExecutableFile(atPath: "\($0)/nasm") }.joined(separator: ":")
        let result = try await course.run(["build", "-q"], environment: ["PATH": path])
        #expect(result.status == 1)
        #expect(
            result.stderr.contains("content/01-modes/01-assembly.md:6: error: exercise 'fx-real': nasm is missing: \(Nasm.installLine)"),
            "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: course.output.path))
    }
}
