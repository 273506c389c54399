import Common
import Foundation
import Hypervisor
import Testing

@testable import Exercises

/// Exercises on the pc machine: `machine=`, `cpus=`, `dirty-log`, and kernels (`kernel`, `append=`,
/// `initrd=`) built by the course and booted as QEMU's `-kernel` boots them.
struct PCExerciseOptionTests {
    func block(_ course: TestCourse, _ options: [(String, String)], body: String = "hlt\n") -> ExerciseBlock {
        let file = course.write("ch/lesson.md", "# Lesson\n")
        return ExerciseBlock(
            language: "asm", options: [.init(key: "id", value: "k")] + options.map { .init(key: $0.0, value: $0.1) },
            body: body, file: file, line: 7, contentRoot: course.content)
    }

    func problem(_ options: [(String, String)]) -> String {
        let course = TestCourse()
        course.write("ch/data.bin", "data")
        do {
            _ = try ExerciseSpec.parse(block(course, options))
            return "accepted"
        } catch {
            #expect(error.line == 7 && error.file?.lastPathComponent == "lesson.md", "\(error)")
            return error.message
        }
    }

    @Test func badMachineOptionsAreErrorsAtTheBlocksLine() {
        #expect(problem([("machine", "q35")]).contains("unknown machine 'q35' (use lesson or pc"))
        #expect(problem([("cpus", "2")]).contains("cpus=2 needs machine=pc"))
        #expect(problem([("machine", "pc"), ("cpus", "9")]).contains("cpus '9' must be a whole number from 1 to 8"))
        #expect(problem([("machine", "pc"), ("cpus", "0")]).contains("from 1 to 8"))
        #expect(problem([("dirty-log", "maybe")]).contains("dirty-log takes no value, or true or false"))
        #expect(problem([("append", "quiet")]).contains("append= is for kernels"))
        #expect(problem([("initrd", "data.bin")]).contains("initrd= is for kernels"))
        #expect(problem([("kernel", ""), ("mode", "long")]).contains("mode= does not apply to a kernel"))
        #expect(problem([("kernel", ""), ("initrd", "missing.bin")]).contains("initrd module 'missing.bin' not found"))
        #expect(problem([("kernel", ""), ("initrd", "../../etc/passwd")]).contains("leads outside the content folder"))
        #expect(problem([("kernel", ""), ("initrd", "/etc/passwd")]).contains("must be relative"))
        #expect(problem([("kernel", ""), ("initrd", "data.bin,")]).contains("empty module"))
        #expect(problem([("machine", "pc"), ("cpus", "2"), ("steps", "3")]).contains("steps= needs one vCPU"))
        #expect(problem([("machine", "pc"), ("cpus", "8"), ("dirty-log", "")]) == "accepted")
    }

    @Test func aKernelRunsOnThePCMachineWithQEMUsRAMUnlessToldOtherwise() throws {
        let course = TestCourse()
        course.write("ch/data.bin", "data")
        let spec = try ExerciseSpec.parse(block(course, [("kernel", ""), ("append", "a b"), ("initrd", "data.bin x=1,data.bin")]))
        #expect(spec.machine == .pc && spec.mode == .protected && spec.memoryMiB == 128)
        #expect(spec.kernel?.appendText == "a b")
        #expect(spec.kernel?.modules.map(\.string) == ["data.bin x=1", "data.bin"])
        #expect(spec.kernel?.modules.map(\.contentPath) == ["ch/data.bin", "ch/data.bin"])
        let config = spec.machineConfig
        #expect(config.machine == .pc && config.kvmStatistics && config.cpus == 1)
        let lesson = try ExerciseSpec.parse(block(course, [("kernel", ""), ("machine", "lesson"), ("memory", "8")]))
        #expect(lesson.machine == .lesson && lesson.memoryMiB == 8 && !lesson.machineConfig.kvmStatistics)
    }

