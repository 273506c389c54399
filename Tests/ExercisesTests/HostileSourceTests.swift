import Common
import Foundation
import Hypervisor
import Testing

@testable import Exercises

/// Guest sources that try to read (or write) host files past the dependency checks, each built with
/// the tools under Landlock and without it: the checks alone must hold. Real nasm, clang and ld.lld.
@Suite(.enabled(if: kvmPresent, "skipped: /dev/kvm is absent on this machine"))
struct HostileSourceTests {
    /// An `incbin` that only nasm's second pass sees is in no `nasm -M` list; with the pass fixed, the
    /// assembly's own list has it.
    @Test(arguments: [true, false])
    func anIncbinInTheSecondPassOnlyIsRefused(confined: Bool) {
        let course = TestCourse()
        let body = "bits 16\norg 0x7c00\n%if __?PASS?__ == 2\nincbin \"/etc/passwd\", 0, 60\n%endif\nhlt\n"
        let report = course.process([course.block("id=leak", body)], confined: confined)
        expectRefused(report, course, mentioning: ["includes '/etc/passwd', which is outside the content folder"])
    }

    @Test(arguments: [true, false])
    func anIncludeInTheFirstPassOnlyIsRefused(confined: Bool) {
        let course = TestCourse()
        let body = "bits 16\n%if __?PASS?__ == 1\n%include \"/etc/hostname\"\n%endif\nhlt\n"
        let report = course.process([course.block("id=leak", body)], confined: confined)
        // With the pass fixed at 2 the branch is never taken: the guest builds, without the file.
        #expect(report.problems.isEmpty, "\(report.messages)")
    }

    /// Landlock lets nasm read its own binary and the C library (it needs them to start); they are
    /// still not the guest's to read.
    @Test(arguments: [true, false])
    func theToolchainsOwnFilesAreNotIncbinable(confined: Bool) throws {
        let nasm = try Nasm.locate().executable
        for file in [nasm, "/etc/ld.so.cache"] where FileManager.default.fileExists(atPath: file) {
            let course = TestCourse()
            let body = "bits 16\norg 0x7c00\n%if __?PASS?__ == 2\nincbin \"\(file)\", 0, 16\n%endif\nhlt\n"
            expectRefused(
                course.process([course.block("id=leak", body)], confined: confined), course,
                mentioning: ["includes '\(file)', which is outside the content folder"])
        }
    }

    /// `[map all FILE]` makes nasm write a map file anywhere, in any pass.
    @Test(arguments: [true, false])
    func aMapFileDirectiveIsRefusedAndWritesNothing(confined: Bool) {
        let course = TestCourse()
        let target = course.root.appendingPathComponent("written.map")
        let body = "bits 16\norg 0x7c00\n%if __?PASS?__ == 1\n[map all \(target.path)]\n%endif\n[MAP all \(target.path)]\nhlt\n"
        let report = course.process([course.block("id=map", body)], confined: confined)
        // The block's lines start after the fence at line 10: `[MAP` is built line 6.
        expectRefused(report, course, mentioning: ["the directive [map] is not available to exercises"], line: 16)
        #expect(!FileManager.default.fileExists(atPath: target.path))
    }

