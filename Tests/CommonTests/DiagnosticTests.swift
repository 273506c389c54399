import Foundation
import Testing

@testable import Common

/// Messages in the compilers' form, with paths shown relative to the working directory.
@Suite struct DiagnosticTests {
    @Test func fileLineKindMessage() {
        #expect(Diagnostic.format(file: "a.md", line: 3, .error, "bad") == "a.md:3: error: bad")
        #expect(Diagnostic.format(file: "a.md", line: nil, .warning, "meh") == "a.md: warning: meh")
        #expect(Diagnostic.format(file: nil as String?, line: 3, .error, "bad") == "error: bad")
    }

    @Test func urlsAreShownRelativeToTheWorkingDirectory() {
        let cwd = FileManager.default.currentDirectoryPath
        let inside = URL(fileURLWithPath: cwd).appendingPathComponent("content/x.md")
        #expect(Diagnostic.format(file: inside, line: 1, .error, "e") == "content/x.md:1: error: e")
        #expect(DisplayPath.of(URL(fileURLWithPath: "/nonexistent-root/x.md")) == "/nonexistent-root/x.md")
    }

    @Test func phaseTimerIsSilentUnlessAsked() {
        let off = PhaseTimer(label: "profile", environment: [:])
        off.mark("load")
        #expect(off.summary() == nil)
        let on = PhaseTimer(label: "profile", environment: ["HYPERCOURSE_PROFILE": "1"])
        on.mark("load")
        on.add("vm", .milliseconds(3), item: "hello")
        on.add("vm", .milliseconds(5), item: "hello")
        let line = on.summary(summing: ["vm"], slowestTitle: "slowest guests") ?? ""
        #expect(line.hasPrefix("profile: load "))
        #expect(line.contains("; summed over threads: vm 2× 8.0 ms"))
        #expect(line.hasSuffix("; slowest guests: hello 5.0 ms"))
    }

    @Test func lockedSerialisesUpdates() {
        let counter = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 1000) { _ in counter.withLock { $0 += 1 } }
        #expect(counter.withLock { $0 } == 1000)
    }
}
