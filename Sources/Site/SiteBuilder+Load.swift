import Common
import Foundation

/// A course read from its content folder: the folder (checked once, here), course.yml and the
/// chapters and lessons, with the warnings found on the way.
struct LoadedCourse: Sendable {
    var root: URL
    var config: CourseConfig
    var course: Course
    /// The course in each translation language (course.yml's `languages:`), in that order.
    var editions: [Course] = []
    var warnings: [SiteWarning]
    /// Lessons that did not load (see `Course.failedToLoad`): the first errors of the build.
    var errors: [SiteError]
}

extension SiteBuilder {
    /// Stage 1: the content folder, course.yml, and every chapter and lesson with its front matter.
    func loadCourse() throws -> LoadedCourse {
        let root = options.contentDirectory.standardizedFileURL
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDir), isDir.boolValue else {
            throw SiteError(file: root, "content folder not found (pass --content DIR)")
        }
        var warnings: [SiteWarning] = []
        var errors: [SiteError] = []
        let config = try CourseConfig.load(contentRoot: root, warnings: &warnings)
        var course = try CourseLoader(contentRoot: root, includeDrafts: options.includeDrafts).load(
            config: config, warnings: &warnings, errors: &errors)
        var editions = config.translationLanguages.map { language in
            EditionLoader(contentRoot: root, language: language).edition(of: course, warnings: &warnings, errors: &errors)
        }
        let codes = config.languages.isEmpty ? [config.language] : config.languages.map(\.code)
        course.glossary = try Glossary.load(contentRoot: root, languages: codes, errors: &errors)
        Glossary.check(
            course.glossary, course: course, editions: editions, root: root, file: root.appendingPathComponent(Glossary.fileName),
            warnings: &warnings, errors: &errors)
        for index in editions.indices { editions[index].glossary = course.glossary }
        var loaded = LoadedCourse(root: root, config: config, course: course, editions: editions, warnings: warnings, errors: errors)
        loaded.warnings += TranslationReport.warnings(TranslationReport.entries(loaded))
        return loaded
    }

    /// The theme a build renders with: its layers (see `themeLayers`), refused as a whole when the
    /// output folder is one of them. Theme warnings join the course's.
    func loadTheme(for loaded: inout LoadedCourse, output: OutputFolder) throws -> Theme {
        let layers = try themeLayers(config: loaded.config, contentRoot: loaded.root)
        // course.yml's `templates:` folder too, now that it is known.
        if let reason = OutputFolder.refusal(for: output.target, contentRoot: loaded.root, protecting: layers.compactMap(\.folder)) {
            throw SiteError(file: DisplayPath.of(output.target), reason)
        }
        return try Theme(
            layers: layers, language: loaded.config.language, multilingual: !loaded.config.languages.isEmpty, warnings: &loaded.warnings)
    }

    /// Built-in theme, then the course's override folder, then `--templates`. The course's folder
    /// must be inside the content folder, as written and with symlinks followed.
    func themeLayers(config: CourseConfig, contentRoot: URL) throws -> [Theme.Layer] {
        var layers = [options.themeDirectory.map { Theme.Layer(folder: $0.standardizedFileURL) } ?? .builtIn]
        if let folder = config.templates {
            layers.append(try courseTemplates(folder, config: config, contentRoot: contentRoot))
        }
        if let extra = options.templatesDirectory?.standardizedFileURL, !layers.contains(where: { $0.folder == extra }) {
            layers.append(.init(folder: extra))
        }
        return layers
    }

    /// course.yml's `templates:` folder, confined to the content folder.
    private func courseTemplates(_ folder: String, config: CourseConfig, contentRoot: URL) throws -> Theme.Layer {
        let content = ContentFolder(contentRoot)
        func fail(_ message: String) -> SiteError { SiteError(file: config.file ?? contentRoot, line: config.templatesLine, message) }
        switch content.resolve(folder, from: contentRoot) {
        case .success(let url):
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue else {
                throw fail("templates '\(folder)' is not a folder")
            }
            return .init(folder: url, confinedTo: content)
        case .failure(.missing): throw fail("templates folder '\(folder)' not found in the content folder")
        case .failure(.absolute): throw fail("templates folder '\(folder)' must be relative to the content folder")
        case .failure(.outside): throw fail("templates folder '\(folder)' leads outside the content folder")
        case .failure(.symlinkOutside): throw fail("templates folder '\(folder)' is a symlink that leads outside the content folder")
        }
    }

    static func contentPath(_ url: URL, root: URL) -> String {
        ContentFolder.relativePath(of: url, in: root) ?? url.lastPathComponent
    }
}