    /// The key's lines for these options are empty at their defaults, so no existing exercise's key
    /// changes; each option changes the key when given.
    @Test func optionsEnterTheKeyOnlyWhenGiven() throws {
        let course = TestCourse()
        course.write("ch/data.bin", "data")
        let plain = try ExerciseSpec.parse(block(course, []))
        #expect(plain.machineOptions.keyLines.isEmpty)
        // The record key of one image with these options, and the inputs' key (the local cache's).
        func keys(_ spec: ExerciseSpec) -> String {
            let inputs = ExerciseKey.inputs(spec, tools: "nasm 1", includes: [])
            return ExerciseKey.record(spec, image: [0xF4], inputs: inputs) + " " + inputs
        }
        var all: Set<String> = [keys(plain)]
        for options in [
            [("machine", "pc")], [("machine", "pc"), ("cpus", "2")], [("dirty-log", "")], [("kernel", "")],
            [("kernel", ""), ("append", "x")], [("kernel", ""), ("initrd", "data.bin")]
        ] {
            all.insert(keys(try ExerciseSpec.parse(block(course, options))))
        }
        // Every option changes the record key (and the inputs' key).
        #expect(all.count == 7 && Set(all.map { $0.prefix(64) }).count == 7)
        // A module's bytes are in the key: editing the file reruns the exercise.
        let spec = try ExerciseSpec.parse(block(course, [("kernel", ""), ("initrd", "data.bin")]))
        let before = keys(spec)
        course.write("ch/data.bin", "changed")
        #expect(keys(spec) != before)
    }

    @Test func checkpointsAndStatisticsSurviveTheRecordFile() throws {
        let course = TestCourse()
        var result = RecordedResult(end: .halt, exits: [], output: Array("hi\n".utf8), trace: nil, traceTruncated: false, steps: nil)
        result.checkpoints = [
            RecordedCheckpoint(number: 1, cpu: 0, pages: 0, ranges: []),
            RecordedCheckpoint(number: 2, cpu: 1, pages: 3, ranges: ["0x200000-0x203000"])
        ]
        var entry = RecordEntry(
            id: "k", key: "abc", includes: [], recordedAt: "2026-01-01T00:00:00Z", host: "pvm",
            machine: "pc-1", hostDetail: nil, result: result)
        entry.cpus = 2
        entry.kvmStats = [["exits": 5], ["exits": 7, "halt_exits": 1]]
        let url = course.content.appendingPathComponent("ch/lesson.exercises.json")
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try RecordFile(url: url, entries: [entry]).write(lessonName: "lesson.md")
        let loaded = try #require(try RecordFile.load(url)?.entry("k"))
        #expect(loaded == entry)
        #expect(result.canonicalLines.suffix(3) == ["checkpoints: 2", "#1 vcpu 0: 0 pages", "#2 vcpu 1: 3 pages 0x200000-0x203000"])
    }

    @Test func aCardShowsTheCountersSomeVCPUHasNonZeroInTheirOrderOfInterest() {
        let perCPU: [[String: UInt64]] = [["halt_exits": 0, "exits": 5, "io_exits": 0], ["exits": 7, "halt_exits": 1]]
        let shown = ResultRecorder.nonZeroStatistics(perCPU)
        #expect(shown.map(\.name) == ["exits", "halt_exits"])
        #expect(shown.map(\.values) == [[5, 7], [0, 1]])
    }
}

@Suite(.enabled(if: kvmPresent, "skipped: /dev/kvm is absent on this machine"))
struct PCExerciseRunTests {
    /// A flat Multiboot kernel (the header's address fields): prints its command line, its first
    /// module's string and bytes, takes two dirty-log checkpoints and exits.
    static let asmKernel = """
        bits 32
        org 0x100000
        header:
            dd 0x1BADB002, 0x00010003, -(0x1BADB002 + 0x00010003)
            dd header, header, 0, 0, start
        start:
            mov esp, 0x90000
            mov esi, [ebx + 16]
            call puts
            mov edi, [ebx + 24]
            mov esi, [edi + 8]
            call puts
            mov esi, [edi]
            call puts
            mov dx, 0x508
            mov eax, 1
            out dx, eax
            mov dword [0x200000], 1
            mov dword [0x201ffc], 1
            mov eax, 2
            out dx, eax
            mov al, 0
            out 0xf4, al
        puts:
            mov dx, 0x3f8
        .next:
            lodsb
            test al, al
            jz .done
            out dx, al
            jmp .next
        .done:
            mov al, 10
            out dx, al
            ret
        """

    func kernelBlock(_ course: TestCourse, extra: [ExerciseBlock.Option] = []) -> ExerciseBlock {
        course.write("ch/data.bin", "module bytes")
        course.write("ch/kernel.asm", Self.asmKernel)
        let file = course.write("ch/lesson.md", "# Lesson\n")
        let options: [ExerciseBlock.Option] =
            [
                .init(key: "id", value: "boot"), .init(key: "src", value: "kernel.asm"), .init(key: "kernel", value: ""),
                .init(key: "append", value: "console=ttyS0 quiet"), .init(key: "initrd", value: "data.bin size=12"),
                .init(key: "dirty-log", value: ""), .init(key: "trace", value: "")
            ] + extra
        return ExerciseBlock(language: "asm", options: options, body: "", file: file, line: 3, contentRoot: course.content)
    }

