import Common
import Foundation
import Hypervisor
import Testing

@testable import Exercises

/// vmm exercises with real KVM, the real toolchain and the real launcher: a monitor written in C runs
/// a guest the course builds; hostile monitors are stopped by the confinement and reported.
@Suite(.enabled(if: kvmPresent, "skipped: /dev/kvm is absent on this machine"))
struct VMMTests {
    /// A real-mode guest: prints through COM1, then writes to `[0xd000]` (past the 32 KiB of RAM the
    /// monitors below give it, so an MMIO exit), then halts.
    static let guest = """
        ; [hide]
        bits 16
        org 0x7c00
        ; [show]
            mov dx, 0x3f8
            mov si, msg
        next:
            lodsb
            test al, al
            jz done
            out dx, al
            jmp next
        done:
            mov word [0xd000], 0x1234
            hlt
        msg: db "Hi from the guest", 10, 0

        """

    /// The classic monitor, with the header's helpers: COM1 to stdout, one line per other exit.
    static let monitor = """
        // [hide]
        #include "hypercourse-vmm.h"
        // [show]
        int main(int argc, char **argv) {
            size_t size;
            uint8_t *image = hc_read_file(argv[1], &size);
            int kvm = hc_kvm();
            int vm = HC_IOCTL(kvm, KVM_CREATE_VM, 0);
            uint8_t *ram = hc_add_ram(vm, 0x8000);
            memcpy(ram + 0x7c00, image, size);
            int vcpu = HC_IOCTL(vm, KVM_CREATE_VCPU, 0);
            struct kvm_run *run = hc_map_run(kvm, vcpu);
            hc_real_mode(vcpu, 0x7c00);
            for (;;) {
                HC_IOCTL(vcpu, KVM_RUN, 0);
                if (run->exit_reason == KVM_EXIT_IO && run->io.port == 0x3f8) {
                    putchar(*((char *)run + run->io.data_offset));
                    continue;
                }
                hc_print_exit(run);
                if (run->exit_reason == KVM_EXIT_MMIO) {
                    uint16_t value;
                    memcpy(&value, run->mmio.data, sizeof value);
                    printf("the guest wrote 0x%x\\n", value);
                    continue;
                }
                return run->exit_reason == KVM_EXIT_HLT ? 0 : 1;
            }
        }

        """

    /// One build pass, its records written as a successful build writes them.
    func report(_ course: TestCourse, _ blocks: [ExerciseBlock], allowUnconfined: Bool = false) -> ExerciseReport {
        var settings = ExerciseSettings(cacheDirectory: course.cache)
        settings.allowUnconfinedVMM = allowUnconfined
        var report = ExerciseEngine(settings: settings).process(blocks, pass: .build(promote: false))
        if report.problems.isEmpty { report.writeRecords() }
        return report
    }

    func vmm(_ course: TestCourse, _ options: String, _ body: String) -> ExerciseBlock {
        course.block(options, body, language: "vmm", line: 30)
    }

    @Test func aMonitorRunsItsGuestAndHandlesAnMMIOExit() throws {
        let course = TestCourse()
        let report = report(course, [course.block("id=guest", Self.guest), vmm(course, "id=monitor guest=guest", Self.monitor)])
        #expect(report.problems.isEmpty, "\(report.messages)")
        #expect(report.output(1) == "Hi from the guest\nKVM_EXIT_MMIO write 0xd000 size 2\nthe guest wrote 0x1234\nKVM_EXIT_HLT\n")
        #expect(report.outcomes[1]?.entry.result.end == .exited(0))
        #expect(report.outcomes[1]?.entry.result.exits.isEmpty == true)
        // The guest ran as its own exercise too, on the course's hypervisor.
        #expect(report.output(0) == "Hi from the guest\n")
        let record = course.read("ch/lesson.exercises.json")
        #expect(record.contains("\"monitor\"") && record.contains("the guest wrote 0x1234"))
    }

