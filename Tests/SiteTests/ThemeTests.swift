import Foundation
import Testing

@testable import Site

@Suite struct ThemeTests {
    let scratch = Scratch()

    @Test func courseOverridesTemplatesAndAssetsByName() async throws {
        let content = scratch.write([
            "course.yml": "title: T\ntemplates: theme/\n",
            "theme/partials/footer.mustache": "<footer class=\"custom\">{{course.title}} custom footer</footer>\n",
            "theme/assets/style.css": "body { color: rebeccapurple; }\n",
            "theme/assets/extra.js": "// extra\n",
            "01-c/x.md": "---\ntitle: X\n---\n"
        ])
        _ = try await build(content, into: scratch)
        #expect(scratch.read("out/c/x.html").contains("<footer class=\"custom\">T custom footer</footer>"))
        #expect(scratch.read("out/assets/style.css") == "body { color: rebeccapurple; }\n")
        #expect(scratch.exists("out/assets/extra.js"))
        #expect(scratch.exists("out/assets/site.js")) // not overridden: from the built-in theme
        // The theme folder is not a chapter.
        #expect(!scratch.exists("out/theme"))
    }

    /// The stylesheet is kept in parts by concern and served as one file: the parts joined in name
    /// order. A course replaces one part by name, or adds one, without copying the rest.
    @Test func stylesheetPartsAreJoinedIntoOneFile() async throws {
        let parts = try FileManager.default.contentsOfDirectory(atPath: Repo.templates.appendingPathComponent("assets/style").path)
            .filter { $0.hasSuffix(".css") && "style/" + $0 != Theme.multilingualPart }.sorted()
        #expect(parts.count >= 5)
        // The part for a course in several languages joins only such a course's sheet (TranslationTests).
        let plain = scratch.write(["01-c/x.md": "---\ntitle: X\n---\n"], in: "plain")
        _ = try await build(plain, into: scratch, out: "out-plain")
        let joined = try parts.map { try String(contentsOf: Repo.templates.appendingPathComponent("assets/style/\($0)"), encoding: .utf8) }
            .joined()
        #expect(scratch.read("out-plain/assets/style.css") == joined)
        #expect(!scratch.exists("out-plain/assets/style")) // the parts themselves are not copied
        #expect(scratch.read("out-plain/c/x.html").components(separatedBy: "rel=\"stylesheet\"").count == 2)

        let content = scratch.write([
            "course.yml": "title: T\ntemplates: theme/\n",
            "theme/assets/style/40-exercise.css": "/* my cards */\n",
            "theme/assets/style/45-mine.css": "/* mine */",
            "01-c/x.md": "---\ntitle: X\n---\n"
        ])
        _ = try await build(content, into: scratch)
        let sheet = scratch.read("out/assets/style.css")
        #expect(sheet.contains("/* my cards */\n/* mine */\n") && !sheet.contains(".exercise-head {"))
        #expect(sheet.hasPrefix(try String(contentsOf: Repo.templates.appendingPathComponent("assets/style/10-base.css"), encoding: .utf8)))
        #expect(
            sheet.hasSuffix(try String(contentsOf: Repo.templates.appendingPathComponent("assets/style/90-print.css"), encoding: .utf8)))
    }

    @Test func templatesOptionLayersOnTop() async throws {
        let content = scratch.write([
            "course.yml": "title: T\ntemplates: theme/\n",
            "theme/partials/footer.mustache": "<footer>from course</footer>\n",
            "01-c/x.md": "---\ntitle: X\n---\n"
        ])
        let cli = scratch.write(["partials/footer.mustache": "<footer>from --templates</footer>\n"], in: "cli-theme")
        _ = try await build(content, into: scratch, templates: cli)
        #expect(scratch.read("out/c/x.html").contains("<footer>from --templates</footer>"))
    }

    @Test func languageSelectsUIStringsWithEnglishFallback() async throws {
        let content = scratch.write([
            "course.yml": "title: 虚拟化\nlanguage: zh-Hans\ntemplates: theme/\n",
            "theme/i18n/zh.yml": "next: \"下一页\"\nprevious: \"上一页\"\non_this_page: \"本页内容\"\n",
            "01-c/x.md": "---\ntitle: 第一课\n---\n\n## 简介\n\n文字。\n",
            "01-c/y.md": "---\ntitle: 第二课\n---\n"
        ])
        let summary = try await build(content, into: scratch)
        let page = scratch.read("out/c/x.html")
        #expect(page.hasPrefix("<!DOCTYPE html>\n<html lang=\"zh-Hans\" dir=\"ltr\">"))
        #expect(page.contains("<span class=\"pager-label\">下一页 →</span>"))
        #expect(page.contains("<h2 id=\"hc-toc-title\" class=\"toc-title\">本页内容</h2>"))
        #expect(page.contains("Skip to content")) // missing in zh.yml: English
        #expect(page.contains("<h2 id=\"简介\">"))
        #expect(summary.warnings.contains { $0.message.hasPrefix("missing UI strings (English used):") })
        let docs = try searchDocs(scratch.url.appendingPathComponent("out"))
        // Han text is indexed as pairs of characters and each run's last character.
        #expect(
            docs.contains {
                $0.heading == "简介" && $0.excerpt == "文字。" && $0.url == "c/x.html#简介" && $0.words["文字"] == 1 && $0.words["字"] == 1
                    && $0.words["简介"] == 12
            })
    }

    /// The theme compiled into the program is `templates/` as it is now: the same files, byte for
    /// byte, so what an installed binary renders is what the repository's templates say.
    @Test func builtInThemeIsTheTemplatesFolder() throws {
        let onDisk = try Theme.listFiles(Repo.templates).sorted()
        #expect(onDisk.contains("layout.mustache") && onDisk.contains("i18n/en.yml") && onDisk.contains("assets/site.js"))
        #expect(BuiltInTheme.files.keys.sorted() == onDisk)
        for path in onDisk {
            let disk = try Data(contentsOf: Repo.templates.appendingPathComponent(path))
            #expect(BuiltInTheme.files[path] == disk, "\(path) differs from templates/\(path): rebuild")
        }
    }

    /// A file from the built-in theme is named as such in messages, never as a path on the machine
    /// that built the program.
    @Test func builtInFilesAreNamedInMessages() throws {
        var warnings: [SiteWarning] = []
        _ = try Theme(layers: [.builtIn], language: "xx", warnings: &warnings)
        #expect(warnings.map(\.file) == ["(built-in theme)"])
        #expect(ThemeFile.builtIn(path: "partials/toc.mustache", contents: Data()).displayPath == "(built-in theme)/partials/toc.mustache")
    }

    /// No English UI text is hard-coded: every string the theme shows is a key in en.yml.
    @Test func everyThemeStringComesFromTheStringsFile() throws {
        var warnings: [SiteWarning] = []
        let theme = try Theme(layers: [.builtIn], language: "en", warnings: &warnings)
        #expect(warnings.isEmpty)
        #expect(theme.strings["next"] == "Next")
        for key in [
            "heading_anchor", "footnotes_title", "footnote_back", "admonition_note", "admonition_tip", "admonition_important",
            "admonition_warning", "admonition_caution", "print_title", "not_found_title"
        ] {
            #expect(theme.strings[key] != nil, "\(key) missing from en.yml")
        }
    }
}
