import Foundation
import Testing

@testable import Markdown

/// Our Markdown pipeline renders as libcmark-gfm does: every example of the GFM spec and of
/// cmark-gfm's extension and regression tests goes through `MarkdownDocument` and through
/// libcmark-gfm directly (same options, same extensions), and the two must be equal once our
/// documented decorations are taken out (`OurDecorations`). The comparison is ours against the
/// library, not against the files' expected HTML: some of that assumes options we do not use
/// (how many agree is printed, for information).
@Suite struct GFMConformanceTests {
    /// Examples whose difference is deliberate, as "file#number": reason. Each must still differ,
    /// so the list cannot go stale. Our documented decorations are not listed: `OurDecorations`
    /// removes them. Not reached by any example today, and so not listed: a heading ending in
    /// `{#id}` (our explicit heading ids remove it from the text).
    static let deliberate: [String: String] = [:]

    static let folder = GFMExamples.folder()

    @Test(
        .enabled(
            if: GFMConformanceTests.folder != nil,
            "skipped: no GFM examples in ../shared/data/gfm-spec beside the repository (or $HYPERCOURSE_GFM_SPEC)"))
    func everyExampleRendersAsLibCmarkGFMDoes() throws {
        let folder = try #require(Self.folder)
        let examples = try GFMExamples.load(from: folder)
        try Self.expectEveryExampleRead(examples, folder: folder)
        var differing: [String] = []
        var agreeing = (library: 0, ours: 0)
        for example in examples {
            let key = "\(example.file)#\(example.number)"
            let reference = LibCmarkGFM.html(example.markdown)
            let ours = OurDecorations.remove(try MarkdownDocument(example.markdown).html())
            let comparable = OurDecorations.alertMarker(in: reference)
            if reference == example.html { agreeing.library += 1 }
            if ours == example.html { agreeing.ours += 1 }
            if let reason = Self.deliberate[key] {
                #expect(ours != comparable, "\(example) is listed as a deliberate difference (\(reason)) but renders the same")
            } else if ours != comparable {
                differing.append(key)
                Issue.record(
                    "\(example) differs from libcmark-gfm:\n--- input\n\(example.markdown)--- libcmark-gfm\n\(comparable)--- ours (decorations removed)\n\(ours)"
                )
            }
        }
        #expect(differing.isEmpty, "\(differing.count) examples differ: \(differing.joined(separator: ", "))")
        print(
            "GFM conformance: \(examples.count) examples from \(folder.path); ours equals libcmark-gfm on "
                + "\(examples.count - differing.count - Self.deliberate.count) (\(Self.deliberate.count) deliberate differences); "
                + "with our options libcmark-gfm gives the files' expected HTML on \(agreeing.library), ours on \(agreeing.ours)")
    }