    /// A course in a folder only its owner may enter (a course in /root): the run, as another user,
    /// still reaches its program and the guest's image, through paths relative to its own folder.
    @Test func aCourseInAClosedFolderStillRuns() throws {
        let course = TestCourse()
        #expect(chmod(course.root.path, 0o700) == 0)
        let sizer = """
            #include "hypercourse-vmm.h"
            int main(int argc, char **argv) {
                size_t size;
                hc_read_file(argv[1], &size);
                printf("%s: %zu bytes\\n", argv[1], size);
                return 0;
            }
            """
        let report = report(course, [course.block("id=guest", Self.guest), vmm(course, "id=sizer guest=guest", sizer)])
        #expect(report.problems.isEmpty, "\(report.messages)")
        #expect(
            report.output(1)?.hasPrefix("guest.bin: ") == true && report.output(1)?.hasSuffix(" bytes\n") == true,
            "\(report.output(1) ?? "")")
    }

    /// Without the header: every ioctl written out, on the descriptor the build opened.
    @Test func theRawIoctlSequenceWorksWithoutTheHeader() throws {
        let course = TestCourse()
        let raw = """
            #include <linux/kvm.h>
            #include <stdio.h>
            #include <sys/ioctl.h>
            int main(void) {
                int kvm = 3; /* /dev/kvm, opened by the build */
                printf("API %d\\n", ioctl(kvm, KVM_GET_API_VERSION, 0));
                int vm = ioctl(kvm, KVM_CREATE_VM, 0);
                printf("vm %s\\n", vm >= 0 ? "created" : "failed");
                return 3;
            }
            """
        let report = report(course, [vmm(course, "id=raw expect=exit:3", raw)])
        #expect(report.problems.isEmpty, "\(report.messages)")
        #expect(report.output(0) == "API 12\nvm created\n")
    }

    @Test func aCompileErrorIsAtTheLessonsLine() throws {
        let course = TestCourse()
        let report = report(course, [vmm(course, "id=broken", "int main(void) {\n    return nope;\n}\n")])
        #expect(report.problems.count == 1)
        #expect(report.problems.first?.line == 32, "\(report.messages)")
        #expect(report.messages.contains("nope"))
    }

    @Test func guestOptionsAreChecked() throws {
        let course = TestCourse()
        let blocks = [
            course.block("id=g", Self.guest), vmm(course, "id=a guest=gg", Self.monitor), vmm(course, "id=b mode=long", Self.monitor),
            vmm(course, "id=c guest=a", Self.monitor), course.block("id=d guest=g", Self.guest)
        ]
        let messages = report(course, blocks).messages
        #expect(messages.contains("guest 'gg' is not an exercise of this course (did you mean 'g'?)"), "\(messages)")
        #expect(messages.contains("option 'mode' does not apply to vmm exercises"))
        #expect(messages.contains("option 'guest' is for vmm exercises"))
    }

    // MARK: confinement

    static func hostile(_ body: String) -> String {
        """
        #define _GNU_SOURCE
        #include <arpa/inet.h>
        #include <errno.h>
        #include <fcntl.h>
        #include <netinet/in.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <sys/socket.h>
        #include <unistd.h>
        int main(void) {
        \(body)
        }
        """
    }

    @Test func theNetworkIsUnreachable() throws {
        let course = TestCourse()
        let body = """
                int s = socket(AF_INET, SOCK_STREAM, 0);
                struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(80)};
                inet_pton(AF_INET, "1.1.1.1", &to.sin_addr);
                if (s < 0 || connect(s, (struct sockaddr *)&to, sizeof to) != 0) { printf("connect refused\\n"); return 0; }
                printf("connected\\n");
                return 1;
            """
        let report = report(course, [vmm(course, "id=net", Self.hostile(body))])
        #expect(report.problems.isEmpty, "\(report.messages)")
        #expect(report.output(0) == "connect refused\n")
    }

    /// A `.deplibs` section written in inline assembly (which no `#pragma` check sees) names a file
    /// for the linker to read; ld.lld would print its first line in the error. The vmm's link reads
    /// only its inputs, confined or not.
    @Test(arguments: [true, false])
    func theLinkReadsNoDependentLibraryTheSourceNames(confined: Bool) throws {
        let course = TestCourse()
        let secret = try String(contentsOfFile: "/etc/hostname", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let body = Self.hostile(
            """
                __asm__(".pushsection .deplibs,\\"MS\\",@llvm_dependent_libraries,1\\n.asciz \\"/etc/hostname\\"\\n.popsection");
                printf("linked\\n");
                return 0;
            """)
        var settings = ExerciseSettings(cacheDirectory: course.cache, confineTools: confined)
        settings.allowUnconfinedVMM = !confined
        let report = ExerciseEngine(settings: settings).process([vmm(course, "id=deplibs", body)], pass: .build(promote: false))
        #expect(report.problems.isEmpty, "\(report.messages)")
        #expect(!report.messages.contains("unknown directive: \(secret)"), "\(report.messages)")
        #expect(report.output(0) == "linked\n")
    }

    @Test func filesOutsideItsFolderCannotBeRead() throws {
        let course = TestCourse()
        let secret = course.write("ch/secret.txt", "the answer\n")
        let body = """
                const char *paths[] = {"\(secret.path)", "/etc/passwd", "/dev/null", "/proc/self/status", "/tmp"};
                for (int i = 0; i < 5; i++) {
                    int fd = open(paths[i], O_RDONLY);
                    printf("%s: %s\\n", paths[i], fd < 0 ? strerror(errno) : "opened");
                }
                return 0;
            """
        let report = report(course, [vmm(course, "id=read", Self.hostile(body))])
        #expect(report.problems.isEmpty, "\(report.messages)")
        let output = try #require(report.output(0))
        #expect(!output.contains("opened"), "\(output)")
        #expect(output.contains("\(secret.path): Permission denied"))
    }

    @Test func aForkBombIsBoundedAndKilledAsAGroup() throws {
        let course = TestCourse()
        let marker = "fork-bomb-\(UInt32.random(in: 0...UInt32.max))"
        let body = """
                int made = 0, refused = 0;
                for (int i = 0; i < 200; i++) {
                    pid_t child = fork();
                    if (child == 0) { for (;;) pause(); }
                    if (child > 0) made++; else refused++;
                }
                printf("made %s, refused %s\\n", made < 64 ? "few" : "many", refused > 0 ? "some" : "none");
                fflush(stdout);
                for (;;) pause();
            """
        let started = ContinuousClock.now
        let report = report(course, [vmm(course, "id=\(marker) timeout=1 expect=timeout", Self.hostile(body))])
        #expect(report.problems.isEmpty, "\(report.messages)")
        #expect(report.output(0) == "made few, refused some\n")
        #expect(ContinuousClock.now - started < .seconds(60))
        // Nothing it started is left: every process of the run died with it.
        #expect(Self.processes(running: "\(marker)").isEmpty)
    }

    @Test func allocatingWithoutEndIsStopped() throws {
        let course = TestCourse()
        let body = """
                size_t total = 0;
                char *kept = NULL;
                for (;;) {
                    char *block = malloc(1 << 20);
                    if (!block) break;
                    memset(block, 1, 1 << 20);
                    memcpy(block, &kept, sizeof kept); /* kept: clang may not elide the allocations */
                    kept = block;
                    total += 1 << 20;
                }
                printf("stopped at %s MiB\\n", total <= (64u << 20) ? "<= 64" : "> 64");
                return 0;
            """
        let report = report(course, [vmm(course, "id=alloc memory=64", Self.hostile(body))])
        #expect(report.problems.isEmpty, "\(report.messages)")
        #expect(report.output(0) == "stopped at <= 64 MiB\n")
    }

    @Test func aSpinningMonitorTimesOutAndACrashIsASignal() throws {
        let course = TestCourse()
        let blocks = [
            vmm(course, "id=spin timeout=0.5 expect=timeout", Self.hostile("for (;;) {}")),
            vmm(course, "id=crash expect=signal:11", Self.hostile("fputs(\"before\\n\", stderr); *(volatile int *)0 = 1; return 0;")),
            vmm(course, "id=chatty output-limit=100 expect=output-limit", Self.hostile("for (;;) printf(\"again and again\\n\");"))
        ]
        let report = report(course, blocks)
        #expect(report.problems.isEmpty, "\(report.messages)")
        #expect(report.outcomes[1]?.entry.result.end == .signal(11))
        #expect(report.output(1) == "before\n")
        #expect(report.outcomes[2]?.entry.result.output.count == 100)
    }

    /// Processes whose command line mentions `text` (the test's scratch paths are unique).
    static func processes(running text: String) -> [String] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.filter { $0.allSatisfy(\.isNumber) }.compactMap { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
            return String(decoding: data, as: UTF8.self).contains(text) ? pid : nil
        }
    }
}
