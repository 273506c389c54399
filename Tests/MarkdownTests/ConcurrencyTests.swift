import Common
import Dispatch
import Foundation
import Testing

@testable import Markdown

@Suite struct ConcurrencyTests {
    /// libcmark-gfm's inline parser uses a global table of special characters that each parse
    /// fills and clears; without the lock in CmarkRuntime, concurrent parses lose `~~strike~~`
    /// and autolinks now and then. Every concurrent render must equal the serial one.
    @Test func concurrentRendersMatchSerial() throws {
        let source = (0..<200).map { "Line \($0): ~~old~~ new, see www.example.com/\($0) and | pipes |\n" }.joined(separator: "\n")
        let expected = try MarkdownDocument(source).html()
        #expect(expected.contains("<del>old</del>"))
        let results = Locked([String]())
        DispatchQueue.concurrentPerform(iterations: 64) { _ in
            let html = (try? MarkdownDocument(source).html()) ?? "render failed"
            results.withLock { $0.append(html) }
        }
        let all = results.withLock { $0 }
        #expect(all.count == 64)
        #expect(all.allSatisfy { $0 == expected })
    }
}