    /// A failed assembly lists nothing it read; its messages (here a size, in a TIMES warning or
    /// error) are shown only once every incbin is known to be inside the content folder.
    @Test(arguments: [true, false])
    func aFailingAssemblyIsCheckedBeforeItsMessagesAreShown(confined: Bool) {
        let course = TestCourse()
        let body = "bits 16\nincbin \"/etc/passwd\"\ntimes 3-($-$$) db 0\nnot-an-instruction\n"
        expectRefused(
            course.process([course.block("id=leak", body)], confined: confined), course,
            mentioning: ["includes '/etc/passwd', which is outside the content folder"])
        // Inside the content folder, the error itself is shown, at its line.
        course.write("ch/data.bin", "AB")
        let inside = course.process([course.block("id=ok", "bits 16\nincbin 'data.bin'\nnot-an-instruction\n")], confined: confined)
        #expect(
            inside.problems.count == 1 && inside.problems.first?.line == 13 && inside.messages.contains("assembler error"),
            "\(inside.messages)")
    }

    @Test func incbinNamesAreReadOnlyFromPlainQuotes() {
        #expect(NasmText.incbinName(in: "incbin \"a.bin\", 0, 4") == "a.bin")
        #expect(NasmText.incbinName(in: "data: INCBIN 'x y.bin'") == "x y.bin")
        #expect(NasmText.incbinName(in: "incbin `\\x2fetc`") == nil)
        #expect(NasmText.incbinName(in: "db \"incbin\"") == nil)
        if case .failure(let refused) = NasmText.incbinNames(in: "%line 5+1 ch/a.asm\nnop\nincbin `a\\x62`\n") {
            #expect(refused.file == "ch/a.asm" && refused.line == 6)
        } else {
            Issue.record("a backquoted incbin name was accepted")
        }
    }

    /// A `times` count can change between passes, so an incbin behind it may be read in a pass whose
    /// list nobody sees.
    @Test func anIncbinRepeatedWithTimesIsRefused() {
        let course = TestCourse()
        course.write("ch/data.bin", "AB")
        let body = "bits 16\norg 0x7c00\nstart:\nTIMES (start - $$) incbin \"data.bin\"\nhlt\n"
        let report = course.process([course.block("id=times", body)], confined: false)
        expectRefused(report, course, mentioning: ["incbin cannot be repeated with times"], line: 14)
    }

    /// `#pragma comment(lib, "/etc/passwd")` makes ld.lld read the file, and print its first line in
    /// the error; pointed at a linker script in the content folder, `INPUT(/etc/passwd)` links it in.
    @Test(arguments: [true, false])
    func linkerInputsFromTheSourceAreRefused(confined: Bool) {
        let course = TestCourse()
        course.write("ch/evil.ld", "TARGET(binary)\nINPUT(/etc/passwd)\n")
        for library in ["/etc/passwd", course.content.appendingPathComponent("ch/evil.ld").path, "evil.ld"] {
            let body = "#include \"hypercourse.h\"\n#pragma comment(lib, \"\(library)\")\nint main(void) { return 0; }\n"
            let report = course.process([course.cBlock("id=link mode=long", body)], confined: confined)
            expectRefused(report, course, mentioning: ["#pragma comment(lib, …) is not available to C exercises"])
        }
    }

    /// Even a dependent library the IR check did not see is not read: ld.lld is told to ignore them,
    /// and its own list of inputs is checked.
    @Test func theLinkerIgnoresDependentLibrariesInAnObject() throws {
        let toolchain = Toolchain.locate()
        let lld = try #require(toolchain.lld), clang = try #require(toolchain.clang)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("deplibs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        try "#pragma comment(lib, \"/etc/passwd\")\nvoid _start(void) {}\n".write(
            to: scratch.appendingPathComponent("a.c"), atomically: true, encoding: .utf8)
        let compiled = try Subprocess.run(
            clang, ["--target=x86_64-unknown-none-elf", "-ffreestanding", "-c", "a.c", "-o", "a.o"], in: scratch)
        #expect(compiled.status == 0, "\(compiled.output)")
        let plain = try Subprocess.run(lld, ["-static", "a.o", "-o", "a.elf"], in: scratch)
        #expect(plain.status != 0 && plain.output.contains("/etc/passwd"), "\(plain.output)")
        let guarded = try Subprocess.run(
            lld, ["-static", "--no-dependent-libraries", "--dependency-file=a.d", "a.o", "-o", "a.elf"], in: scratch)
        #expect(guarded.status == 0, "\(guarded.output)")
        let deps = try String(contentsOf: scratch.appendingPathComponent("a.d"), encoding: .utf8)
        #expect(MakeDependencies.parse(deps) == ["a.o"])
    }
}

/// Nothing of the build machine in a guest: the file-name and date macros are the same in every
/// build, wherever the course and the scratch folder are, whatever the day.
@Suite(.enabled(if: kvmPresent, "skipped: /dev/kvm is absent on this machine"))
struct ReproducibleGuestTests {
    static let asm = """
        bits 16
        org 0x7c00
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
        msg: db __?FILE?__, "|", __?DATE?__, "|", __?TIME?__, "|", __?UTC_DATE?__
             db "|"
        %defstr STAMP __?POSIX_TIME?__
             db STAMP, 0

        """

    static let c = """
        #include "hypercourse.h"
        #include "stamp.h"
        int main(void) {
            printf("%s|%s|%s|%s|%s\\n", __FILE__, __DATE__, __TIME__, __TIMESTAMP__, header_file);
            return 0;
        }

        """

    func outputs(_ root: String) -> [String?] {
        let course = TestCourse()
        course.write("ch/stamp.h", "static const char header_file[] = __FILE__;\n")
        let inputs = [
            course.block("id=stamp-asm", Self.asm), course.cBlock("id=stamp-c mode=long", Self.c, line: 40),
            course.block("id=stamp-src src=\(root)/own.asm", "", line: 70)
        ]
        course.write("ch/\(root)/own.asm", Self.asm)
        let report = ExerciseEngine(settings: ExerciseSettings(cacheDirectory: course.cache)).process(inputs, pass: .build(promote: false))
        #expect(report.problems.isEmpty, "\(report.messages)")
        return (0..<inputs.count).map { report.output($0) }
    }

    @Test func fileNamesAndDatesAreFixed() throws {
        let first = outputs("sub")
        #expect(first[0] == "ch/stamp-asm.asm|1970-01-01|00:00:00|1970-01-01|0")
        #expect(first[1] == "ch/stamp-c.c|Jan  1 1970|00:00:00|Thu Jan  1 00:00:00 1970|ch/stamp.h\n")
        #expect(first[2] == "ch/sub/own.asm|1970-01-01|00:00:00|1970-01-01|0")
        // Another course folder, another scratch folder, a second later: the same bytes.
        sleep(1)
        let second = outputs("sub")
        #expect(first == second)
    }
}
