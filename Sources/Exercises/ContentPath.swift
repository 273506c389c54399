import Foundation

/// Paths exercises name (`src=`, includes), confined to the content folder.
enum ContentPath {
    /// Resolves `path` relative to the lesson's folder; throws if it (or a symlink on the way) leads
    /// outside `contentRoot`.
    static func resolve(_ path: String, from lesson: URL, contentRoot: URL, _ fail: (String) -> ExerciseProblem) throws(ExerciseProblem) -> URL {
        guard !path.hasPrefix("/") else { throw fail("src path '\(path)' must be relative to the lesson's folder") }
        let candidate = lesson.deletingLastPathComponent().appendingPathComponent(path).standardizedFileURL
        let root = contentRoot.standardizedFileURL.resolvingSymlinksInPath()
        guard isInside(candidate.resolvingSymlinksInPath(), root) else {
            throw fail("src path '\(path)' leads outside the content folder")
        }
        return candidate
    }

    static func isInside(_ url: URL, _ root: URL) -> Bool {
        let rootPath = root.path.hasSuffix("/") ? root.path : root.path + "/"
        return url.path.hasPrefix(rootPath)
    }

    /// `url`'s path relative to `root`, or nil when it is outside.
    static func relative(_ url: URL, to root: URL) -> String? {
        let rootPath = root.standardizedFileURL.resolvingSymlinksInPath().path
        let prefix = rootPath.hasSuffix("/") ? rootPath : rootPath + "/"
        let path = url.standardizedFileURL.resolvingSymlinksInPath().path
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : nil
    }
}
