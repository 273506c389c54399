import CCmarkGFM
import Foundation

/// GitHub alerts (`> [!NOTE]` ...) become admonitions: the marker is removed and the block quote
/// is wrapped in a titled `div`. `> [!PREDICT]` asks the reader to predict: its last nested block
/// quote is the answer, hidden behind a `<details>` until opened (no script needed).
extension MarkdownDocument {
    private static let admonitionKinds = Set(MarkdownOptions.admonitionKinds)

    /// `[!NOTE]` alone on the first line of the first paragraph of a block quote.
    private static func admonitionKind(_ text: OpaquePointer) -> String? {
        guard let literal = cmark_node_get_literal(text) else { return nil }
        let s = String(cString: literal).trimmingCharacters(in: .whitespaces)
        guard s.hasPrefix("[!"), s.hasSuffix("]"), s.count > 3 else { return nil }
        let kind = s.dropFirst(2).dropLast().lowercased()
        guard admonitionKinds.contains(kind) else { return nil }
        if let next = cmark_node_next(text) {
            let t = cmark_node_get_type(next)
            guard t == CMARK_NODE_SOFTBREAK || t == CMARK_NODE_LINEBREAK else { return nil }
        }
        return kind
    }

    static func isAdmonitionMarker(_ text: OpaquePointer) -> Bool {
        guard cmark_node_previous(text) == nil, let paragraph = cmark_node_parent(text),
            cmark_node_get_type(paragraph) == CMARK_NODE_PARAGRAPH, cmark_node_previous(paragraph) == nil,
            let quote = cmark_node_parent(paragraph), cmark_node_get_type(quote) == CMARK_NODE_BLOCK_QUOTE
        else { return false }
        return admonitionKind(text) != nil
    }

    func convertAdmonition(_ quote: OpaquePointer) throws(MarkdownError) {
        guard let paragraph = cmark_node_first_child(quote), cmark_node_get_type(paragraph) == CMARK_NODE_PARAGRAPH,
            let text = cmark_node_first_child(paragraph), cmark_node_get_type(text) == CMARK_NODE_TEXT,
            let kind = Self.admonitionKind(text)
        else { return }
        admonitions.append(Admonition(kind: kind, line: Int(cmark_node_get_start_line(quote))))
        // Unlinked nodes stay in the arena until the document goes.
        if let br = cmark_node_next(text) { cmark_node_unlink(br) }
        cmark_node_unlink(text)
        if cmark_node_first_child(paragraph) == nil { cmark_node_unlink(paragraph) }
        let title = HTMLEscaping.escape(options.admonitionTitles[kind] ?? kind.capitalized)
        let custom = try replaceWithCustomBlock(quote)
        try CmarkTree.setOnEnter(
            custom,
            "<div class=\"admonition admonition-\(kind)\" role=\"note\"><p class=\"admonition-title\">\(AdmonitionIcons.svg(kind))\(title)</p>"
        )
        try CmarkTree.setOnExit(custom, "</div>")
        if kind == "predict" { try hideAnswer(in: custom, line: Int(cmark_node_get_start_line(quote))) }
    }

    /// The prediction's answer: its last block quote, wrapped in `<details class="predict-answer">`.
    private func hideAnswer(in prediction: OpaquePointer, line: Int) throws(MarkdownError) {
        var answer: OpaquePointer?
        var child = cmark_node_first_child(prediction)
        while let node = child {
            if cmark_node_get_type(node) == CMARK_NODE_BLOCK_QUOTE { answer = node }
            child = cmark_node_next(node)
        }
        guard let answer else {
            throw MarkdownError(
                line: line,
                message: "a [!PREDICT] block needs its answer in a nested block quote (a last paragraph written as '> > the answer')")
        }
        let summary = HTMLEscaping.escape(options.predictAnswerLabel)
        let custom = try replaceWithCustomBlock(answer)
        try CmarkTree.setOnEnter(
            custom, "<details class=\"predict-answer\"><summary>\(summary)</summary><div class=\"predict-answer-body\">")
        try CmarkTree.setOnExit(custom, "</div></details>")
    }
}
