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
