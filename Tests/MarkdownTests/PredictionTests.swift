import Testing

@testable import Markdown

/// `> [!PREDICT]`: the question shows; the answer, its last nested block quote, is inside a
/// `<details>` that opens without any script.
@Suite struct PredictionTests {
    @Test func theAnswerIsHiddenBehindDetails() throws {
        var options = MarkdownOptions()
        options.predictAnswerLabel = "Reveal"
        let text = "> [!PREDICT]\n> What does `out` do here?\n>\n> > It exits to the **VMM**.\n\nAfter.\n"
        let html = try MarkdownDocument(text, options: options).html()
        #expect(html.contains("<div class=\"admonition admonition-predict\" role=\"note\"><p class=\"admonition-title\"><svg"))
        #expect(
            html.contains(
                "Predict</p>\n<p>What does <code class=\"nowrap\">out</code> do here?</p>\n<details class=\"predict-answer\"><summary>Reveal</summary><div class=\"predict-answer-body\">\n<p>It exits to the <strong>VMM</strong>.</p>\n</div></details>\n</div>"
            ),
            "\(html)")
        #expect(!html.contains("<blockquote>"))
    }

    @Test func onlyTheLastNestedQuoteIsTheAnswer() throws {
        let text = "> [!PREDICT]\n> Which is quoted?\n>\n> > a quotation in the question\n>\n> Then:\n>\n> > the answer\n"
        let html = try MarkdownDocument(text).html()
        #expect(html.contains("<blockquote>\n<p>a quotation in the question</p>\n</blockquote>"))
        #expect(html.contains("<summary>Show the answer</summary><div class=\"predict-answer-body\">\n<p>the answer</p>"))
    }

    @Test func aPredictionWithoutAnAnswerIsAnErrorAtItsLine() throws {
        #expect {
            try MarkdownDocument("Intro.\n\n> [!PREDICT]\n> What happens?\n").html()
        } throws: { error in
            guard let error = error as? MarkdownError else { return false }
            return error.line == 3 && error.message.contains("needs its answer in a nested block quote")
        }
    }
}
