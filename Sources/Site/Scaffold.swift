import Common
import Foundation

/// `hypercourse new lesson CHAPTER "Title"`: a new lesson file with front matter, numbered after
/// the chapter's existing lessons.
public enum Scaffold {
    /// Creates the lesson and returns its file. `chapter` is a folder name (`05-kvm`) or a chapter
    /// slug (`kvm`); with `createChapter`, a missing chapter folder is created. The file is named
    /// after `slug`, else after the title (`LessonSlug`).
    public static func newLesson(
        contentDirectory: URL, chapter: String, title: String, slug chosen: String? = nil,
        createChapter: Bool = false
    ) throws -> URL {
        let fm = FileManager.default
        let trimmedTitle = title.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmedTitle.isEmpty else { throw SiteError("the lesson title must not be empty") }
        if let chosen, !Slug.isValid(chosen) {
            throw SiteError("invalid slug '\(chosen)': use lowercase letters, digits, '-', '_' and '.', starting with a letter or digit")
        }
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: contentDirectory.path, isDirectory: &isDir), isDir.boolValue else {
            throw SiteError(file: contentDirectory, "content folder not found (pass --content DIR)")
        }
        let folder = try chapterFolder(chapter, in: contentDirectory, create: createChapter)
        let existing = ((try? fm.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".md") && !$0.hasPrefix("_") }
        let slug = chosen ?? LessonSlug.make(trimmedTitle)
        let name = fileName(slug: slug, after: existing)
        let file = folder.appendingPathComponent(name)
        if existing.contains(where: { Slug.stripOrderPrefix(String($0.dropLast(3))) == slug }) {
            throw SiteError(file: file, "a lesson with the slug '\(slug)' already exists in \(DisplayPath.of(folder))")
        }
        let text = """
            ---
            title: \(YAMLDocument.doubleQuoted(trimmedTitle))
            description: ""
            # objectives:
            #   - What a reader can do after this lesson
            ---

            Introduce the lesson here.

            ## First section

            """
        guard fm.createFile(atPath: file.path, contents: Data(text.utf8)) else {
            throw SiteError(file: file, "cannot write: \(String(cString: strerror(errno)))")
        }
        return file
    }

    /// The chapter's folder: `chapter` is its folder name or slug; created when missing and `create`.
    private static func chapterFolder(_ chapter: String, in contentDirectory: URL, create: Bool) throws -> URL {
        let fm = FileManager.default
        let folders =
            (try? fm.contentsOfDirectory(atPath: contentDirectory.path))?.filter { name in
                var d: ObjCBool = false
                return !name.hasPrefix(".") && fm.fileExists(atPath: contentDirectory.appendingPathComponent(name).path, isDirectory: &d)
                    && d.boolValue
            }.sorted() ?? []
        let wanted = chapter.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        let matches = folders.filter { $0 == wanted || Slug.make(Slug.stripOrderPrefix($0)) == wanted }
        if matches.count == 1 {
            return contentDirectory.appendingPathComponent(matches[0])
        } else if matches.count > 1 {
            throw SiteError("chapter '\(chapter)' is ambiguous: \(matches.joined(separator: ", "))")
        } else if create {
            guard !wanted.contains("/"), !wanted.contains(".."), !wanted.isEmpty else {
                throw SiteError("bad chapter folder name '\(chapter)'")
            }
            let folder = contentDirectory.appendingPathComponent(wanted)
            try fm.createDirectory(at: folder, withIntermediateDirectories: false)
            return folder
        } else {
            let known = folders.isEmpty ? "none yet" : folders.joined(separator: ", ")
            throw SiteError(
                "no chapter folder '\(chapter)' in \(DisplayPath.of(contentDirectory)) (chapters: \(known)); pass --create-chapter to make it"
            )
        }
    }

    /// `NN-slug.md`, numbered after the chapter's `existing` numbered lessons (at least two digits),
    /// or `slug.md` in a chapter whose lessons are not numbered.
    private static func fileName(slug: String, after existing: [String]) -> String {
        let numbers = existing.compactMap { name -> (Int, Int)? in
            let digits = name.prefix(while: { $0.isASCII && $0.isNumber })
            guard !digits.isEmpty, let n = Int(digits), name.dropFirst(digits.count).first == "-" else { return nil }
            return (n, digits.count)
        }
        guard existing.isEmpty || !numbers.isEmpty else { return "\(slug).md" }
        let next = (numbers.map(\.0).max() ?? 0) + 1
        let width = max(2, numbers.map(\.1).max() ?? 2)
        return String(repeating: "0", count: max(0, width - String(next).count)) + "\(next)-\(slug).md"
    }
}

/// A lesson's file name from its title, in any script: a URL slug uses `a-z 0-9 - _ .`, so other
/// scripts are transliterated with ICU's `Any-Latin; Latin-ASCII` (虚拟化入门 → `xu-ni-hua-ru-men`,
/// Виртуализация и KVM → `virtualizacia-i-kvm`). A title with nothing to transliterate (emoji only),
/// or one on a platform without the transform, gets `lesson-` and a hash of the title: the same
/// title always gives the same slug. `new lesson --slug` chooses one instead.
public enum LessonSlug {
    public static func make(_ title: String) -> String {
        let slug = Slug.make(latin(title))
        return slug.isEmpty ? fallback(title) : slug
    }

    /// Whether `title` has nothing a slug can be made of, so `make` falls back to the hash.
    public static func usesFallback(_ title: String) -> Bool { Slug.make(latin(title)).isEmpty }

    static func latin(_ title: String) -> String {
        title.applyingTransform(StringTransform("Any-Latin; Latin-ASCII"), reverse: false) ?? title
    }

    /// `lesson-` and the title's 32-bit FNV-1a hash in hex: stable across runs and machines.
    static func fallback(_ title: String) -> String {
        var hash: UInt32 = 0x811C_9DC5
        for byte in title.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 0x0100_0193
        }
        let hex = String(hash, radix: 16)
        return "lesson-" + String(repeating: "0", count: 8 - hex.count) + hex
    }
}
