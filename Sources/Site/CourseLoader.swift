import Common
import Foundation

/// Reads `content/`: course.yml, chapter folders, `_index.md` files and lessons with front matter.
struct CourseLoader {
    let contentRoot: URL
    let includeDrafts: Bool
    /// Languages whose files (`lesson.<code>.md`) are translations, not lessons.
    var translationCodes: Set<String> = []

    static let reservedChapterSlugs: Set<String> = [
        "assets", "search", "index.html", "print.html", "404.html", "search-index.js", "sidebar.js", "glossary.html",
        "ui-strings.js"
    ]

    /// Loads every chapter and lesson; the content folder itself was checked by `SiteBuilder.loadCourse`.
    /// A lesson that does not load is an error in `errors` and is left out, so the rest of the
    /// course is still checked in the same build; anything wrong with a chapter throws.
    func load(config: CourseConfig, warnings: inout [SiteWarning], errors: inout [SiteError]) throws -> Course {
        var loader = self
        loader.translationCodes = Set(config.translationLanguages.map(\.code))
        return try loader.loadCourse(config: config, warnings: &warnings, errors: &errors)
    }

    private func loadCourse(config: CourseConfig, warnings: inout [SiteWarning], errors: inout [SiteError]) throws -> Course {
        let folders = try chapterFolders(config: config, warnings: &warnings)
        for stray in (try? markdownFiles(in: contentRoot)) ?? [] where !stray.lastPathComponent.hasPrefix("_") {
            warnings.append(SiteWarning(file: stray, "Markdown outside a chapter folder is not a page; move it into a chapter"))
        }
        guard !folders.isEmpty else {
            throw SiteError(file: contentRoot, "no chapters: a chapter is a folder of lesson .md files inside the content folder")
        }
        let (chapterFiles, byURL, failedToParse) = try parseMarkdown(in: folders, errors: &errors)
        var failed = failedToParse
        var chapters: [Chapter] = []
        var draftsLeftOut: [URL] = []
        var chapterSlugs: [String: URL] = [:]
        for (index, folder) in folders.enumerated() {
            if !folder.listed {
                warnings.append(
                    SiteWarning(
                        file: config.file ?? contentRoot,
                        "chapter folder '\(folder.url.lastPathComponent)' is not listed under 'chapters'; it is added at the end"))
            }
            let intro = chapterFiles[index].intro.flatMap { byURL[$0] }
            var chapter = try self.chapter(folder, intro: intro, taken: &chapterSlugs, warnings: &warnings)
            chapter.lessons = lessons(
                chapterFiles[index].lessons, of: chapter, parsed: byURL, draftsLeftOut: &draftsLeftOut,
                warnings: &warnings, errors: &errors, failed: &failed)
            chapters.append(chapter)
        }
        if config.chapters == nil {
            chapters.sort { Self.precedes(($0.weight, $0.folder.lastPathComponent), ($1.weight, $1.folder.lastPathComponent)) }
        }
        var course = Course(
            config: config, contentRoot: contentRoot, chapters: chapters, draftsLeftOut: draftsLeftOut, failedToLoad: failed)
        try loadHomeIntro(into: &course, warnings: &warnings)
        return course
    }

    /// Every chapter's intro and lessons, read and their front matter parsed in parallel (order is
    /// fixed later); every file that fails is an error in `errors` and among the failed files.
    private func parseMarkdown(
        in folders: [Folder], errors: inout [SiteError]
    ) throws
        -> (chapterFiles: [(intro: URL?, lessons: [URL])], parsed: [URL: ParsedMarkdownFile], failed: [URL])
    {
        var jobFiles: [URL] = []
        var chapterFiles: [(intro: URL?, lessons: [URL])] = []
        for folder in folders {
            let files = try markdownFiles(in: folder.url)
            let intro = files.first { $0.lastPathComponent == "_index.md" }
            let lessons = files.filter { !$0.lastPathComponent.hasPrefix("_") && !$0.lastPathComponent.hasPrefix(".") }
            chapterFiles.append((intro, lessons))
            jobFiles += (intro.map { [$0] } ?? []) + lessons
        }
        let toParse = jobFiles
        let boundary = ContentFolder(contentRoot)
        let parsed = parallelMap(toParse.count) { i in try ParsedMarkdownFile(toParse[i], inside: boundary) }
        var byURL: [URL: ParsedMarkdownFile] = [:]
        var failed: [URL] = []
        for (file, result) in zip(jobFiles, parsed) {
            switch result {
            case .success(let parsed): byURL[file] = parsed
            case .failure(let error):
                errors += try siteErrors(error)
                failed.append(file)
            }
        }
        return (chapterFiles, byURL, failed)
    }

