import Testing
@testable import Site

/// Site's edit-distance suggestion ("did you mean '#alpha'?"). Exercises has its own for option
/// names (it cannot import Site without breaking the architecture); each is tested where it lives.
@Suite struct ClosestMatchTests {
    @Test func suggestsTheNearestWithinATypo() {
        #expect(LinkResolver.closest("alpah", in: ["alpha", "beta", "gamma"]) == "alpha")  // a swap: distance 2
        #expect(LinkResolver.closest("setup", in: ["set-up", "teardown"]) == "set-up")
        #expect(LinkResolver.closest("run-loop", in: ["the-run-loop", "run-loops"]) == "run-loops")
    }

    @Test func staysQuietWhenNothingIsClose() {
        #expect(LinkResolver.closest("introduction", in: ["intro"]) == nil)  // 7 edits > max(2, 12 / 3)
        #expect(LinkResolver.closest("zzzz", in: ["alpha"]) == nil)
        #expect(LinkResolver.closest("alpha", in: []) == nil)
    }

    @Test func tiesGoToTheFirstInSortedOrderSoMessagesAreStable() {
        #expect(LinkResolver.closest("ab", in: ["ax", "aa", "ay"]) == "aa")
        #expect(LinkResolver.closest("", in: ["xy", "ab"]) == "ab")  // two insertions, within the floor of 2
    }
}
