import Foundation
import Testing

@testable import Site

/// The UI strings the page scripts show live in one shared file, `ui-strings.js`, not in every page.
@Suite struct UIStringsTests {
    let scratch = Scratch()

    /// The object `ui-strings.js` assigns to `window.HC_UI_STRINGS`, decoded.
    func sharedStrings(_ script: String) throws -> [String: String] {
        let prefix = "window.HC_UI_STRINGS = "
        #expect(script.hasPrefix(prefix) && script.hasSuffix(";\n"))
        let literal = script.dropFirst(prefix.count).dropLast(2)
        return try #require(try JSONSerialization.jsonObject(with: Data(literal.utf8)) as? [String: String])
    }

    @Test func theStringsAreInOneSharedFile() async throws {
        _ = try await build(Repo.fixture, into: scratch)
        var warnings: [SiteWarning] = []
        let theme = try Theme(layers: [.builtIn], language: "en", warnings: &warnings)
        let strings = try sharedStrings(scratch.read("out/ui-strings.js"))
        // Every string a script may show; those only templates use stay out.
        #expect(strings == theme.strings.filter { !PageRenderer.templateOnlyStrings.contains(where: $0.key.hasPrefix) })
        #expect(strings["search_unavailable"] == "The search index could not be loaded")
        // Every page loads it, deferred and before site.js (deferred scripts run in document order),
        // from the site's root; no page carries the strings itself.
        for (page, root) in [
            ("index.html", ""), ("cpu-virtualization/kvm-basics.html", "../"), ("print.html", ""),
            ("foundations/_print.html", "../"), ("404.html", "")
        ] {
            let html = scratch.read("out/" + page)
            #expect(
                html.contains(
                    "<script src=\"\(root)ui-strings.js\" defer></script>\n<script src=\"\(root)assets/site.js\" defer></script>"),
                "\(page)")
            #expect(!html.contains("hc-ui-strings") && !html.contains("could not be loaded"), "\(page)")
        }
    }
}
