import CCmarkGFM

/// Links in the author's raw HTML (`href`, `src`): reported in `links` beside Markdown's own, and
/// rewritten in the HTML node on every render, always from the original text.
extension MarkdownDocument {
    func recordRawLinks(in bytes: [UInt8], node: OpaquePointer, line: Int, column: Int) {
        let urls = RawHTMLScanner.urls(in: bytes)
        guard !urls.isEmpty else { return }
        var entries: [(url: RawHTMLURL, link: Int)] = []
        for url in urls {
            entries.append((url, links.count))
            links.append(
                LinkReference(
                    index: links.count, kind: .rawHTML, destination: url.value, altText: "", line: line + url.lineOffset, column: column))
        }
        rawLinkNodes.append((node, bytes, entries))
    }

    /// A value `linkURL` returns nil for keeps its original bytes (entities and all).
    func rewriteRawLinks(_ linkURL: (LinkReference) -> String?) throws(MarkdownError) {
        for (node, original, urls) in rawLinkNodes {
            var html: [UInt8] = []
            html.reserveCapacity(original.count + 16)
            var position = 0
            for (url, index) in urls {
                html += original[position..<url.range.lowerBound]
                if let rewritten = linkURL(links[index]) {
                    HTMLEscaping.appendEscaped(Array(rewritten.utf8)[...], to: &html)
                } else {
                    html += original[url.range]
                }
                position = url.range.upperBound
            }
            html += original[position...]
            html.append(0)
            try CmarkTree.setLiteral(node, nulTerminated: html)
        }
    }
}
