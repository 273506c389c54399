import Common
import Foundation

/// Builds a translation language's edition of a loaded course: the same chapters and lessons in
/// the same order, each with its translation's title, description, objectives and text where
/// `name.<code>.md` exists beside the original, and the original's otherwise (the page then says
/// so). Paths stay the original's, so links written once resolve in every language.
struct EditionLoader {
    let contentRoot: URL
    let language: CourseLanguage

    func edition(of course: Course, warnings: inout [SiteWarning], errors: inout [SiteError]) -> Course {
        var edition = course
        edition.config = course.config.edition(language)
        edition.edition = language
        edition.originalLanguage = course.config.language
        var files: [URL] = []
        for chapter in course.chapters {
            files.append(translationFile(of: chapter.folder.appendingPathComponent("_index.md")))
            files += chapter.lessons.map { translationFile(of: $0.file) }
        }
        let home = translationFile(of: contentRoot.appendingPathComponent("_index.md"))
        files.append(home)
        let existing = files.filter { FileManager.default.fileExists(atPath: $0.path) }
        let boundary = ContentFolder(contentRoot)
        let results = parallelMap(existing.count) { i in try ParsedMarkdownFile(existing[i], inside: boundary, translation: true) }
        var parsed: [URL: ParsedMarkdownFile] = [:]
        for (file, result) in zip(existing, results) {
            switch result {
            case .success(let value):
                parsed[file] = value
                warnings += value.warnings
            case .failure(let error): errors += (try? siteErrors(error)) ?? [SiteError(file: file, "\(error)")]
            }
        }
        for ci in edition.chapters.indices {
            translateChapter(&edition.chapters[ci], parsed: parsed)
            for li in edition.chapters[ci].lessons.indices {
                translateLesson(&edition.chapters[ci].lessons[li], parsed: parsed, errors: &errors)
            }
        }
        if let translated = parsed[home] {
            edition.homeTranslation = translation(translated, of: contentRoot.appendingPathComponent("_index.md"))
            edition.homeTitle = translated.title ?? course.homeTitle
            let body = translated.source.body.trimmingCharacters(in: .whitespacesAndNewlines)
            edition.homeIntro = body.isEmpty ? nil : translated.source
        }
        warnings += orphans(known: Set(files), course: course)
        return edition
    }

    /// `folder/name.md` → `folder/name.<code>.md`.
    func translationFile(of original: URL) -> URL {
        original.deletingPathExtension().appendingPathExtension(language.code).appendingPathExtension("md")
    }

    /// A chapter's `_index.<code>.md` title and description replace course.yml's and `_index.md`'s.
    private func translateChapter(_ chapter: inout Chapter, parsed: [URL: ParsedMarkdownFile]) {
        let file = translationFile(of: chapter.folder.appendingPathComponent("_index.md"))
        guard let translated = parsed[file] else { return }
        chapter.translation = translation(translated, of: chapter.folder.appendingPathComponent("_index.md"))
        if let title = translated.title { chapter.title = title }
        if let description = translated.description { chapter.description = description }
        let body = translated.source.body.trimmingCharacters(in: .whitespacesAndNewlines)
        chapter.intro = body.isEmpty ? nil : translated.source
    }

    private func translateLesson(_ lesson: inout Lesson, parsed: [URL: ParsedMarkdownFile], errors: inout [SiteError]) {
        let file = translationFile(of: lesson.file)
        guard let translated = parsed[file] else { return }
        guard let title = translated.title else {
            errors.append(SiteError(file: file, line: 1, "translation has no 'title' in its front matter (required, like the original's)"))
            return
        }
        let originalKeys = Set(lesson.frontMatterKeys)
        let keys = Set(translated.keys).subtracting(["source-hash"])
        if keys != originalKeys {
            let extra = keys.subtracting(originalKeys).sorted(), absent = originalKeys.subtracting(keys).sorted()
            let said =
                (extra.isEmpty ? [] : ["has \(extra.joined(separator: ", ")) which the original has not"])
                + (absent.isEmpty ? [] : ["lacks \(absent.joined(separator: ", ")), which the original has"])
            errors.append(
                SiteError(
                    file: file, line: 1,
                    "a translation's front matter has the original's keys (translate title, description, objectives; copy the rest): it \(said.joined(separator: " and "))"
                ))
        }
        lesson.title = title
        lesson.description = translated.description
        lesson.objectives = translated.objectives
        lesson.source = translated.source
        lesson.translation = translation(translated, of: lesson.file)
    }

    /// A parsed translation of `original`, with the original's hash as it is now (an original that
    /// cannot be read hashes as empty: its own error is reported where it is loaded).
    private func translation(_ translated: ParsedMarkdownFile, of original: URL) -> Translation {
        let text = (try? SourceFile.read(original, inside: ContentFolder(contentRoot))) ?? ""
        return Translation(
            file: translated.file, sourceHash: translated.sourceHash, currentHash: TranslationHash.of(text), keys: translated.keys)
    }

    /// Translations whose original is not a lesson of this build (a renamed or deleted lesson, a
    /// draft left out): said, so a translator's file is never silently unpublished.
    private func orphans(known: Set<URL>, course: Course) -> [SiteWarning] {
        let drafts = Set(course.draftsLeftOut.map { translationFile(of: $0) })
        let failed = Set(course.failedToLoad.map { translationFile(of: $0) })
        var warnings: [SiteWarning] = []
        let folders = [contentRoot] + course.chapters.map(\.folder)
        for folder in folders {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            for name in names.sorted() where name.hasSuffix(".\(language.code).md") {
                let url = folder.appendingPathComponent(name).standardizedFileURL
                guard !known.contains(url), !drafts.contains(url), !failed.contains(url) else { continue }
                warnings.append(
                    SiteWarning(
                        file: url,
                        "translation without an original: no \(name.dropLast(language.code.count + 4)).md here; it is not published"))
            }
        }
        return warnings
    }
}
