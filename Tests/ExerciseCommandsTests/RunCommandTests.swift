import ExerciseCommands
import Exercises
import Foundation
import Testing

/// `hypercourse run` end to end: the built binary, real nasm, real /dev/kvm.
@Suite(.enabled(if: FileManager.default.fileExists(atPath: "/dev/kvm"), "skipped: /dev/kvm is absent on this machine"))
struct RunCommandTests {
    /// The `hypercourse` built next to this test bundle (swift test builds every product first).
    static var tool: URL? {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent(".build/debug")
        ]
        return candidates.map { $0.appendingPathComponent("hypercourse") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    struct Outcome {
        var status: Int32
        var stdout: Data
        var stderr: String
    }

    func run(_ arguments: [String], environment: [String: String]? = nil) throws -> Outcome {
        let tool = try #require(Self.tool, "the hypercourse binary was not built")
        let process = Process()
        process.executableURL = tool
        process.arguments = ["run"] + arguments
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stdout: stdout, stderr: stderr)
    }

    func file(_ name: String, _ text: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("run-cmd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    @Test func printsTheOutputAndASummary() throws {
        let source = try file("hi.asm", "bits 16\norg 0x7c00\nmov dx, 0x3f8\nmov al, 'H'\nout dx, al\nmov al, 'i'\nout dx, al\nhlt\n")
        let result = try run([source.path])
        #expect(result.status == 0)
        #expect(result.stdout == Data("Hi".utf8))
        // "Hi" has no final newline, so the summary starts on a line of its own on a shared terminal.
        #expect(result.stderr.hasPrefix("\nhalt · 3 exits (io-out 2, hlt 1) · ") && result.stderr.hasSuffix(" ms\n"))
        let terminated = try file("hi-nl.asm", "bits 16\norg 0x7c00\nmov dx, 0x3f8\nmov al, 10\nout dx, al\nhlt\n")
        #expect(try run([terminated.path]).stderr.hasPrefix("halt · 2 exits (io-out 1, hlt 1) · "))
    }

    @Test func jsonHasTheDocumentedShape() throws {
        let source = try file("exit.asm", "bits 64\norg 0x100000\nmov dx, 0x3f8\nmov al, 0xff\nout dx, al\nmov al, 3\nout 0xf4, al\n")
        let result = try run(["--mode", "user", "--trace", "--repeat", "3", "--json", source.path])
        #expect(result.status == 1) // exit 3: a non-zero guest status
        let object = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
        #expect(Set(object.keys) == ["output", "end", "exitCounts", "registers", "timing", "trace", "machine", "cpus", "endedBy", "vcpus"])
        #expect((object["end"] as? [String: Any])?["status"] as? Int == 3)
        #expect(object["output"] as? String == "\u{FFFD}")
        #expect((object["timing"] as? [String: Any])?["runs"] as? Int == 3)
        #expect((object["trace"] as? [Any])?.count == 2)
    }

    @Test func traceAndStepsWithoutJSONPrintTablesBetweenOutputAndSummary() throws {
        let source = try file("hi.asm", "bits 16\norg 0x7c00\nmov dx, 0x3f8\nmov al, 'H'\nout dx, al ; send it\nmov eax, 0x12345678\nhlt\n")
        let result = try run(["--trace", "--steps", "4", source.path])
        #expect(result.status == 0)
        #expect(result.stdout == Data("H".utf8)) // stdout stays the guest's output alone
        let expected = """

            VM-exit timeline (2 exits)
              #  kind    port/address  size  value     rip     source
              0  io-out  0x3f8            1  0x48 'H'  0x7c05  5: out dx, al
              1  hlt                                   0x7c0c  7: hlt

            Steps (4 instructions)
              #  rip     source                  registers changed    exits
              0  0x7c00  3: mov dx, 0x3f8        dx 0x0→0x3f8
              1  0x7c03  4: mov al, 'H'          ax 0x0→0x48
              2  0x7c05  5: out dx, al                                io-out 0x3f8 0x48 'H'
              3  0x7c06  6: mov eax, 0x12345678  eax 0x48→0x12345678

            """
        // The output "H" has no newline, so the tables start on a line of their own; the summary follows.
        #expect(result.stderr.hasPrefix(expected), "\(result.stderr)")
        #expect(result.stderr.dropFirst(expected.count).hasPrefix("halt · 2 exits (io-out 1, hlt 1) · "))

        // A flat binary has no listing: the same rows without source. --json prints no table.
        let image = try file("hi.bin", "")
        try Data([0xBA, 0xF8, 0x03, 0xB0, 0x48, 0xEE, 0xF4]).write(to: image)
        let binary = try run(["--trace", image.path])
        #expect(
            binary.stderr.hasPrefix(
                "\nVM-exit timeline (2 exits)\n  #  kind    port/address  size  value     rip\n  0  io-out  0x3f8            1  0x48 'H'  0x7c05\n"
            ), "\(binary.stderr)")
        let json = try run(["--trace", "--steps", "2", "--json", source.path])
        #expect(!json.stderr.contains("VM-exit timeline") && !json.stderr.contains("Steps ("))
    }

