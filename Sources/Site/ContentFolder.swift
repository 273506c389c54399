import Foundation

/// The content folder's boundary. A path an author writes (an include, a linked file, course.yml's
/// `templates:`) must stay inside it twice over: as written, once `..` is resolved (lexically), and
/// after following symlinks (realpath), so neither `../../etc` nor a link to `/etc` gets out.
struct ContentFolder: Sendable {
    let root: URL
    /// The root with symlinks resolved, ending in `/`.
    private let realRoot: String

    init(_ root: URL) {
        self.root = root.standardizedFileURL
        let real = Self.realPath(root.path) ?? self.root.path
        self.realRoot = real.hasSuffix("/") ? real : real + "/"
    }

    enum Violation: Error {
        /// Written as an absolute path (or `~`): authors write paths relative to their file.
        case absolute
        /// Leads outside the content folder as written.
        case outside
        case missing
        /// Inside as written, but a symlink on the way leads outside.
        case symlinkOutside
    }

    /// `path` as written in a file of folder `base`, checked both ways.
    func resolve(_ path: String, from base: URL) -> Result<URL, Violation> {
        if path.hasPrefix("/") || path.hasPrefix("~") { return .failure(.absolute) }
        let target = base.appendingPathComponent(path).standardizedFileURL
        let rootSlash = root.path.hasSuffix("/") ? root.path : root.path + "/"
        guard target.path.hasPrefix(rootSlash) else { return .failure(.outside) }
        guard FileManager.default.fileExists(atPath: target.path) else { return .failure(.missing) }
        guard contains(target) else { return .failure(.symlinkOutside) }
        return .success(target)
    }

    /// `url`'s path inside `root` (`01-ch/01-a.md`), lexically, or nil when it is not inside.
    static func relativePath(of url: URL, in root: URL) -> String? {
        let rootPath = root.standardizedFileURL.path
        let rootSlash = rootPath.hasSuffix("/") ? rootPath : rootPath + "/"
        let path = url.standardizedFileURL.path
        return path.hasPrefix(rootSlash) ? String(path.dropFirst(rootSlash.count)) : nil
    }

    /// Whether `url`, symlinks followed, is inside the content folder.
    func contains(_ url: URL) -> Bool {
        guard let real = Self.realPath(url.path) else { return false }
        return real.hasPrefix(realRoot)
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