    /// The reader found every example: as many as there are opening fences, less the disabled.
    static func expectEveryExampleRead(_ examples: [GFMExample], folder: URL) throws {
        for file in GFMExamples.files {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            let fences = text.split(separator: "\n").filter { $0.hasPrefix(String(repeating: "`", count: 32) + " example") }
            let disabled = fences.filter { $0.split(separator: " ").contains("disabled") }.count
            let read = examples.filter { $0.file == file }
            #expect(
                !read.isEmpty && read.count == fences.count - disabled, "\(file): read \(read.count) of \(fences.count - disabled) examples"
            )
            #expect(read.allSatisfy { !$0.markdown.isEmpty || !$0.html.isEmpty })
        }
    }

    /// What the spec never shows, our decorations in every kind of container, so the normaliser is
    /// tested too: each input must carry the decoration, and equal libcmark-gfm without it.
    static let decorated: [(markdown: String, decoration: String)] = [
        ("# Title\n\n## The `KVM_RUN` *call*\n\nSetext\n---\n", "class=\"heading-anchor\""),
        ("```asm\nmov al, 'H' ; say \"H\" <now>\n```\n", "<span class=\"k\">mov</span>"),
        ("```Python extra words\nprint('x')\n```\n\n```\nplain & <simple>\n```\n\n    indented\n", "<div class=\"code-block\">"),
        (
            "| Instruction | Why |\n|---|---|\n| `SGDT` | reads the `GDTR` |\n| **`SIDT`** | [`IDTR`](x.md) ~~`old`~~ |\n",
            "<td><code class=\"nowrap\">SGDT</code>"
        ),
        ("Run `--steps 10`, `a<b & 'c'`, `hypercourse run --mode long --trace --json hello64.asm`.\n", "<code class=\"nowrap\">a&lt;b"),
        ("- item with `code`\n\n  > quote with `more`\n\n1. [`link`](u) and *`emph`*\n", "<code class=\"nowrap\">link</code>"),
        (
            "> [!NOTE]\n> Useful **info**.\n\n> [!WARNING]\n>\n> Careful, `code`.\n> > nested <div>raw</div>\n\n> [!NOTE] not alone\n",
            "admonition-warning"
        ),
        ("Claim[^a] and `x`[^b].\n\n[^a]: Source & page.\n[^b]: Other.\n", "footnotes-title"),
        ("Claim[^a].\n\n## References\n\n[^a]: Source.\n", "footnotes-headed"),
        ("> [!PREDICT]\n> What runs?\n>\n> > The *guest*.\n>\n> > More.\n", "predict-answer")
    ]

    @Test(arguments: GFMConformanceTests.decorated.indices)
    func ourDecorationsAreAllTheDifference(_ index: Int) throws {
        let (markdown, decoration) = Self.decorated[index]
        let html = try MarkdownDocument(markdown).html()
        #expect(html.contains(decoration), "the example does not exercise \(decoration):\n\(html)")
        let ours = OurDecorations.remove(html)
        let reference = OurDecorations.alertMarker(in: LibCmarkGFM.html(markdown))
        #expect(ours == reference, "--- input\n\(markdown)--- libcmark-gfm\n\(reference)--- ours (decorations removed)\n\(ours)")
    }

    /// The published lessons themselves, from this repository's content/ as it is now.
    @Test func theCourseRendersAsLibCmarkGFMDoes() throws {
        let content = GFMExamples.repositoryRoot.appendingPathComponent("content")
        let walker = try #require(FileManager.default.enumerator(at: content, includingPropertiesForKeys: nil))
        var lessons = 0
        while let file = walker.nextObject() as? URL {
            guard file.pathExtension == "md" else { continue }
            var text = try String(contentsOf: file, encoding: .utf8)
            if text.hasPrefix("---\n"), let end = text.range(of: "\n---\n") { text = String(text[end.upperBound...]) }
            let ours = OurDecorations.remove(try MarkdownDocument(text).html())
            let reference = OurDecorations.eastAsianBreaksJoined(in: OurDecorations.alertMarker(in: LibCmarkGFM.html(text)))
            #expect(
                ours == reference, "\(file.path) differs from libcmark-gfm (first difference at: \(Self.firstDifference(ours, reference)))")
            lessons += 1
        }
        #expect(lessons > 0)
    }

    static func firstDifference(_ a: String, _ b: String) -> String {
        let index = zip(a, b).prefix { $0 == $1 }.count
        return "ours …\(a.dropFirst(max(0, index - 80)).prefix(200))… libcmark-gfm …\(b.dropFirst(max(0, index - 80)).prefix(200))…"
    }

    @Test func examplesAreFoundBesideAWorktreesMainCheckout() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("hc-gfm-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let shared = scratch.appendingPathComponent("shared/data/gfm-spec")
        try FileManager.default.createDirectory(at: shared, withIntermediateDirectories: true)
        for file in GFMExamples.files { try Data().write(to: shared.appendingPathComponent(file)) }
        let main = scratch.appendingPathComponent("main"), worktree = scratch.appendingPathComponent("trees/one")
        try FileManager.default.createDirectory(at: main.appendingPathComponent(".git/worktrees/one"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: worktree, withIntermediateDirectories: true)
        try "gitdir: \(main.path)/.git/worktrees/one\n".write(
            to: worktree.appendingPathComponent(".git"), atomically: true, encoding: .utf8)
        #expect(GFMExamples.folder(repositoryRoot: main)?.standardizedFileURL.path == shared.standardizedFileURL.path)
        #expect(GFMExamples.folder(repositoryRoot: worktree)?.standardizedFileURL.path == shared.standardizedFileURL.path)
        #expect(
            ProcessInfo.processInfo.environment["HYPERCOURSE_GFM_SPEC"] != nil
                || GFMExamples.folder(repositoryRoot: scratch.appendingPathComponent("elsewhere/repo")) == nil)
    }
}