    /// A `.c` file is compiled with the guest runtime (not run as a raw image), in long mode unless
    /// `--mode user`; the timeline names C lines by their text and the runtime's code by function.
    @Test func aCFileIsCompiledWithTheRuntime() throws {
        let source = try file(
            "hello.c",
            """
            #include "hypercourse.h"
            struct pair { double a, b; };
            int main(void) {
                char buf[64] = {0};
                struct pair p = {1.25, 2.5}, q = p;
                buf[0] = 'x';
                outb(0x3f8, '>');
                printf("%s %g %#x\\n", buf, q.a * q.b, 255);
                return 0;
            }

            """)
        let long = try run(["--trace", source.path])
        #expect(long.status == 0, "\(long.stderr)")
        #expect(long.stdout == Data(">x 3.125 0xff\n".utf8))
        #expect(long.stderr.contains("  0  io-out  0x3f8            1  0x3e '>'  0x"), "\(long.stderr)")
        #expect(long.stderr.contains("7: outb(0x3f8, '>');") && long.stderr.contains("putchar (runtime): out dx, al"), "\(long.stderr)")
        #expect(long.stderr.contains("\nexit 0 · 15 exits (io-out 15) · "))
        let user = try run(["--mode", "user", source.path])
        #expect(user.status == 0 && user.stdout == long.stdout, "\(user.stderr)")
        let broken = try file("broken.c", "#include \"hypercourse.h\"\nint main(void) { printf(\"%d\\n\", 1.5); }\n")
        let error = try run([broken.path])
        #expect(error.status == 10 && error.stderr.hasPrefix("\(broken.path):2: error: compiler error: "), "\(error.stderr)")
    }

    /// A crash's summary says where RIP is in the file, as the exercise card does.
    @Test func aCrashNamesItsLine() throws {
        let source = try file("ud.asm", "bits 64\norg 0x100000\n    nop\n    ud2 ; no IDT: a triple fault\n")
        let result = try run(["--mode", "long", source.path])
        #expect(result.status == 2)
        #expect(result.stderr.contains(" at rip 0x100001, line 4 (ud2), bytes 0f 0b 00"), "\(result.stderr)")
    }

    @Test func timeoutTakesFractionsAndHasItsOwnCode() throws {
        let source = try file("spin.asm", "bits 16\norg 0x7c00\njmp $\n")
        let start = ContinuousClock.now
        let result = try run(["--timeout", "0.3", source.path])
        #expect(result.status == 3 && result.stderr.hasPrefix("timeout"))
        #expect(ContinuousClock.now - start < .seconds(3))
    }

    @Test func assemblerErrorsPointAtTheLine() throws {
        let source = try file("bad.asm", "bits 16\nnop\nfrobnicate ax\n")
        let result = try run([source.path])
        #expect(result.status == 10)
        #expect(result.stderr.hasPrefix("\(source.path):3: error: "))
    }

    /// PATH as it is, without the folders that hold nasm: the machine as it is before `apt-get install nasm`.
    static var pathWithoutNasm: String {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
            .filter { !FileManager.default.isExecutableFile(atPath: "\($0)/nasm") }.joined(separator: ":")
    }

    @Test func missingNasmGivesTheInstallLine() throws {
        let source = try file("x.asm", "hlt\n")
        let result = try run([source.path], environment: ["PATH": Self.pathWithoutNasm])
        #expect(result.status == RunSummary.codeNasmMissing && result.status == 11)
        #expect(result.stderr.contains(Nasm.installLine) && result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        // A flat image needs no assembler.
        let image = try file("halt.bin", "")
        try Data([0xF4]).write(to: image) // hlt
        let flat = try run([image.path], environment: ["PATH": Self.pathWithoutNasm])
        #expect(flat.status == 0, "\(flat.stderr)")
    }

