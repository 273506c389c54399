import Foundation
import Testing

@testable import Markdown

/// A document rendered in groups of top-level blocks on several threads is byte for byte the
/// document rendered in one piece, however it is split, and the tree is whole afterwards.
@Suite struct GroupedRenderTests {
    /// Every kind of top-level block: raw HTML, a table, tight and loose lists, our custom blocks
    /// (headings, code, admonitions) and footnotes, whose definitions the renderer lists with state
    /// of its own.
    static let mixed = """
        # Title

        Text with `code`, a [link](other.md) and a note[^n].

        <div class="raw">a raw HTML block</div>

        | a | b |
        |---|:-:|
        | `x` | **y** |

        - tight
        - list

        1. loose

        2. list

        > [!NOTE]
        > An admonition.

        > A quote.

        ```asm
        mov al, 1
        ```

        ***

            indented code

        <!-- comment -->
        Setext heading
        ---

        Second note[^m] and a [^n] again.

        [^n]: The first note.
        [^m]: The second, with `code`.

        """

    @Test(arguments: [1, 2, 3, 5])
    func everySplitRendersAsOnePiece(_ perGroup: Int) throws {
        let document = try MarkdownDocument(Self.mixed)
        let whole = try document.html(blocksPerGroup: Int.max)
        let grouped = try document.html(blocksPerGroup: perGroup)
        #expect(grouped == whole, "first difference at \(GFMConformanceTests.firstDifference(grouped, whole))")
        #expect(whole.contains("footnotes") && whole.contains("<table>") && whole.contains("admonition"))
        // The blocks went back where they were: the next render is the same again.
        #expect(try document.html(blocksPerGroup: Int.max) == whole)
    }

    @Test func idPrefixesAndLinkTargetsReachEveryGroup() throws {
        let document = try MarkdownDocument(Self.mixed)
        let retarget: (LinkReference) -> String? = { $0.destination == "other.md" ? "other.html" : nil }
        let whole = try document.html(idPrefix: "p-", linkURL: retarget, blocksPerGroup: Int.max)
        #expect(try document.html(idPrefix: "p-", linkURL: retarget, blocksPerGroup: 1) == whole)
        #expect(whole.contains("href=\"other.html\"") && whole.contains("id=\"p-title\""))
    }

    /// Every example of the GFM spec and of cmark-gfm's extension tests, one block per group.
    @Test(.enabled(if: GFMConformanceTests.folder != nil, "skipped: no GFM examples beside the repository"))
    func everyGFMExampleRendersAsOnePieceWhenSplitAtEveryBlock() throws {
        let examples = try GFMExamples.load(from: try #require(GFMConformanceTests.folder))
        var differing: [String] = []
        for example in examples {
            let document = try MarkdownDocument(example.markdown)
            if try document.html(blocksPerGroup: 1) != document.html(blocksPerGroup: Int.max) {
                differing.append("\(example.file)#\(example.number)")
            }
        }
        #expect(differing.isEmpty, "split renders differ: \(differing.joined(separator: ", "))")
    }

    /// A document large enough to be split without being asked, footnotes at its end.
    @Test func aLargeDocumentIsSplitAndRendersAsOnePiece() throws {
        let block = Self.mixed.replacingOccurrences(of: "[^n]", with: "").replacingOccurrences(of: "[^m]", with: "")
        let text = String(repeating: block, count: GroupedRender.automaticMinimumBlocks / 10) + "Last[^z].\n\n[^z]: End.\n"
        let document = try MarkdownDocument(text)
        #expect(ProcessInfo.processInfo.activeProcessorCount == 1 || document.renderGroupCount > 1)
        let automatic = try document.html()
        #expect(automatic == (try document.html(blocksPerGroup: Int.max)))
        #expect(automatic.hasSuffix("</section>\n"))
    }
}
