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

    func entry(_ scratch: Scratch) throws -> String {
        let entries = try searchEntries(scratch.read("out/search-index.js"))
        return try #require(entries.first { $0["u"] == "intro/first.html#instructions" }?["x"])
    }

    @Test func tableCellsAreSeparateWords() async throws {
        _ = try await build(content(), into: scratch, provider: StubProvider { sampleView(id: $0.option("id") ?? "?", output: "H") })
        #expect(try entry(scratch).hasPrefix("Instruction Reveals SGDT the GDTR PUSHF IF and IOPL "))
    }

    /// The provider's shown source (hidden lines removed) is indexed, in its place in the section.
    @Test func exercisesAreSearchedByTheirShownSource() async throws {
        let stub = StubProvider { block in
            var view = sampleView(id: block.option("id") ?? "?", output: "H")
            view.displaySource = "    mov dx, 0x3f8\n    hlt\n"
            return view
        }
        _ = try await build(content(), into: scratch, provider: stub)
        let text = try entry(scratch)
        #expect(text.hasSuffix("IF and IOPL mov dx, 0x3f8 hlt After the exercise."))
        #expect(!text.contains("org 0x7c00") && !text.contains("[hide]") && !text.contains("hc-exercise"))
    }

    /// Without a provider (Site on its own) nothing knows which lines are hidden: the page shows
    /// the block as written, and search follows the page.
    @Test func withoutAProviderTheBlockAsWrittenIsSearched() async throws {
        _ = try await build(content(), into: scratch)
        let text = try entry(scratch)
        #expect(text.hasSuffix("; [hide] bits 16 org 0x7c00 ; [show] mov dx, 0x3f8 hlt After the exercise."))
        #expect(!text.contains("hc-exercise"))
    }
}
