import Foundation
import Hypervisor
import Testing

@testable import Exercises

/// The text of recorded exits and steps, as the card's table cells show it.
@Suite struct RecordedTextTests {
    @Test func tableCellsForTheCard() {
        let write = RecordedExit(index: 0, kind: "mmio-write", target: "0x1000", size: 1, value: "0x1", rip: "0x10", line: 2, at: nil)
        var read = write
        read.kind = "mmio-read"
        #expect(write.ripFollowsInstruction && !read.ripFollowsInstruction)
        let step = RecordedStep(
            index: 0, rip: "0x10", line: nil, at: "serial.inc:4", instruction: "out dx, al", changes: [],
            exitDescriptions: ["io-out 0x3f8 0x48"], completed: false)
        #expect(step.instructionText == "out dx, al  [serial.inc:4]")
        #expect(step.exitSummary == "io-out 0x3f8 0x48 (did not complete)")
    }
}