    @Test func kvmProblemsHaveDistinctCodes() throws {
        let image = try file("halt.bin", "\u{F4}")
        let missing = try run(["--kvm-device", "/nonexistent/kvm", image.path])
        #expect(missing.status == 20 && missing.stderr.contains("/nonexistent/kvm does not exist"))
        let notKVM = try run(["--kvm-device", "/dev/null", image.path])
        #expect(notKVM.status == 23 && notKVM.stderr.contains("not a KVM device"))
    }

    @Test func badInputIsReported() throws {
        #expect(try run(["/nonexistent/guest.bin"]).status == 12)
        #expect(try run(["--memory", "0", "/nonexistent/guest.bin"]).status == 64)
    }

    /// A FIFO named like a guest, an image or a module is refused at once, not read until a writer
    /// comes. Should a read block, a writer comes after 20 s and closes (the reader then sees an
    /// empty file), so the test fails instead of hanging.
    @Test func aFIFOIsRefusedWithoutWaitingForAWriter() throws {
        let folder = try file("kernel.asm", RunCommandTests.kernel).deletingLastPathComponent()
        for name in ["pipe.asm", "pipe.bin", "module.bin"] {
            #expect(mkfifo(folder.appendingPathComponent(name).path, 0o644) == 0)
            Thread.detachNewThread { [path = folder.appendingPathComponent(name).path] in
                Thread.sleep(forTimeInterval: 20)
                let fd = open(path, O_WRONLY | O_NONBLOCK)
                if fd >= 0 { close(fd) }
            }
        }
        for (arguments, fragment) in [
            (["pipe.asm"], "is a FIFO (named pipe), not a file"), (["pipe.bin"], "pipe.bin: error: is a FIFO (named pipe), not a file"),
            (["--initrd", "module.bin", "kernel.asm"], "module.bin: error: cannot read the module")
        ] {
            let result = try run(arguments.map { $0.hasPrefix("-") ? $0 : folder.appendingPathComponent($0).path })
            #expect(result.status != 0 && result.stderr.contains(fragment), "\(arguments): \(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
    }

    /// Nothing to run is an error, not a guest that wanders through zeroed memory to a `hlt`.
    @Test func aFolderOrAnEmptyImageIsRefused() throws {
        let empty = try file("empty.bin", "")
        let folder = empty.deletingLastPathComponent().appendingPathComponent("folder.asm")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let comments = try file("comments.asm", "; nothing but a comment\n")
        for (url, fragment) in [(empty, "the image is empty"), (folder, "is a folder"), (comments, "assembles to nothing")] {
            let result = try run([url.path])
            #expect(result.status == 12, "\(url.lastPathComponent): \(result.stderr)")
            #expect(result.stderr.contains(fragment), "\(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
    }

    /// A 2 GiB file (sparse: no disk used) is refused by its size, before it is read: at once, and
    /// without the memory reading it would take. A huge .asm source, likewise.
    @Test func aHugeFileIsRefusedBeforeItIsRead() throws {
        let image = try file("huge.bin", "")
        let source = image.deletingLastPathComponent().appendingPathComponent("huge.asm")
        for url in [image, source] {
            if url == source { FileManager.default.createFile(atPath: url.path, contents: nil) }
            let handle = try FileHandle(forWritingTo: url)
            try handle.truncate(atOffset: 2 << 30)
            try handle.close()
        }
        let small = try run([try file("small.bin", "\u{F4}").path])
        let started = ContinuousClock.now
        let result = try run([image.path])
        let elapsed = ContinuousClock.now - started
        #expect(result.status == 12 && result.stderr.contains("the image is 2048 MiB, more than the largest guest RAM"), "\(result.stderr)")
        let asm = try run([source.path])
        #expect(asm.status != 0 && asm.stderr.contains("is 2048 MiB; the largest source is 4 MiB"), "\(asm.stderr)")
        // Reading 2 GiB takes seconds; a refusal by size costs about what a tiny run does.
        #expect(small.stderr.isEmpty || small.status != 12, "\(small.stderr)")
        #expect(elapsed < .seconds(3), "\(elapsed)")
    }
}