    /// A chapter without its lessons: title, weight and slug from its `_index.md`, the folder name
    /// and `chapters:` in course.yml; a slug that is invalid, reserved or `taken` is an error.
    private func chapter(
        _ folder: Folder, intro: ParsedMarkdownFile?, taken chapterSlugs: inout [String: URL],
        warnings: inout [SiteWarning]
    ) throws -> Chapter {
        var chapter = Chapter(folder: folder.url, slug: "", title: "", lessons: [])
        let name = folder.url.lastPathComponent
        var explicitSlug: (String, Int)?
        if let intro {
            warnings.append(contentsOf: intro.warnings)
            chapter.introFile = intro.file
            chapter.title = intro.title ?? ""
            chapter.weight = intro.weight
            chapter.description = intro.description
            if let slug = intro.slug { explicitSlug = (slug, intro.slugLine) }
            if !intro.source.body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { chapter.intro = intro.source }
        }
        if let title = folder.title { chapter.title = title }
        if chapter.title.isEmpty { chapter.title = Slug.title(fromFolder: name) }
        chapter.slug = explicitSlug?.0 ?? Slug.make(Slug.stripOrderPrefix(name))
        let slugFile = chapter.introFile ?? folder.url
        if chapter.slug.isEmpty || !Slug.isValid(chapter.slug) {
            throw SiteError(
                file: slugFile, line: explicitSlug?.1, "chapter slug '\(chapter.slug)' must use only a-z, 0-9, '-', '_' and '.'")
        }
        if Self.reservedChapterSlugs.contains(chapter.slug) || translationCodes.contains(chapter.slug) {
            throw SiteError(
                file: slugFile, line: explicitSlug?.1,
                "chapter slug '\(chapter.slug)' is reserved for the site's own files; rename the folder")
        }
        if let other = chapterSlugs[chapter.slug] {
            throw SiteError(
                file: slugFile, line: explicitSlug?.1, "duplicate chapter slug '\(chapter.slug)': \(DisplayPath.of(other)) has it too")
        }
        chapterSlugs[chapter.slug] = slugFile
        return chapter
    }

    /// A chapter's lessons in order (weight, then file name); drafts are left out unless asked for.
    /// A lesson that does not load is an error in `errors`, is among the `failed` and is left out.
    private func lessons(
        _ urls: [URL], of chapter: Chapter, parsed byURL: [URL: ParsedMarkdownFile], draftsLeftOut: inout [URL],
        warnings: inout [SiteWarning], errors: inout [SiteError], failed: inout [URL]
    ) -> [Lesson] {
        var lessons: [Lesson] = []
        var lessonSlugs: [String: URL] = [:]
        for url in urls {
            guard let file = byURL[url] else { continue }
            warnings.append(contentsOf: file.warnings)
            func leaveOut(_ error: SiteError) {
                errors.append(error)
                failed.append(url)
            }
            guard let title = file.title else {
                leaveOut(
                    SiteError(
                        file: url, line: 1,
                        file.hasFrontMatter
                            ? "front matter has no 'title' (required for every lesson)"
                            : "lesson has no front matter; start the file with\n---\ntitle: Your title\n---"))
                continue
            }
            if file.draft, !includeDrafts {
                draftsLeftOut.append(url)
                continue
            }
            let stem = url.deletingPathExtension().lastPathComponent
            let slug = file.slug ?? Slug.make(Slug.stripOrderPrefix(stem))
            let slugLine = file.slug == nil ? 1 : file.slugLine
            if slug.isEmpty || !Slug.isValid(slug) {
                leaveOut(SiteError(file: url, line: slugLine, "lesson slug '\(slug)' must use only a-z, 0-9, '-', '_' and '.'"))
                continue
            }
            if slug == "index" {
                leaveOut(SiteError(file: url, line: slugLine, "lesson slug 'index' is reserved for the chapter page"))
                continue
            }
            if let other = lessonSlugs[slug] {
                leaveOut(
                    SiteError(
                        file: url, line: slugLine,
                        "duplicate lesson slug '\(slug)' in chapter '\(chapter.slug)': \(DisplayPath.of(other)) has it too"))
                continue
            }
            lessonSlugs[slug] = url
            lessons.append(
                Lesson(
                    file: url, slug: slug, title: title, weight: file.weight, description: file.description,
                    objectives: file.objectives, draft: file.draft, source: file.source, path: "\(chapter.slug)/\(slug).html",
                    frontMatterKeys: file.keys))
        }
        return lessons.sorted { Self.precedes(($0.weight, $0.file.lastPathComponent), ($1.weight, $1.file.lastPathComponent)) }
    }

