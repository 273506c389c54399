import Testing

@testable import Common

/// The one "did you mean" helper: anchors on the site side, option names and ids on the exercise side.
@Suite struct ClosestMatchTests {
    static let options = ["id", "mode", "memory", "timeout", "expect", "trace", "steps", "output-limit", "exit-limit", "src"]

    @Test func suggestsTheNearestWithinATypo() {
        #expect(closestMatch(to: "alpah", in: ["alpha", "beta", "gamma"]) == "alpha") // a swap: distance 2
        #expect(closestMatch(to: "setup", in: ["set-up", "teardown"]) == "set-up")
        #expect(closestMatch(to: "run-loop", in: ["the-run-loop", "run-loops"]) == "run-loops")
        #expect(closestMatch(to: "tarce", in: Self.options) == "trace")
        #expect(closestMatch(to: "memroy", in: Self.options) == "memory")
        #expect(closestMatch(to: "outputlimit", in: Self.options) == "output-limit")
        #expect(closestMatch(to: "expected", in: Self.options) == "expect")
    }

    @Test func staysQuietWhenNothingIsClose() {
        #expect(closestMatch(to: "introduction", in: ["intro"]) == nil) // 7 edits > max(2, 12 / 3)
        #expect(closestMatch(to: "zzzz", in: ["alpha"]) == nil)
        #expect(closestMatch(to: "alpha", in: []) == nil)
        #expect(closestMatch(to: "colour", in: Self.options) == nil)
        #expect(closestMatch(to: "frobnicate", in: Self.options) == nil)
    }

    @Test func tiesGoToTheFirstCandidateSoMessagesAreStable() {
        #expect(closestMatch(to: "ab", in: ["aa", "ax", "ay"]) == "aa")
        #expect(closestMatch(to: "ab", in: ["ax", "aa"]) == "ax")
        #expect(closestMatch(to: "", in: ["ab", "xy"]) == "ab") // two insertions, within the floor of 2
    }

    @Test func theHintReadsAsASentenceOrIsEmpty() {
        #expect(didYouMean("alpah", in: ["alpha"], prefix: "#") == " (did you mean '#alpha'?)")
        #expect(didYouMean("tarce", in: Self.options) == " (did you mean 'trace'?)")
        #expect(didYouMean("zzzz", in: ["alpha"]).isEmpty)
    }

    @Test func editDistanceCountsEdits() {
        #expect(editDistance(scalars("kitten"), scalars("sitting")) == 3)
        #expect(editDistance([], scalars("abc")) == 3)
        #expect(editDistance(scalars("abc"), []) == 3)
        // With a limit it gives up as soon as the distance must exceed it.
        #expect(editDistance(scalars("kitten"), scalars("sitting"), atMost: 2) == nil)
        #expect(editDistance(scalars("kitten"), scalars("sitting"), atMost: 3) == 3)
    }

    /// The bounds keep the answers: the earliest of equally close candidates, nothing for words
    /// too long or too far, and a close match past thousands of far ones of another length.
    @Test func boundedSearchKeepsItsAnswers() {
        #expect(closestMatch(to: "alpah", in: ["alpha-long-heading", "alpah-x", "alpha", "alphx"]) == "alpah-x")
        #expect(
            closestMatch(
                to: String(repeating: "a", count: closestMatchMaxLength + 1), in: [String(repeating: "a", count: closestMatchMaxLength + 1)]
            ) == nil)
        let far = (0..<50_000).map { "heading-number-\($0)-of-a-long-page" }
        #expect(closestMatch(to: "setup", in: far + ["set-up"]) == "set-up")
        // Past the cap of compared candidates of a fitting length, nothing more is looked at.
        let near = (0..<closestMatchMaxCompared).map { "zz\($0 % 10)zz" }
        #expect(closestMatch(to: "abcde", in: near + ["abcdf"]) == nil)
    }
}

private func scalars(_ text: String) -> [UInt32] { text.unicodeScalars.map(\.value) }
