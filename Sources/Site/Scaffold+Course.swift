import Foundation

extension Scaffold {
    /// `hypercourse init [DIR]`: writes the starter course (StarterCourse) into `folder`, creating
    /// it if needed, and returns the paths written, relative to `folder`.
    ///
    /// A folder that holds anything but `.git` is refused unless `force`; even then no existing file
    /// is replaced: every clash is named and nothing is written.
    public static func newCourse(in folder: URL, title: String? = nil, force: Bool = false) throws -> [String] {
        let fm = FileManager.default
        let courseTitle = (title ?? defaultTitle(for: folder)).trimmingCharacters(in: .whitespaces)
        guard !courseTitle.isEmpty else { throw SiteError("the course title must not be empty (pass --title \"...\")") }
        guard !courseTitle.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw SiteError("the course title must be one line of text")
        }
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: folder.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw SiteError(file: folder, "not a folder") }
            let entries = try fm.contentsOfDirectory(atPath: folder.path).filter { $0 != ".git" }.sorted()
            if !entries.isEmpty && !force {
                let shown = entries.prefix(5).joined(separator: ", ") + (entries.count > 5 ? ", ..." : "")
                throw SiteError(
                    file: folder,
                    "the folder is not empty (\(shown)); start the course in an empty folder, or pass --force to add the starter files beside these (no file is replaced)"
                )
            }
        }
        let files = StarterCourse.files(title: courseTitle)
        let clashes = files.map(\.path).filter { fm.fileExists(atPath: folder.appendingPathComponent($0).path) }
        guard clashes.isEmpty else {
            throw SiteError(
                file: folder, "these files exist already and are not replaced: \(clashes.joined(separator: ", ")); nothing was written")
        }
        for (path, text) in files {
            let file = folder.appendingPathComponent(path)
            do {
                try fm.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(text.utf8).write(to: file, options: .withoutOverwriting)
            } catch {
                throw SiteError(file: file, "cannot write: \(error.localizedDescription)")
            }
        }
        return files.map(\.path)
    }

    /// The course title when none is given: the folder's name as words (`my-course` → "My course").
    static func defaultTitle(for folder: URL) -> String {
        let name = folder.standardizedFileURL.lastPathComponent
        return name.isEmpty || name == "/" ? "My course" : Slug.title(fromFolder: name)
    }
}
