import Foundation
import Testing

/// A killed command leaves nothing behind: no scratch in the temp folder or the cache, no tool
/// running on, no temporary in content/, and the previous output as it was. SIGTERM and SIGINT are
/// handled (scratch removed, then the process dies of the signal); SIGKILL cannot be, so the next
/// run removes what it left, and its tools die with it.
@Suite(.enabled(if: kvmPresent, "skipped: /dev/kvm is absent on this machine"))
struct InterruptTests {
    /// A course in its own folder, run with its own TMPDIR, so every leftover is visible.
    struct Course {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("hc-interrupt-\(UUID().uuidString)")
        var temporary: URL { root.appendingPathComponent("tmp") }
        var scratch: URL { root.appendingPathComponent(".hypercourse-cache/scratch") }
        var lesson: URL { root.appendingPathComponent("content/01-ch/01-spin.md") }

        init(_ body: String) throws {
            try FileManager.default.createDirectory(at: lesson.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
            try write(body)
        }

        func write(_ body: String) throws { try ("---\ntitle: Spin\n---\n\n" + body).write(to: lesson, atomically: true, encoding: .utf8) }

        func start(_ arguments: [String], unconfined: Bool = false) throws -> Process {
            let process = Process()
            process.executableURL = try #require(Repo.tool, "the hypercourse binary was not built")
            process.arguments = arguments
            process.currentDirectoryURL = root
            var environment = ProcessInfo.processInfo.environment.merging(["TMPDIR": temporary.path]) { $1 }
            environment["HYPERCOURSE_UNCONFINED"] = unconfined ? "1" : nil
            process.environment = environment
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }

        /// Scratch folders and temporaries of process `pid`, wherever they may be.
        func leftovers(of pid: Int32) -> [String] {
            let scratchNames = [temporary, scratch].flatMap { folder in
                ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasPrefix("hypercourse-\(pid)-") }
            }
            let walker = FileManager.default.enumerator(atPath: root.appendingPathComponent("content").path)
            let temporaries = (walker?.allObjects as? [String] ?? []).filter { $0.contains(".tmp-") }
            return scratchNames + temporaries
        }
    }

    static let spinningGuest =
        "```asm exercise id=spin mode=long timeout=90 expect=timeout\n; [hide]\nbits 64\norg 0x100000\n; [show]\nspin: jmp spin\n```\n"
    /// nasm's preprocessor busy for far longer than any test (and quiet: no output to fill a file).
    static let spinningNasm =
        "```asm exercise id=spin\nbits 16\n%assign i 0\n%rep 1000000\n%rep 1000000\n%assign i i+1\n%endrep\n%endrep\nhlt\n```\n"
    static let quick = "```asm exercise id=quick mode=real\nbits 16\nhlt\n```\n"

    @Test(arguments: [SIGTERM, SIGINT])
    func anInterruptedBuildLeavesNoScratchAndDiesOfTheSignal(signal: Int32) throws {
        let course = try Course(Self.spinningGuest)
        defer { try? FileManager.default.removeItem(at: course.root) }
        let process = try course.start(["build", "-q"])
        let pid = process.processIdentifier
        // Wait until the guest builds in its scratch folder, then interrupt.
        let started = Date()
        while course.leftovers(of: pid).isEmpty, Date().timeIntervalSince(started) < 45 { usleep(20_000) }
        #expect(!course.leftovers(of: pid).isEmpty, "the build never made its scratch folder")
        usleep(300_000)
        let signalled = Date()
        kill(pid, signal)
        process.waitUntilExit()

        #expect(process.terminationReason == .uncaughtSignal)
        #expect(process.terminationStatus == signal)
        #expect(Date().timeIntervalSince(signalled) < 10, "the build ran on instead of stopping")
        #expect(course.leftovers(of: pid).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: course.root.appendingPathComponent("public").path))
    }

    /// Killed while nasm works: nasm dies with the build (whatever the signal, with Landlock or
    /// without), and what the build left is gone after the next run.
    @Test(arguments: [SIGKILL, SIGTERM, SIGINT], [false, true])
    func aToolDiesWithItsBuild(signal: Int32, unconfined: Bool) throws {
        let course = try Course(Self.spinningNasm)
        defer { try? FileManager.default.removeItem(at: course.root) }
        let process = try course.start(["build", "-q"], unconfined: unconfined)
        let pid = process.processIdentifier
        let started = Date()
        var tool: Int32?
        while tool == nil, Date().timeIntervalSince(started) < 60 {
            tool = Self.children(of: pid, named: "nasm").first
            usleep(20_000)
        }
        let nasm = try #require(tool, "nasm never started")
        usleep(300_000)
        kill(pid, signal)
        process.waitUntilExit()
        let died = Date()
        while Self.isRunning(nasm), Date().timeIntervalSince(died) < 5 { usleep(20_000) }
        #expect(!Self.isRunning(nasm), "nasm ran on after its build was killed")

        try course.write(Self.quick)
        let next = try course.start(["build", "-q"])
        next.waitUntilExit()
        #expect(next.terminationStatus == 0)
        #expect(course.leftovers(of: pid).isEmpty, "\(course.leftovers(of: pid))")
        #expect(course.leftovers(of: next.processIdentifier).isEmpty)
    }

    /// promote killed at random moments, the record write among them: no temporary is ever left in
    /// content/ (they are made in the cache's scratch), and the record is whole or absent.
    @Test func aKilledPromoteLeavesNoTemporaryInContent() throws {
        let course = try Course(Self.quick + "\n" + Self.quick.replacingOccurrences(of: "id=quick", with: "id=quick-two"))
        defer { try? FileManager.default.removeItem(at: course.root) }
        let record = course.root.appendingPathComponent("content/01-ch/01-spin.exercises.json")
        for delay in stride(from: 100_000, through: 1_500_000, by: 200_000) {
            try? FileManager.default.removeItem(at: record)
            let process = try course.start(["promote"])
            usleep(useconds_t(delay))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let walker = FileManager.default.enumerator(atPath: course.root.appendingPathComponent("content").path)
            let names = walker?.allObjects as? [String] ?? []
            #expect(!names.contains { $0.contains(".tmp-") }, "a temporary in content/: \(names)")
            if let text = try? String(contentsOf: record, encoding: .utf8) { #expect(text.hasSuffix("}\n")) }
        }
        // A temporary an older version left beside the record is removed by the next run.
        let stale = course.root.appendingPathComponent("content/01-ch/.01-spin.exercises.json.tmp-999999999-12345")
        try "half".write(to: stale, atomically: false, encoding: .utf8)
        let next = try course.start(["build", "-q"])
        next.waitUntilExit()
        #expect(!FileManager.default.fileExists(atPath: stale.path))
    }

    static func children(of parent: Int32, named name: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")"), let open = stat.firstIndex(of: "(")
            else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return stat[stat.index(after: open)..<close] == name && fields.count > 2 && Int32(fields[1]) == parent
        }
    }

    /// Alive and not a zombie waiting to be reaped.
    static func isRunning(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else {
            return false
        }
        return stat[stat.index(after: close)...].split(separator: " ").first != "Z"
    }
}
