import Foundation
import Testing

@testable import Site

/// What search finds is what the page shows.
@Suite struct SearchTextTests {
    let scratch = Scratch()

    func content() -> URL {
        scratch.write([
            "01-intro/01-first.md": """
            ---
            title: First
            ---

            ## Instructions

            | Instruction | Reveals |
            |---|---|
            | `SGDT` | the GDTR |
            | PUSHF | IF and IOPL |

            ```asm exercise id=hello mode=real
            ; [hide]
            bits 16
            org 0x7c00
            ; [show]
                mov dx, 0x3f8
                hlt
            ```

            After the exercise.

            """
        ])
    }

    func entry(_ scratch: Scratch) throws -> SearchIndexReader.Doc {
        let docs = try searchDocs(scratch.url.appendingPathComponent("out"))
        return try #require(docs.first { $0.url == "intro/first.html#instructions" })
    }

    @Test func tableCellsAreSeparateWords() async throws {
        _ = try await build(content(), into: scratch, provider: StubProvider { sampleView(id: $0.option("id") ?? "?", output: "H") })
        let doc = try entry(scratch)
        #expect(doc.excerpt.hasPrefix("Instruction Reveals SGDT the GDTR PUSHF IF and IOPL "))
        #expect(["reveals", "sgdt", "gdtr", "pushf", "iopl"].allSatisfy { doc.words[$0] != nil })
        #expect(doc.words["revealssgdt"] == nil && doc.words["sgdtthe"] == nil)
    }

    /// The provider's shown source (hidden lines removed) is indexed, in its place in the section.
    @Test func exercisesAreSearchedByTheirShownSource() async throws {
        let stub = StubProvider { block in
            var view = sampleView(id: block.option("id") ?? "?", output: "H")
            view.displaySource = "    mov dx, 0x3f8\n    hlt\n"
            return view
        }
        _ = try await build(content(), into: scratch, provider: stub)
        let doc = try entry(scratch)
        #expect(doc.excerpt.hasPrefix("Instruction Reveals SGDT the GDTR PUSHF IF and IOPL mov dx, 0x3f8 hlt"))
        #expect(["mov", "dx", "0x3f8", "hlt", "after"].allSatisfy { doc.words[$0] != nil })
        #expect(["org", "0x7c00", "hide", "bits", "hc"].allSatisfy { doc.words[$0] == nil })
    }

    /// Without a provider (Site on its own) nothing knows which lines are hidden: the page shows
    /// the block as written, and search follows the page.
    @Test func withoutAProviderTheBlockAsWrittenIsSearched() async throws {
        _ = try await build(content(), into: scratch)
        let doc = try entry(scratch)
        #expect(["hide", "bits", "16", "org", "0x7c00", "show", "mov", "hlt"].allSatisfy { doc.words[$0] != nil })
        #expect(doc.words["hc"] == nil)
    }
}
