import Foundation

/// Notices edits by polling modification times (no inotify dependency; cheap for course-sized trees).
public struct ChangeWatcher: Sendable {
    /// What identifies a file's version: modification time to the nanosecond, size and inode (an
    /// editor's save-by-rename changes the inode even within one mtime tick). Integers, so nothing is
    /// lost: a Double holding an epoch mtime cannot also hold the size.
    struct Stamp: Hashable, Sendable {
        var seconds: Int
        var nanoseconds: Int
        var size: Int64
        var inode: UInt64
        var isFolder: Bool
    }

    public let folders: [URL]
    private var fingerprint: [String: Stamp]

    public init(folders: [URL]) {
        self.folders = folders
        self.fingerprint = Self.scan(folders)
    }

    /// Watches what a build with `options` reads: the content folder, `--templates` and the theme.
    public init(watching options: BuildOptions) {
        var folders = [options.contentDirectory]
        if let templates = options.templatesDirectory { folders.append(templates) }
        if let theme = options.themeDirectory { folders.append(theme) }
        self.init(folders: folders)
    }

    /// True (once) when any file under the folders was added, removed or modified since last time.
    public mutating func changed() -> Bool {
        let now = Self.scan(folders)
        defer { fingerprint = now }
        return now != fingerprint
    }

    /// Takes `files` as they are now without calling it a change: the build's own writes (the
    /// exercise records it keeps beside the lessons) must not start another build. Other edits made
    /// meanwhile are still noticed.
    public mutating func absorb(_ files: [URL]) {
        for file in files {
            let path = file.standardizedFileURL.path
            fingerprint[path] = Self.stamp(path)
        }
    }

    static func scan(_ folders: [URL]) -> [String: Stamp] {
        var result: [String: Stamp] = [:]
        for folder in folders {
            guard let enumerator = FileManager.default.enumerator(atPath: folder.standardizedFileURL.path) else { continue }
            let base = folder.standardizedFileURL.path
            for case let relative as String in enumerator {
                let path = base + "/" + relative
                // Files only: a folder's mtime moves whenever a file in it is added, which would make
                // an absorbed write count after all; added and removed files change the keys anyway.
                if let stamp = stamp(path), !stamp.isFolder { result[path] = stamp }
            }
        }
        return result
    }

    static func stamp(_ path: String) -> Stamp? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return Stamp(
            seconds: Int(info.st_mtim.tv_sec), nanoseconds: Int(info.st_mtim.tv_nsec), size: Int64(info.st_size),
            inode: UInt64(info.st_ino), isFolder: info.st_mode & S_IFMT == S_IFDIR)
    }
}
