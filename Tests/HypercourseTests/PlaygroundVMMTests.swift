import Common
import Exercises
import Foundation
import Site
import Testing

@testable import hypercourse

/// A vmm card through the playground, over real HTTP: the student's monitor is compiled and run
/// against the lesson's guest as a build runs it, and its compiler errors come back at their line.
@Suite(.serialized, .enabled(if: kvmPresent, "needs /dev/kvm: the course builds by running its monitor"))
struct PlaygroundVMMTests {
    static let shared = Task {
        try await PlaygroundServerTests.Served.start(
            FixtureCourse(files: [
                "course.yml": "title: \"VMM playground\"\nlanguage: en\nchapters:\n  - path: 01-vmm\n    title: VMM\n",
                "01-vmm/_index.md": "---\ntitle: \"VMM\"\n---\nA monitor.\n",
                "01-vmm/01-monitor.md": PlaygroundVMMTests.lesson
            ]))
    }

    static let lesson = """
        ---
        title: "A monitor"
        ---
        The guest.

        ```asm exercise id=vmm-guest mode=real
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
        ```

        The monitor.

        ```vmm exercise id=vmm-monitor guest=vmm-guest
        // [hide]
        #include "hypercourse-vmm.h"
        // [show]
        \(shownMonitor)```

        """

    /// The monitor's shown lines: COM1 to stdout, the MMIO write reported, the rest by the header.
    static let shownMonitor = """
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

    @Test func anEditedMonitorRunsAgainstItsGuestAndTheCardShowsItsOutput() async throws {
        let served = try await Self.shared.value
        let built = served.course.figure("vmm-monitor")
        #expect(built.contains("the guest wrote 0x1234"), "the built card shows the recorded run: \(built)")
        let edited = Self.shownMonitor.replacingOccurrences(of: "the guest wrote 0x%x", with: "MMIO <%u> at 0x%x")
            .replacingOccurrences(of: "0x%x\\n\", value);", with: "0x%llx\\n\", value, (unsigned long long)run->mmio.phys_addr);")
        let reply = try #require(await served.run("vmm-monitor", edited))
        #expect(reply.status == 200, "\(reply.body)")
        let html = try #require(reply.json?["html"] as? String)
        #expect(
            html.contains("<samp>Hi from the guest\nMMIO &lt;4660&gt; at 0xd000\n</samp>"), "the edited monitor's output, escaped: \(html)")
        #expect(html.contains("id=\"exercise-vmm-monitor\"") && html.contains("badge-playground"))
        #expect(reply.json?["end"] as? String == "exit 0")
    }

    @Test func aCompilerErrorInTheMonitorComesAtTheStudentsLine() async throws {
        let served = try await Self.shared.value
        let broken = Self.shownMonitor.replacingOccurrences(of: "int vm = HC_IOCTL", with: "int vm = HC_IOCTLL")
        let reply = try #require(await served.run("vmm-monitor", broken))
        #expect(reply.status == 422, "\(reply.body)")
        let errors = try #require(reply.json?["errors"] as? [[String: Any]])
        #expect(errors.contains { $0["line"] as? Int == 5 && ($0["message"] as? String)?.contains("HC_IOCTLL") == true }, "\(errors)")
    }
}
