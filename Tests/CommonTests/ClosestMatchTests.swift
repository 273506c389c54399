import Testing
@testable import Common

/// The one "did you mean" helper: anchors on the site side, option names and ids on the exercise side.
@Suite struct ClosestMatchTests {
    static let options = ["id", "mode", "memory", "timeout", "expect", "trace", "steps", "output-limit", "exit-limit", "src"]

    @Test func suggestsTheNearestWithinATypo() {
        #expect(closestMatch(to: "alpah", in: ["alpha", "beta", "gamma"]) == "alpha")  // a swap: distance 2
        #expect(closestMatch(to: "setup", in: ["set-up", "teardown"]) == "set-up")
        #expect(closestMatch(to: "run-loop", in: ["the-run-loop", "run-loops"]) == "run-loops")
        #expect(closestMatch(to: "tarce", in: Self.options) == "trace")
        #expect(closestMatch(to: "memroy", in: Self.options) == "memory")
        #expect(closestMatch(to: "outputlimit", in: Self.options) == "output-limit")
        #expect(closestMatch(to: "expected", in: Self.options) == "expect")
    }

    @Test func staysQuietWhenNothingIsClose() {
        #expect(closestMatch(to: "introduction", in: ["intro"]) == nil)  // 7 edits > max(2, 12 / 3)
        #expect(closestMatch(to: "zzzz", in: ["alpha"]) == nil)
        #expect(closestMatch(to: "alpha", in: []) == nil)
        #expect(closestMatch(to: "colour", in: Self.options) == nil)
        #expect(closestMatch(to: "frobnicate", in: Self.options) == nil)
    }

    @Test func tiesGoToTheFirstCandidateSoMessagesAreStable() {
        #expect(closestMatch(to: "ab", in: ["aa", "ax", "ay"]) == "aa")
        #expect(closestMatch(to: "ab", in: ["ax", "aa"]) == "ax")
        #expect(closestMatch(to: "", in: ["ab", "xy"]) == "ab")  // two insertions, within the floor of 2
    }

    @Test func theHintReadsAsASentenceOrIsEmpty() {
        #expect(didYouMean("alpah", in: ["alpha"], prefix: "#") == " (did you mean '#alpha'?)")
        #expect(didYouMean("tarce", in: Self.options) == " (did you mean 'trace'?)")
        #expect(didYouMean("zzzz", in: ["alpha"]).isEmpty)
    }

    @Test func editDistanceCountsEdits() {
        #expect(editDistance(Array("kitten"), Array("sitting")) == 3)
        #expect(editDistance([], Array("abc")) == 3)
        #expect(editDistance(Array("abc"), []) == 3)
    }
}
