import Common
import Foundation
import Hypervisor
import Testing

@testable import Exercises

/// `measure=N`: extra timed runs, shown but never verified, kept in the cache and out of the key.
@Suite(.enabled(if: kvmPresent, "skipped: /dev/kvm is absent on this machine"))
struct MeasureTests {
    @Test func extraRunsAreTimedCachedAndKeptOutOfTheRecord() throws {
        let course = TestCourse()
        let measured = course.block("id=timed measure=5", Guests.hello(.real))
        let first = course.process([measured])
        #expect(first.problems.isEmpty, "\(first.messages)")
        let measurement = try #require(first.outcomes[0]?.measurement)
        #expect(measurement.runs == 5 && measurement.host == first.outcomes[0]?.entry.host)
        #expect(
            measurement.minSeconds > 0 && measurement.minSeconds <= measurement.medianSeconds
                && measurement.medianSeconds <= measurement.maxSeconds)
        let exits = first.outcomes[0]!.entry.result.exits.reduce(0) { $0 + $1.count }
        #expect(exits > 0)
        let perExit = try #require(measurement.medianPerExitSeconds)
        #expect(perExit > 0 && perExit <= measurement.maxSeconds / Double(exits) * 1.0001)
        #expect(!course.read("ch/lesson.exercises.json").contains("measure"))

        // A warm build runs nothing and shows the same numbers, from the cache.
        let warm = course.process([measured])
        #expect(warm.cached == 1 && warm.ran == 0)
        #expect(warm.outcomes[0]?.measurement == measurement)

        // The key does not depend on measure=, and another count measures again.
        let plain = course.process([course.block("id=timed", Guests.hello(.real))])
        #expect(plain.outcomes[0]?.entry.key == first.outcomes[0]?.entry.key && plain.outcomes[0]?.measurement == nil)
        let more = course.process([course.block("id=timed measure=2", Guests.hello(.real))])
        #expect(more.ran == 1 && more.outcomes[0]?.measurement?.runs == 2)
    }

    @Test func measureIsChecked() {
        let course = TestCourse()
        let report = course.process([
            course.block("id=a measure=0", Guests.hello(.real)), course.block("id=b measure=lots", Guests.hello(.real))
        ])
        #expect(report.problems.count == 2)
        #expect(report.messages.contains("measure '0' must be a whole number from 1 to 100 runs"))
    }
}
