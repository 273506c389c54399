import Common
import Foundation

/// A translation language's edition, rendered: its course, theme (UI strings in its language) and
/// bodies, written under `public/<code>/`.
struct RenderedEdition {
    var course: Course
    var theme: Theme
    var pages: RenderedPages
    var warnings: [SiteWarning]
}

extension SiteBuilder {
    /// Stage 2 and 3 for every edition: bodies rendered (translations checked against their
    /// originals' headings and exercises) and their anchors checked. Errors stay in each
    /// edition's pages, to be reported with the default language's.
    func renderEditions(_ loaded: LoadedCourse, pages original: RenderedPages) throws -> [RenderedEdition] {
        // An untranslated page shows the original's text: its problems are the original's, said once.
        let said = Set(original.errors)
        let warned = Set(original.warnings)
        let originals = original.bodies
        return try loaded.editions.map { course in
            var warnings: [SiteWarning] = []
            let layers = try themeLayers(config: loaded.config, contentRoot: loaded.root)
            let theme = try Theme(layers: layers, language: course.config.language, multilingual: true, warnings: &warnings)
            var pages = try renderBodies(course: course, root: loaded.root, errors: [], theme: theme, originals: originals)
            pages.errors += anchorErrors(pages)
            pages.errors = pages.errors.filter { !said.contains($0) }
            return RenderedEdition(
                course: course, theme: theme, pages: pages, warnings: warnings + pages.warnings.filter { !warned.contains($0) })
        }
    }
}
