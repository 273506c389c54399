import Common
import Foundation
import Hypervisor
import Testing

@testable import Exercises

/// Failures that must not be mistaken for something milder.
@Suite(.enabled(if: kvmPresent, "skipped: /dev/kvm is absent on this machine"))
struct KVMOpenFailureTests {
    /// Only "this machine has no usable KVM" lets a build show the records. Any other failure to open
    /// the device (EMFILE, ENOMEM; here ELOOP, which a test can cause without starving the process)
    /// fails the build instead of quietly showing old results.
    @Test func anOpenFailureThatIsNotUnavailabilityFailsTheBuild() throws {
        let course = TestCourse()
        let inputs = [course.block("id=rec", Guests.hello(.real, "recorded"))]
        #expect(course.process(inputs).problems.isEmpty)
        let loop = course.root.appendingPathComponent("kvm-loop")
        try FileManager.default.createSymbolicLink(atPath: loop.path, withDestinationPath: loop.path)

        let report = course.process(inputs, kvmDevice: loop.path)
        #expect(report.kvmUnavailable == nil && report.recorded == 0 && report.outcomes[0] == nil)
        #expect(report.problems.count == 1)
        #expect(report.messages.contains("cannot open the KVM device: open \(loop.path) failed"), "\(report.messages)")
        // A path that does not exist (a file in place of a folder, too) is still "no KVM here".
        let offline = course.process(inputs, kvmDevice: "/dev/null/kvm")
        #expect(offline.problems.isEmpty && offline.recorded == 1, "\(offline.messages)")
    }
}

/// A guest source can name any file on the host; none may reach the image (and the public site), and
/// every file inside the content folder that a guest reads must be in its key. Each case runs with
/// the tools confined by Landlock and without (a kernel that lacks it): the dependency checks alone
/// must catch it too.
@Suite(.enabled(if: kvmPresent, "skipped: /dev/kvm is absent on this machine"))
struct HostFileTests {
    static let secret = "/etc/hostname"

    /// `incbin` spelled by token pasting: no text search of the source finds it; nasm -M does.
    @Test(arguments: [true, false])
    func tokenPastedIncbinOfAHostFileIsRefused(confined: Bool) {
        let course = TestCourse()
        let body = "bits 16\norg 0x7c00\n%define IB incb %+ in\nIB \"\(Self.secret)\"\nhlt\n"
        let report = course.process([course.block("id=leak", body)], confined: confined)
        expectRefused(report, course, mentioning: ["includes '\(Self.secret)', which is outside the content folder"])
    }

    @Test(arguments: [true, false])
    func includeOfAHostFileIsRefused(confined: Bool) {
        let course = TestCourse()
        let report = course.process([course.block("id=leak", "bits 16\n%include \"\(Self.secret)\"\n")], confined: confined)
        expectRefused(report, course, mentioning: ["includes '\(Self.secret)', which is outside the content folder"])
    }

    /// Inline assembly in C, its directive pasted from string pieces and a hex escape: clang's -MD
    /// does not list it, the compiler's assembly output shows it.
    @Test(arguments: [true, false])
    func inlineAsmIncbinInCIsRefused(confined: Bool) {
        let course = TestCourse()
        let body = """
            #include "hypercourse.h"
            #define PIECE(x) #x
            __asm__(".in" "c" "\\x62in \\"\(Self.secret)\\"");
            int main(void) { return 0; }

            """
        let report = course.process([course.cBlock("id=leak-c mode=long", body)], confined: confined)
        expectRefused(report, course, mentioning: ["inline assembly uses .incbin"])
    }

    @Test(arguments: [true, false])
    func cIncludeOfAHostFileIsRefused(confined: Bool) {
        let course = TestCourse()
        let report = course.process(
            [course.cBlock("id=leak-c mode=long", "#include \"\(Self.secret)\"\nint main(void) { return 0; }\n")],
            confined: confined)
        expectRefused(report, course, mentioning: ["includes '\(Self.secret)', which is outside the content folder"])
    }

    /// nasm reads environment variables a source names (`%!HOME`): the tools get a fixed
    /// environment, not the build's, which may hold tokens.
    @Test func theBuildsEnvironmentDoesNotReachTheGuest() throws {
        let home = try #require(ProcessInfo.processInfo.environment["HOME"])
        let course = TestCourse()
        let body = """
            bits 16
            org 0x7c00
            %defstr SECRET %!HOME
                mov si, msg
                mov dx, 0x3f8
            next:
                lodsb
                test al, al
                jz done
                out dx, al
                jmp next
            done:
                hlt
            msg: db SECRET, "|", 0

            """
        let report = course.process([course.block("id=env", body)], confined: true)
        #expect(report.problems.isEmpty, "\(report.messages)")
        #expect(report.output(0) == "|" && report.output(0)?.contains(home) == false)
    }

