import Foundation
import Testing

@testable import Site

/// "Did you mean" on broken anchors is bounded: of 2,000 broken anchors to a page with 20,000
/// headings, only the first `maxAnchorHints` are given a suggestion (each compares at most
/// `closestMatchMaxCompared` candidates, see ClosestMatchTests), instead of headings × broken
/// anchors edit-distance tables (minutes). Every broken anchor is still reported.
@Suite struct AnchorHintBoundTests {
    func lesson(headings: Int, broken: Int) -> String {
        var text = "---\ntitle: Big\n---\n\n"
        for index in 0..<headings { text += "## Section number \(index) of the page\n\n" }
        for index in 0..<broken { text += "[link](#section-number-\(index)-of-the-pagx-\(index))\n\n" }
        return text
    }

    func buildErrors(headings: Int, broken: Int) async -> [SiteError] {
        let scratch = Scratch()
        let content = scratch.write(["01-ch/01-big.md": lesson(headings: headings, broken: broken)])
        var errors: [SiteError] = []
        do {
            _ = try await build(content, into: scratch)
        } catch let failure as BuildFailure {
            errors = failure.errors
        } catch {
            Issue.record("\(error)")
        }
        return errors
    }

    @Test func onlyTheFirstBrokenAnchorsGetASuggestion() async {
        let errors = await buildErrors(headings: 20_000, broken: 2_000)
        #expect(errors.count == 2_000)
        #expect(errors.allSatisfy { $0.message.contains("no heading or id") })
        // The first broken anchors still get their suggestion.
        #expect(errors.first?.message.contains("did you mean '#section-number-0-of-the-page'") == true, "\(errors.first?.message ?? "")")
        let hinted = errors.filter { $0.message.contains("did you mean") }.count
        #expect(hinted == SiteBuilder.maxAnchorHints, "\(hinted) broken anchors got a suggestion")
    }
}