    /// `content/_index.md` (front matter optional, `title` becomes the introduction's heading).
    private func loadHomeIntro(into course: inout Course, warnings: inout [SiteWarning]) throws {
        let file = contentRoot.appendingPathComponent("_index.md")
        guard FileManager.default.fileExists(atPath: file.path) else { return }
        let home = try ParsedMarkdownFile(file, inside: ContentFolder(contentRoot))
        warnings.append(contentsOf: home.warnings)
        for (key, used) in [
            ("weight", home.weight != nil), ("slug", home.slug != nil), ("draft", home.draft), ("objectives", !home.objectives.isEmpty)
        ] where used {
            warnings.append(SiteWarning(file: file, line: 1, "front matter key '\(key)' has no effect on the home page introduction"))
        }
        course.homeTitle = home.title
        if !home.source.body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { course.homeIntro = home.source }
    }

    /// Weighted items first, by weight; then the rest by name (so `01-`, `02-` prefixes order them).
    static func precedes(_ a: (Int?, String), _ b: (Int?, String)) -> Bool {
        switch (a.0, b.0) {
        case let (x?, y?) where x != y: return x < y
        case (.some, nil): return true
        case (nil, .some): return false
        default: return a.1.localizedStandardCompare(b.1) == .orderedAscending
        }
    }

    private struct Folder { var url: URL; var title: String?; var listed = true }