    @Test func anAsmKernelBootsWithItsCommandLineModulesAndDirtyLog() throws {
        let course = TestCourse()
        let report = course.process([kernelBlock(course)])
        #expect(report.problems.isEmpty, "\(report.messages)")
        #expect(report.output(0) == "boot.bin console=ttyS0 quiet\ndata.bin size=12\nmodule bytes\n")
        let entry = try #require(report.outcomes[0]?.entry)
        #expect(entry.machine == GuestMachine.pcVersion && entry.cpus == 1)
        #expect(entry.result.end == .exited(0))
        let checkpoints = try #require(entry.result.checkpoints)
        // The stack page the calls wrote, then exactly the two pages the guest wrote.
        #expect(checkpoints.map(\.number) == [1, 2])
        #expect(checkpoints[0].ranges == ["0x8f000-0x90000"])
        #expect(checkpoints[1].ranges == ["0x200000-0x202000"] && checkpoints[1].pages == 2)
        // Trace rows point at the kernel's own lines: the listing's offsets count from load_addr.
        let exitPort = try #require(entry.result.trace?.first { $0.target == "0xf4" })
        #expect(exitPort.line == 23)
        // KVM's counters are kept beside the record, per vCPU, and never compared.
        #expect(entry.kvmStats?.count == 1)
        let record = course.read("ch/lesson.exercises.json")
        #expect(record.contains("\"checkpoints\": [") && record.contains("\"cpus\": 1") && record.contains("\"kvmStats\": ["))
        // The record verifies on a second, full check.
        let check = course.process([kernelBlock(course)], .check)
        #expect(check.problems.isEmpty, "\(check.messages)")
    }

    @Test func aKernelWithoutAddressFieldsIsABuildErrorAtTheBlock() {
        let course = TestCourse()
        let file = course.write("ch/lesson.md", "# Lesson\n")
        let block = ExerciseBlock(
            language: "asm", options: [.init(key: "id", value: "flat"), .init(key: "kernel", value: "")],
            body: "hlt\n", file: file, line: 5, contentRoot: course.content)
        let report = course.process([block])
        #expect(report.problems.count == 1)
        #expect(report.problems.first?.line == 5)
        #expect(
            report.messages.contains("cannot boot as a kernel") && report.messages.contains("no Multiboot header"), "\(report.messages)")
    }

    /// A C kernel: the runtime's Multiboot entry takes it from 32-bit protected mode to long mode and
    /// main, which sees what the loader handed over.
    @Test func aCKernelReachesMainInLongModeWithTheMultibootInformation() throws {
        let course = TestCourse()
        let file = course.write("ch/lesson.md", "# Lesson\n")
        let source = """
            #include "hypercourse.h"
            extern uint32_t multiboot_magic, multiboot_info;
            int main(void) {
                const char *cmdline = (const char *)(uintptr_t)*(uint32_t *)(uintptr_t)(multiboot_info + 16);
                printf("magic %x, long mode %d, cmdline '%s'\\n", multiboot_magic, sizeof(void *) == 8, cmdline);
                return 3;
            }
            """
        let block = ExerciseBlock(
            language: "c",
            options: [
                .init(key: "id", value: "ck"), .init(key: "kernel", value: ""),
                .init(key: "append", value: "hi"), .init(key: "expect", value: "exit:3")
            ],
            body: source, file: file, line: 5, contentRoot: course.content)
        let report = course.process([block])
        #expect(report.problems.isEmpty, "\(report.messages)")
        #expect(report.output(0) == "magic 2badb002, long mode 1, cmdline 'ck.elf hi'\n")
    }

    @Test func severalVCPUsRunAndTheKeyNamesThem() throws {
        let course = TestCourse()
        let file = course.write("ch/lesson.md", "# Lesson\n")
        // Only the bootstrap processor runs; the others wait for INIT-SIPI-SIPI, as on a PC.
        let block = ExerciseBlock(
            language: "asm",
            options: [
                .init(key: "id", value: "smp"), .init(key: "machine", value: "pc"),
                .init(key: "cpus", value: "3")
            ],
            body: "mov dx, 0x3f8\nmov al, 'A'\nout dx, al\nhlt\n", file: file, line: 5, contentRoot: course.content)
        let report = course.process([block])
        #expect(report.problems.isEmpty, "\(report.messages)")
        let entry = try #require(report.outcomes[0]?.entry)
        #expect(report.output(0) == "A" && entry.cpus == 3 && entry.kvmStats?.count == 3)
    }
}
