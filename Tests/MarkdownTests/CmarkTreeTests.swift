import CCmarkGFM
import Testing

@testable import Markdown

/// Tree edits against the real libcmark-gfm: a refused edit never loses content.
@Suite struct CmarkTreeTests {
    /// Parses `markdown` in a fresh arena and hands `body` the document node.
    func withTree(_ markdown: String, _ body: (OpaquePointer) throws -> Void) throws {
        let arena = CmarkArena()
        try arena.withArena {
            let parser = CmarkRuntime.makeParser(smart: false)
            var text = markdown
            text.withUTF8 { buffer in
                buffer.withMemoryRebound(to: CChar.self) { cmark_parser_feed(parser, $0.baseAddress, $0.count) }
            }
            try body(CmarkRuntime.finish(parser))
        }
    }

    /// The first node of `type` (by its name, `table_cell`, `code`...) in document order.
    func first(_ type: String, in root: OpaquePointer) -> OpaquePointer? {
        let iter = cmark_iter_new(root)
        defer { cmark_iter_free(iter) }
        while cmark_iter_next(iter) != CMARK_EVENT_DONE {
            if let node = cmark_iter_get_node(iter), CmarkTree.typeName(node) == type { return node }
        }
        return nil
    }

    func render(_ root: OpaquePointer) -> String {
        guard let html = cmark_render_html_with_mem(root, CmarkRuntime.options, nil, CmarkArena.memory) else { return "" }
        return String(cString: html)
    }

    @Test func aRefusedReplacementLeavesTheNodeInPlace() throws {
        try withTree("| a |\n|---|\n| `SGDT` |\n") { root in
            let code = try #require(first("code", in: root))
            #expect(CmarkTree.typeName(try #require(cmark_node_parent(code))) == "table_cell")
            // A table cell takes no custom inline.
            let custom = CmarkRuntime.node(CMARK_NODE_CUSTOM_INLINE)
            #expect(!CmarkTree.replace(code, with: custom))
            #expect(cmark_node_parent(code) != nil && cmark_node_parent(custom) == nil)
            #expect(render(root).contains("<code>SGDT</code>"))
            // The raw HTML inline that short spans use is taken.
            let html = CmarkRuntime.node(CMARK_NODE_HTML_INLINE)
            try CmarkTree.setLiteral(html, "<code class=\"nowrap\">SGDT</code>")
            #expect(CmarkTree.replace(code, with: html))
            #expect(cmark_node_parent(code) == nil)
        }
    }

    @Test func aRefusedMoveThrowsInsteadOfLoopingOrDropping() throws {
        try withTree("| a |\n|---|\n| cell |\n\nline one\nline two\n") { root in
            let cell = try #require(first("table_cell", in: root))
            let paragraph = try #require(first("paragraph", in: root))
            // The paragraph's soft break is an inline a table cell refuses.
            do {
                try CmarkTree.moveChildren(of: paragraph, to: cell)
                Issue.record("the move into a table cell succeeded")
            } catch let error as MarkdownError {
                #expect(error.message.contains("softbreak") && error.message.contains("table_cell"), "\(error)")
                #expect(error.line == 5)
            }
            // What was not moved is still where it was.
            #expect(render(root).contains("line two"))
        }
    }

    @Test func settersOnTheWrongNodeTypeThrow() throws {
        try withTree("text `code`\n") { root in
            let text = try #require(first("text", in: root))
            #expect(throws: MarkdownError.self) { try CmarkTree.setOnEnter(text, "<b>") }
            #expect(throws: MarkdownError.self) { try CmarkTree.setURL(text, "x.html") }
            let paragraph = try #require(first("paragraph", in: root))
            #expect(throws: MarkdownError.self) { try CmarkTree.setLiteral(paragraph, "x") }
            try CmarkTree.setLiteral(text, "changed ")
            #expect(render(root) == "<p>changed <code>code</code></p>\n")
        }
    }
}