    /// A file inside the content folder, read through a pasted `incbin`, is in the record's includes,
    /// so editing it reruns the exercise.
    @Test func aPastedIncbinOfAContentFileIsInTheKey() throws {
        let course = TestCourse()
        course.write("ch/data.bin", "AB")
        let body =
            "bits 16\norg 0x7c00\nmov si, data\nmov dx, 0x3f8\nmov cx, 2\nrep outsb\nhlt\n%define IB incb %+ in\ndata: IB \"data.bin\"\n"
        let inputs = [course.block("id=data", body)]
        let first = course.process(inputs, confined: true)
        #expect(first.problems.isEmpty, "\(first.messages)")
        #expect(first.output(0) == "AB")
        #expect(
            try RecordFile.load(course.content.appendingPathComponent("ch/lesson.exercises.json"))?.entry("data")?.includes == [
                "ch/data.bin"
            ])
        course.write("ch/data.bin", "CD")
        let edited = course.process(inputs, confined: true)
        #expect(edited.cached == 0 && edited.problems.first?.message.contains("differs from the record") == true, "\(edited.messages)")
    }
}

/// The tools' confinement itself, with a tool that reads what it is told to.
@Suite(.enabled(if: Landlock.isAvailable, "skipped: this kernel has no Landlock"))
struct ConfinementTests {
    @Test func aConfinedToolReadsOnlyWhatItIsAllowed() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("confine-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        try "inside\n".write(to: scratch.appendingPathComponent("ok.txt"), atomically: true, encoding: .utf8)
        let jail = Confinement(readable: ["/bin/cat", "/usr/bin/cat"] + Confinement.systemLibraries, writable: [scratch.path])
        let cat = FileManager.default.isExecutableFile(atPath: "/usr/bin/cat") ? "/usr/bin/cat" : "/bin/cat"

        let inside = try Subprocess.run(cat, [scratch.appendingPathComponent("ok.txt").path], confinement: jail)
        #expect(inside.status == 0 && inside.output == "inside\n")
        let outside = try Subprocess.run(cat, ["/etc/hostname"], confinement: jail)
        #expect(outside.status != 0 && outside.output.contains("Permission denied"), "\(outside.output)")
        // The same tool unconfined reads it, and this process was never confined.
        #expect(try Subprocess.run(cat, ["/etc/hostname"]).status == 0)
        #expect(FileManager.default.contents(atPath: "/etc/hostname") != nil)
    }
}

/// Tools that never finish, or write without end, are stopped.
@Suite struct ToolLimitTests {
    @Test(.timeLimit(.minutes(1)))
    func aRunawayRepIsStoppedAtTheDeadline() throws {
        let course = TestCourse()
        let body = "bits 16\n%rep 1000000\n%rep 1000000\nnop\n%endrep\n%endrep\n"
        let settings = ExerciseSettings(cacheDirectory: course.cache, toolTimeout: .seconds(1))
        let started = ContinuousClock.now
        let report = ExerciseEngine(settings: settings).process([course.block("id=spin", body)], pass: .build(promote: false))
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(report.problems.count == 1 && report.problems.first?.line == 10)
        #expect(report.messages.contains("nasm -E did not finish within 1 s and was stopped"), "\(report.messages)")
    }

    /// nasm asked to write 2 MiB under a 1 MiB RLIMIT_FSIZE: killed by SIGXFSZ, the file cut short.
    @Test func aToolWritingPastTheLimitIsStopped() throws {
        let nasm = try Nasm.locate().executable
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("fsize-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        try "times 2 * 1024 * 1024 db 0\n".write(to: scratch.appendingPathComponent("big.asm"), atomically: true, encoding: .utf8)
        let out = scratch.appendingPathComponent("big.bin").path
        let outcome = try Subprocess.run(nasm, ["-f", "bin", "-o", out, "big.asm"], in: scratch, limits: .init(maxFileBytes: 1 << 20))
        #expect(outcome.fileTooLarge && outcome.status == 128 + SIGXFSZ, "\(outcome)")
        var info = stat()
        #expect(stat(out, &info) != 0 || info.st_size <= 1 << 20)
        // Without the limit the same run succeeds.
        #expect(try Subprocess.run(nasm, ["-f", "bin", "-o", out, "big.asm"], in: scratch).status == 0)
    }

    @Test func aToolThatPrintsWithoutEndIsCapped() throws {
        let total = (1...40000).reduce(0) { $0 + String($1).utf8.count + 1 }
        let outcome = try Subprocess.run("/usr/bin/env", ["seq", "1", "40000"], limits: .init(timeout: .seconds(120), maxOutputBytes: 1000))
        #expect(outcome.status == 0 && !outcome.timedOut)
        let note = "\n[\(total - 1000) more bytes of output dropped]"
        #expect(outcome.output.hasPrefix("1\n2\n3\n") && outcome.output.hasSuffix(note), "…\(outcome.output.suffix(80))")
        #expect(outcome.output.utf8.count == 1000 + note.utf8.count)
    }

    @Test func anImageTooLargeForRAMIsRefusedBeforeItIsRead() throws {
        let course = TestCourse()
        let report = ExerciseEngine(settings: ExerciseSettings(cacheDirectory: course.cache))
            .process([course.block("id=big mode=real memory=1", "bits 16\ntimes 2 * 1024 * 1024 db 0\n")], pass: .build(promote: false))
        #expect(report.problems.count == 1)
        #expect(
            report.messages.contains("does not fit in 1 MiB of RAM") || report.messages.contains("was stopped for writing a file over"),
            "\(report.messages)")
    }
}

