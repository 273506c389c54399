import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Files replaced in one step: written to a temporary, then renamed over the target, so a reader
/// (or a killed build) never sees half a file. The temporary goes in `staging` (a build's scratch
/// folder) when that is on the target's file system, else beside the target; either way its name
/// (`.<name>.tmp-<pid>-<random>`) lets a later run remove it if this process is killed first.
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL, staging: URL? = nil) throws {
        let directory = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let name = ".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        if let staging, (try? FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)) != nil,
            (try? place(data, staged: staging.appendingPathComponent(name), at: url)) != nil
        {
            return
        }
        try place(data, staged: directory.appendingPathComponent(name), at: url)
    }

    private static func place(_ data: Data, staged temporary: URL, at url: URL) throws {
        do {
            try data.write(to: temporary)
            guard rename(temporary.path, url.path) == 0 else {
                throw CocoaError(
                    .fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path, NSLocalizedDescriptionKey: String(cString: strerror(errno))]
                )
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }
}

/// A file a build writes into the content folder (an exercise's verified record). A build holds
/// them until everything else has succeeded and writes them together with the site, so a failed
/// build leaves the content folder as it was.
public struct PendingFile: Sendable, Hashable {
    public var url: URL
    public var data: Data

    public init(url: URL, data: Data) {
        self.url = url
        self.data = data
    }
}

/// Pending files written as one change that can be taken back: each file is replaced atomically,
/// and what it held before is kept in memory until the caller's own commit has succeeded.
public struct PendingFileWrite: Sendable {
    /// Each replaced file and its previous bytes (nil: it did not exist).
    private var previous: [(url: URL, data: Data?)] = []

    public struct Failure: Error, Sendable {
        public var url: URL
        public var reason: String
    }

    /// Writes every file, or none: a failure puts back the ones already written, then throws.
    public static func write(_ files: [PendingFile]) throws(Failure) -> PendingFileWrite {
        var done = PendingFileWrite()
        for file in files {
            let before = FileManager.default.contents(atPath: file.url.path)
            do {
                try AtomicFile.write(file.data, to: file.url)
            } catch {
                done.undo()
                throw Failure(url: file.url, reason: error.localizedDescription)
            }
            done.previous.append((file.url, before))
        }
        return done
    }

    /// Puts every file back as it was (removes the ones that did not exist), newest first. Best
    /// effort: it runs on a path that is already failing.
    public func undo() {
        for (url, data) in previous.reversed() {
            if let data {
                try? AtomicFile.write(data, to: url)
            } else {
                try? FileManager.default.removeItem(at: url)
            }
        }
    }
}
