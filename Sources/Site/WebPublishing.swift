import Foundation
import Markdown

/// What a course published at a known address (course.yml's `base-url`) adds for search engines
/// and link previews: absolute canonical URLs, `hreflang` alternates between the languages of a
/// page, Open Graph values, `sitemap.xml` and `robots.txt`. Without a base URL there is none of
/// it, and every URL of the site stays relative.
///
/// A page belongs to a translation language only where it is translated (the home page and the
/// glossary always are: the language's entry point, and terms given in every language). An untranslated page of that language's site shows the
/// original's text, so its canonical URL is the original's and the sitemap leaves it out: search
/// engines would otherwise index the same text twice, once under the wrong language.
struct WebPublishing: Sendable {
    /// The base URL, ending with `/`, its path percent-encoded.
    let baseURL: String
    let defaultLanguage: String
    /// Every language code, the default first, then course.yml's order.
    let languages: [String]
    /// Site-root page paths in reading order: home, the glossary, then each chapter and its lessons.
    let pages: [String]
    /// Per translation language, the pages it has translated (the home page among them).
    let translated: [String: Set<String>]

    /// nil when the course sets no base URL. `editions` are the translation languages' courses.
    init?(course: Course, editions: [Course]) {
        guard let url = course.config.url else { return nil }
        baseURL = Self.encodedBase(url)
        defaultLanguage = course.config.language
        languages = [course.config.language] + editions.compactMap { $0.edition?.code }
        let glossary = course.glossary.isEmpty ? [] : [PageRenderer.glossaryPath]
        pages = ["index.html"] + glossary + course.chapters.flatMap { [$0.path] + $0.lessons.map(\.path) }
        var translated: [String: Set<String>] = [:]
        for edition in editions {
            guard let code = edition.edition?.code else { continue }
            var paths = Set(["index.html"] + glossary)
            for chapter in edition.chapters {
                if chapter.translation != nil { paths.insert(chapter.path) }
                for lesson in chapter.lessons where lesson.translation != nil { paths.insert(lesson.path) }
            }
            translated[code] = paths
        }
        self.translated = translated
    }

    /// Whether `path` has a page of its own in `language`.
    func isPublished(_ path: String, in language: String) -> Bool {
        language == defaultLanguage || translated[language]?.contains(path) == true
    }

    /// The absolute URL of a page in a language; a folder's `index.html` is the folder's URL.
    func url(of path: String, in language: String) -> String {
        let prefix = language == defaultLanguage ? "" : URLPaths.encode(language) + "/"
        let page = path == "index.html" ? "" : path.hasSuffix("/index.html") ? String(path.dropLast("index.html".count)) : path
        return baseURL + prefix + URLPaths.encodePath(page)
    }

    /// The URL search engines should index for the page at `path` of `language`'s site.
    func canonicalURL(of path: String, in language: String) -> String {
        url(of: path, in: isPublished(path, in: language) ? language : defaultLanguage)
    }

    /// The page's versions, one per language that has it, then `x-default` (the default
    /// language's); none for a course in one language.
    func alternates(of path: String) -> [(language: String, url: String)] {
        guard languages.count > 1 else { return [] }
        let versions = languages.filter { isPublished(path, in: $0) }.map { ($0, url(of: path, in: $0)) }
        return versions + [("x-default", url(of: path, in: defaultLanguage))]
    }

    /// `sitemap.xml`: every page of every language once, each with its alternates.
    func sitemap() -> String {
        var xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">

            """
        for language in languages {
            for path in pages where isPublished(path, in: language) {
                xml += "<url>\n<loc>\(HTMLEscaping.escape(url(of: path, in: language)))</loc>\n"
                for (code, href) in alternates(of: path) {
                    xml +=
                        "<xhtml:link rel=\"alternate\" hreflang=\"\(HTMLEscaping.escape(code))\" href=\"\(HTMLEscaping.escape(href))\"/>\n"
                }
                xml += "</url>\n"
            }
        }
        return xml + "</urlset>\n"
    }

    /// `robots.txt`: everything may be crawled; the sitemap is named. Crawlers read it only at the
    /// root of a host, so it does its work where the base URL is a host's root.
    func robots() -> String {
        "User-agent: *\nAllow: /\n\nSitemap: \(baseURL)sitemap.xml\n"
    }

    /// The template values for one page's head: canonical URL, alternates and Open Graph values
    /// for the home page, the glossary, chapters and lessons; only `noindex` for the print pages
    /// (they repeat the lessons) and the not-found page.
    func head(path: String, kind: String, language: String, title: String, description: String?, siteName: String) -> [String: Any] {
        guard ["home", "glossary", "chapter", "lesson"].contains(kind) else { return ["noindex": true] }
        // An untranslated page speaks the original's language, as its canonical URL says.
        let shown = isPublished(path, in: language) ? language : defaultLanguage
        let canonical = url(of: path, in: shown)
        let others = languages.filter { $0 != shown && isPublished(path, in: $0) }
        return compact([
            "indexed": true, "canonical": canonical,
            "alternates": alternates(of: path).map { ["hreflang": $0.language, "href": $0.url] },
            "ogType": kind == "lesson" ? "article" : "website",
            "ogTitle": title, "ogDescription": description, "ogSiteName": siteName,
            "ogLocale": Self.openGraphLocale(shown),
            "ogLocaleAlternates": others.map(Self.openGraphLocale)
        ])
    }

    /// Open Graph writes locales with `_` (`en_US`); BCP 47 tags use `-`.
    static func openGraphLocale(_ language: String) -> String {
        language.replacingOccurrences(of: "-", with: "_")
    }

    /// The base URL with a final `/`, and anything outside printable ASCII (or a space, quote or
    /// angle bracket) percent-encoded, as sitemaps and link headers require.
    static func encodedBase(_ url: String) -> String {
        var allowed = CharacterSet(charactersIn: Unicode.Scalar(0x21)...Unicode.Scalar(0x7E))
        allowed.remove(charactersIn: "\"<>\\^`{|}")
        let encoded = url.addingPercentEncoding(withAllowedCharacters: allowed) ?? url
        return encoded.hasSuffix("/") ? encoded : encoded + "/"
    }
}

extension PageRenderer {
    /// With a base URL, the head's publishing values. On an indexed page its absolute alternates
    /// replace the language switch's relative ones: search engines take only absolute addresses.
    func addPublishing(to common: inout [String: Any], path: String, kind: String, title: String?, description: String?) {
        guard let publishing else { return }
        let config = course.config
        let head = publishing.head(
            path: path, kind: kind, language: config.language, title: title ?? config.title,
            description: description ?? config.description, siteName: config.title)
        if head["indexed"] != nil { common["alternates"] = nil }
        common["published"] = head
    }
}
