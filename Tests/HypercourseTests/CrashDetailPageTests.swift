import Foundation
import Hypervisor
import Testing

@testable import hypercourse

/// A crash's KVM detail on the page: the exit, where (RIP and the lesson's line) and the bytes.
@Suite(.enabled(if: FileManager.default.fileExists(atPath: KVMSystem.defaultDevicePath), "skipped: /dev/kvm is absent on this machine"))
struct CrashDetailPageTests {
    @Test func theCardShowsTheExitTheLineAndTheBytes() async throws {
        let course = FixtureCourse()
        course.write(
            "content/01-modes/03-crash.md",
            """
            ---
            title: "A crash"
            ---
            ```asm exercise id=fx-crash mode=long expect=crash
            bits 64
            org 0x100000
                ud2
            ```

            """)
        _ = try await course.build()
        let figure = course.figure("fx-crash")
        #expect(
            figure.contains(
                "KVM_EXIT_SHUTDOWN: triple fault, or an exception the guest could not take at rip 0x100000, line 3 (ud2), bytes 0f 0b 00"),
            "\(figure)")
    }
}