/// What the key must see besides the recorded includes.
@Suite(.enabled(if: kvmPresent, "skipped: /dev/kvm is absent on this machine"))
struct KeyGapTests {
    /// `%include "defs.inc"` is found in the content root; a new `defs.inc` beside the lesson comes
    /// first in nasm's search order. The recorded include did not change, but the guest did.
    @Test func aNewFileShadowingAnIncludeReruns() throws {
        let course = TestCourse()
        course.write("defs.inc", "LETTER equ 'A'\n")
        let body = "bits 16\norg 0x7c00\n%include \"defs.inc\"\n    mov dx, 0x3f8\n    mov al, LETTER\n    out dx, al\n    hlt\n"
        let inputs = [course.block("id=shadow", body)]
        let first = course.process(inputs)
        #expect(first.problems.isEmpty && first.output(0) == "A", "\(first.messages)")
        #expect(course.process(inputs).cached == 1)

        course.write("ch/defs.inc", "LETTER equ 'B'\n")
        let shadowed = course.process(inputs)
        #expect(shadowed.cached == 0, "the shadowed include was served from the cache")
        #expect(
            shadowed.problems.first?.message.contains("differs from the record") == true && shadowed.messages.contains("+| B"),
            "\(shadowed.messages)")
        let promoted = course.process(inputs, .build(promote: true))
        #expect(promoted.problems.isEmpty && promoted.output(0) == "B")
        let record = try #require(try RecordFile.load(course.content.appendingPathComponent("ch/lesson.exercises.json"))?.entry("shadow"))
        #expect(record.includes == ["ch/defs.inc"])
        // And the way back: the lesson's copy goes, the root's is found again.
        try FileManager.default.removeItem(at: course.content.appendingPathComponent("ch/defs.inc"))
        #expect(course.process(inputs).cached == 0)
    }

    /// Every LLVM tool whose output reaches a C record is in the key: objdump's disassembly and the
    /// symbolizer's lines are in step and trace rows, objcopy makes the image.
    @Test func cKeysNameEveryLLVMTool() throws {
        let toolchain = Toolchain.locate()
        try #require(toolchain.llvmBin != nil, "the Swift toolchain's LLVM tools were not found")
        let builder = GuestBuilder(toolchain: toolchain, versions: ToolVersions(cacheDirectory: nil), cacheDirectory: nil)
        let identity = try builder.toolIdentity(.c).get()
        for tool in Toolchain.llvmTools {
            #expect(identity.contains("\n\(tool): ") || identity.hasPrefix("\(tool): "), "\(tool) is not in the key: \(identity)")
        }
    }
}

/// The inline-assembly check on its own, on IR as clang writes it.
@Suite struct InlineAssemblyTests {
    @Test func findsEveryAsmStringWithItsEscapesDecoded() {
        let ir = #"""
            module asm ".in\63bin \22/etc/hostname\22"
            module asm "  .globl tag"
              call void asm sideeffect "nop\0A\09.macro m\0A.endm", "~{dirflag},~{fpsr},~{flags}"()
              %1 = call i32 asm "movl $$1, $0", "=r"()
              %2 = call i32 asm sideeffect inteldialect "mov eax, 1", "={eax}"()
            @str = private constant [7 x i8] c".incbin"
            """#
        let strings = InlineAssembly.strings(inIR: ir)
        #expect(strings == [".incbin \"/etc/hostname\"", "  .globl tag", "nop\n\t.macro m\n.endm", "movl $$1, $0", "mov eax, 1"])
        #expect(strings.map(InlineAssembly.fileDirective(in:)) == [".incbin", nil, ".macro", nil, nil])
    }

    @Test func directivesAreFoundBehindLabelsSeparatorsAndCase() {
        #expect(InlineAssembly.fileDirective(in: "1: .INCBIN \"x\"") == ".incbin")
        #expect(InlineAssembly.fileDirective(in: "nop; label: .include \"x.s\"") == ".include")
        #expect(InlineAssembly.fileDirective(in: ".irpc c, bin") == ".irpc")
        #expect(InlineAssembly.fileDirective(in: "mov $1, %eax\n.ascii \"incbin\"") == nil)
    }
}
