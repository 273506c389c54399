import Foundation

/// The content folder's boundary, the one both the site and the exercises enforce. A path an
/// author writes (an include, a linked file, an exercise's `src=`, course.yml's `templates:`) must
/// stay inside it twice over: as written, once `..` is resolved (lexically), and after following
/// symlinks (realpath), so neither `../../etc` nor a link to `/etc` gets out. Absolute paths and
/// `~` are refused: authors write paths relative to their file, so the course builds anywhere.
public struct ContentFolder: Sendable {
    public let root: URL
    /// The root with symlinks resolved, ending in `/`.
    private let realRoot: String

    public init(_ root: URL) {
        self.root = root.standardizedFileURL
        let real = Self.realPath(root.path) ?? self.root.path
        self.realRoot = real.hasSuffix("/") ? real : real + "/"
    }

    public enum Violation: Error, Sendable {
        /// Written as an absolute path (or `~`): authors write paths relative to their file.
        case absolute
        /// Leads outside the content folder as written.
        case outside
        case missing
        /// Inside as written, but a symlink on the way leads outside.
        case symlinkOutside
    }

    /// `path` as written in a file of folder `base`, checked both ways; the file must exist.
    public func resolve(_ path: String, from base: URL) -> Result<URL, Violation> {
        if path.hasPrefix("/") || path.hasPrefix("~") { return .failure(.absolute) }
        let target = base.appendingPathComponent(path).standardizedFileURL
        let rootSlash = root.path.hasSuffix("/") ? root.path : root.path + "/"
        guard target.path.hasPrefix(rootSlash) else { return .failure(.outside) }
        guard FileManager.default.fileExists(atPath: target.path) else { return .failure(.missing) }
        guard contains(target) else { return .failure(.symlinkOutside) }
        return .success(target)
    }

    /// `url`'s path inside `root` (`01-ch/01-a.md`), lexically, or nil when it is not inside.
    public static func relativePath(of url: URL, in root: URL) -> String? {
        let rootPath = root.standardizedFileURL.path
        let rootSlash = rootPath.hasSuffix("/") ? rootPath : rootPath + "/"
        let path = url.standardizedFileURL.path
        return path.hasPrefix(rootSlash) ? String(path.dropFirst(rootSlash.count)) : nil
    }

    /// `url`'s path inside the content folder once symlinks are followed, or nil when it leads
    /// outside. A path that does not exist (yet) is judged by its deepest existing folder.
    public func realRelativePath(of url: URL) -> String? {
        let real = Self.realPath(of: url)
        return real.hasPrefix(realRoot) ? String(real.dropFirst(realRoot.count)) : nil
    }

    /// Whether `url`, symlinks followed, is inside the content folder. A missing file is not.
    public func contains(_ url: URL) -> Bool {
        guard let real = Self.realPath(url.path) else { return false }
        return real.hasPrefix(realRoot)
    }

    /// realpath(3) of an existing path, or nil.
    public static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// `url` with symlinks followed as far as it exists, and the rest (`..` resolved) appended: a
    /// file a tool could not open still has a place to judge.
    public static func realPath(of url: URL) -> String {
        var existing = url.standardizedFileURL
        var missing: [String] = []
        while true {
            if let real = realPath(existing.path) {
                return missing.reversed().reduce(real) { $0.hasSuffix("/") ? $0 + $1 : $0 + "/" + $1 }
            }
            guard existing.path != "/" else { return url.standardizedFileURL.path }
            missing.append(existing.lastPathComponent)
            existing.deleteLastPathComponent()
        }
    }
}