    /// Chapter folders: those listed in course.yml (in that order), then any other folder holding
    /// Markdown files (with a warning, so nothing is silently left out).
    private func chapterFolders(config: CourseConfig, warnings: inout [SiteWarning]) throws -> [Folder] {
        let fm = FileManager.default
        let entries = try fm.contentsOfDirectory(at: contentRoot, includingPropertiesForKeys: [.isDirectoryKey, .isSymbolicLinkKey])
            .filter { url in
                let name = url.lastPathComponent
                guard !name.hasPrefix("."), !name.hasPrefix("_"),
                    name != config.templates?.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
                else { return false }
                return (try? url.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true || isLinkedFolder(url)
            }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        // A linked folder is not followed (its lessons could be anywhere); saying so beats a
        // chapter that silently is not there.
        for linked in entries where isLinkedFolder(linked) {
            warnings.append(
                SiteWarning(
                    file: linked,
                    "chapter folder '\(linked.lastPathComponent)' is a symlink and is left out: the course is what is inside the content folder (move the folder in)"
                ))
        }
        let plainFolders = entries.filter { !isLinkedFolder($0) }
        let withMarkdown = try plainFolders.filter { try !markdownFiles(in: $0).isEmpty }
        guard let listed = config.chapters else { return withMarkdown.map { Folder(url: $0, title: nil) } }

        var folders: [Folder] = []
        var seen: Set<String> = []
        for entry in listed {
            let path = entry.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            let url = contentRoot.appendingPathComponent(path)
            var isDir: ObjCBool = false
            guard !path.contains(".."), !path.contains("/"), fm.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue else {
                throw SiteError(
                    file: config.file ?? contentRoot, line: entry.line,
                    "chapter folder '\(entry.path)' not found in \(DisplayPath.of(contentRoot))")
            }
            if isLinkedFolder(url) {
                throw SiteError(
                    file: config.file ?? contentRoot, line: entry.line,
                    "chapter folder '\(entry.path)' is a symlink; the course is what is inside the content folder (move the folder in)")
            }
            guard seen.insert(path).inserted else {
                throw SiteError(file: config.file ?? contentRoot, line: entry.line, "chapter '\(entry.path)' is listed twice")
            }
            folders.append(Folder(url: url.standardizedFileURL, title: entry.title))
        }
        for url in withMarkdown where !seen.contains(url.lastPathComponent) {
            folders.append(Folder(url: url.standardizedFileURL, title: nil, listed: false))
        }
        return folders
    }

    /// A symlink to a folder (wherever it leads).
    private func isLinkedFolder(_ url: URL) -> Bool {
        var info = stat(), target = stat()
        return lstat(url.path, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK && stat(url.path, &target) == 0
            && target.st_mode & S_IFMT == S_IFDIR
    }

    /// `name.<code>.md` for a translation language: a translation, loaded with its original.
    func isTranslation(_ url: URL) -> Bool {
        let stem = url.deletingPathExtension()
        return !stem.pathExtension.isEmpty && translationCodes.contains(stem.pathExtension)
    }

    private func markdownFiles(in folder: URL) throws -> [URL] {
        do {
            return try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
                .filter { $0.pathExtension == "md" && !isTranslation($0) }
                .map(\.standardizedFileURL)
                .sorted { $0.lastPathComponent < $1.lastPathComponent }
        } catch {
            throw SiteError(file: folder, "unreadable folder: \(error.localizedDescription)")
        }
    }
}

/// One Markdown file with its front matter checked.
struct ParsedMarkdownFile {
    static let knownKeys: Set<String> = ["title", "weight", "description", "objectives", "slug", "draft"]

    var file: URL
    var hasFrontMatter: Bool
    var title: String?
    var weight: Int?
    var description: String?
    var objectives: [String] = []
    var slug: String?
    var slugLine = 1
    var draft = false
    /// A translation's `source-hash:` (see `Translation.sourceHash`).
    var sourceHash: String?
    /// Front matter keys in order, as written.
    var keys: [String] = []
    var source: MarkdownSource
    var warnings: [SiteWarning] = []

    /// `translation`: the file translates another (`lesson.zh.md`), so `source-hash` is known too.
    init(_ file: URL, inside content: ContentFolder, translation: Bool = false) throws {
        self.file = file
        let text = try SourceFile.read(file, inside: content)
        let split = try FrontMatterSplit(text, file: file)
        source = MarkdownSource(file: file, body: split.body, firstLine: split.bodyFirstLine)
        hasFrontMatter = split.yaml != nil
        guard let yamlText = split.yaml else { return }
        let yaml = try YAMLDocument(text: yamlText, file: file, firstLine: split.yamlFirstLine)
        for (key, keyNode, value) in try yaml.mapping(what: "front matter") {
            keys.append(key)
            switch key {
            case "title": title = try yaml.string(value, key: key)
            case "weight": weight = try yaml.int(value, key: key)
            case "description":
                let text = try yaml.string(value, key: key, allowEmpty: true)
                description = text.isEmpty ? nil : text.replacingOccurrences(of: "\n", with: " ")
            case "objectives": objectives = value.scalar?.string == "" ? [] : try yaml.strings(value, key: key)
            case "slug":
                slug = try yaml.string(value, key: key)
                slugLine = yaml.line(of: value)
            case "draft": draft = try yaml.bool(value, key: key)
            case "source-hash" where translation: sourceHash = try yaml.string(value, key: key)
            default:
                warnings.append(
                    SiteWarning(
                        file: file, line: yaml.line(of: keyNode),
                        "unknown front matter key '\(key)' (known: \((translation ? Self.knownKeys.union(["source-hash"]) : Self.knownKeys).sorted().joined(separator: ", ")))"
                    ))
            }
        }
    }
}
