import Foundation
import Testing

@testable import Site

/// How much guest output a card shows: cut at a line boundary, and never inside a UTF-8 sequence
/// (even when the first line alone is over the limit).
@Suite struct OutputDisplayTests {
    @Test func controlCharactersAreShownAsControlPictures() {
        #expect(OutputDisplay.visible("plain\ttext\n") == "plain\ttext\n")
        #expect(OutputDisplay.visible("\u{1B}[31mred\u{1B}[0m\u{0}\u{7F}\n") == "␛[31mred␛[0m␀␡\n")
        #expect(OutputDisplay.visible("line\r\nnext\rover") == "line\nnext␍over")
        #expect(OutputDisplay.visible("café ✓\u{7}") == "café ✓␇")
    }

    @Test func theCardNeverCarriesRawControlBytes() async throws {
        let scratch = Scratch()
        let content = scratch.write(["c/x.md": "---\ntitle: X\n---\n\n```asm exercise id=ctl\nhlt\n```\n"])
        _ = try await build(content, into: scratch, provider: StubProvider { _ in sampleView(id: "ctl", output: "A\u{1B}B\u{0}C\r\n") })
        let page = scratch.read("out/c/x.html")
        #expect(page.contains("<samp>A␛B␀C\n</samp>"))
        #expect(!page.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" && $0 != "\t" && $0 != "\r" })
    }

    @Test func shortOutputIsShownWhole() {
        let display = OutputDisplay.cut("hello\nworld\n")
        #expect(display == OutputDisplay(shown: "hello\nworld\n", linesCut: 0, bytesCut: 0) && !display.isCut)
    }

    @Test func longOutputIsCutAtALineBoundaryNeverInsideACharacter() {
        // Lines of 99 × "é" (2 bytes each) + newline = 199 bytes: byte 16384 falls inside a line,
        // and inside a character.
        let line = String(repeating: "é", count: 99) + "\n"
        let text = String(repeating: line, count: 100)
        let display = OutputDisplay.cut(text)
        #expect(display.isCut)
        #expect(display.shown.hasSuffix("\n") && display.shown.utf8.count <= OutputDisplay.maxBytes)
        #expect(display.shown == String(repeating: line, count: 16384 / 199))
        #expect(display.linesCut == 100 - 16384 / 199)
        #expect(display.bytesCut == text.utf8.count - display.shown.utf8.count)
    }

    @Test func manyShortLinesAreCutAtTheLineLimit() {
        let text = (1...1000).map { "\($0)" }.joined(separator: "\n") // no final newline
        let display = OutputDisplay.cut(text)
        #expect(display.shown.split(separator: "\n").count == OutputDisplay.maxLines && display.shown.hasSuffix("400\n"))
        #expect(display.linesCut == 600) // 401...1000, the last without a newline
    }

    @Test func aSingleHugeLineIsCutAtACharacterBoundary() {
        let text = String(repeating: "€", count: 10_000) // 3 bytes each
        let display = OutputDisplay.cut(text)
        #expect(display.shown == String(repeating: "€", count: 16384 / 3))
        #expect(display.linesCut == 1 && display.bytesCut == 30_000 - (16384 / 3) * 3)
    }

    @Test func theCardSaysHowMuchWasCut() async throws {
        let scratch = Scratch()
        let content = scratch.write(["01-intro/01-first.md": "---\ntitle: First\n---\n\n```asm exercise id=loud\nhlt\n```\n"])
        let output = (1...500).map { "line \($0)" }.joined(separator: "\n") + "\n"
        let stub = StubProvider { _ in
            var view = sampleView(id: "loud", output: output)
            view.outputBytes = output.utf8.count
            view.outputTruncated = false
            return view
        }
        _ = try await build(content, into: scratch, provider: stub)
        let page = scratch.read("out/intro/first.html")
        #expect(page.contains("line 400\n</samp>") && !page.contains("line 401"))
        #expect(
            page.contains(
                "Output truncated for display: the last 100 lines (\(output.utf8.count - OutputDisplay.cut(output).shown.utf8.count) bytes) are not shown; the guest wrote \(output.utf8.count) bytes."
            ))
    }
}
