import Common
import Foundation

/// `hypercourse new lesson CHAPTER "Title"`: a new lesson file with front matter, numbered after
/// the chapter's existing lessons.
public enum Scaffold {
    /// Creates the lesson and returns its file. `chapter` is a folder name (`05-kvm`) or a chapter
    /// slug (`kvm`); with `createChapter`, a missing chapter folder is created.
    public static func newLesson(contentDirectory: URL, chapter: String, title: String, createChapter: Bool = false) throws -> URL {
        let fm = FileManager.default
        let trimmedTitle = title.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmedTitle.isEmpty else { throw SiteError("the lesson title must not be empty") }
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: contentDirectory.path, isDirectory: &isDir), isDir.boolValue else {
            throw SiteError(file: contentDirectory, "content folder not found (pass --content DIR)")
        }
        let folders = (try? fm.contentsOfDirectory(atPath: contentDirectory.path))?.filter { name in
            var d: ObjCBool = false
            return !name.hasPrefix(".") && fm.fileExists(atPath: contentDirectory.appendingPathComponent(name).path, isDirectory: &d) && d.boolValue
        }.sorted() ?? []
        let wanted = chapter.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        let matches = folders.filter { $0 == wanted || Slug.make(Slug.stripOrderPrefix($0)) == wanted }
        let folder: URL
        if matches.count == 1 {
            folder = contentDirectory.appendingPathComponent(matches[0])
        } else if matches.count > 1 {
            throw SiteError("chapter '\(chapter)' is ambiguous: \(matches.joined(separator: ", "))")
        } else if createChapter {
            guard !wanted.contains("/"), !wanted.contains(".."), !wanted.isEmpty else { throw SiteError("bad chapter folder name '\(chapter)'") }
            folder = contentDirectory.appendingPathComponent(wanted)
            try fm.createDirectory(at: folder, withIntermediateDirectories: false)
        } else {
            let known = folders.isEmpty ? "none yet" : folders.joined(separator: ", ")
            throw SiteError("no chapter folder '\(chapter)' in \(DisplayPath.of(contentDirectory)) (chapters: \(known)); pass --create-chapter to make it")
        }

        let existing = ((try? fm.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".md") && !$0.hasPrefix("_") }
        let numbers = existing.compactMap { name -> (Int, Int)? in
            let digits = name.prefix(while: { $0.isASCII && $0.isNumber })
            guard !digits.isEmpty, let n = Int(digits), name.dropFirst(digits.count).first == "-" else { return nil }
            return (n, digits.count)
        }
        let slug = Slug.make(trimmedTitle).isEmpty ? "lesson" : Slug.make(trimmedTitle)
        let name: String
        if existing.isEmpty || !numbers.isEmpty {
            let next = (numbers.map(\.0).max() ?? 0) + 1
            let width = max(2, numbers.map(\.1).max() ?? 2)
            name = String(repeating: "0", count: max(0, width - String(next).count)) + "\(next)-\(slug).md"
        } else {
            name = "\(slug).md"
        }
        let file = folder.appendingPathComponent(name)
        if existing.contains(where: { Slug.stripOrderPrefix(String($0.dropLast(3))) == slug }) {
            throw SiteError(file: file, "a lesson with the slug '\(slug)' already exists in \(DisplayPath.of(folder))")
        }
        let quoted = "\"" + trimmedTitle.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        let text = """
            ---
            title: \(quoted)
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
}
