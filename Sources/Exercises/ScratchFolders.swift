import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The scratch folders this process has made and not yet removed, so that an interrupted command
/// (Ctrl-C, SIGTERM) can remove them before it dies instead of leaving them in the temp folder.
/// Only folders this process created are ever listed here.
///
/// A process killed with SIGKILL removes nothing, so every scratch name carries its PID
/// (`hypercourse-<pid>-<tag>-<random>`), and the next run removes those of processes that are gone
/// (`sweep`), as it does with `AtomicFile`'s temporaries (`.<name>.tmp-<pid>-<random>`).
public enum ScratchFolders {
    nonisolated(unsafe) private static var folders = Set<URL>()
    /// Content folders `sweepTemporariesOnce` has swept in this process.
    nonisolated(unsafe) private static var sweptContent = Set<URL>()
    /// Set by `removeAll`: from then on no scratch folder may be made (the process is dying).
    nonisolated(unsafe) private static var closed = false
    private static let lock = NSLock()

    /// What `makeDirectory` throws once an interrupt has begun removing the scratch folders.
    struct Closed: Error, CustomStringConvertible {
        var description: String { "the command was interrupted" }
    }

    static func add(_ url: URL) { lock.withLock { _ = folders.insert(url) } }
    static func remove(_ url: URL) { lock.withLock { _ = folders.remove(url) } }

    /// A new name in `parent` (the temp folder by default), listed until `discard`; created by the caller.
    static func temporary(_ tag: String, in parent: URL = FileManager.default.temporaryDirectory) -> URL {
        let url = parent.appendingPathComponent("hypercourse-\(getpid())-\(tag)-\(UInt32.random(in: 0...UInt32.max))", isDirectory: true)
        add(url)
        return url
    }

    /// Creates `url` and its missing parents, unless `removeAll` has begun. Under the same lock as
    /// `removeAll`: a build thread that got past its check a moment before an interrupt would
    /// otherwise recreate (through the intermediate folders) a scratch folder just removed.
    static func makeDirectory(_ url: URL, permissions: Int? = nil) throws {
        try lock.withLock {
            guard !closed else { throw Closed() }
            let attributes: [FileAttributeKey: Any]? = permissions.map { [.posixPermissions: $0] }
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: attributes)
        }
    }

    /// Deletes `url` and drops it from the list.
    static func discard(_ url: URL) {
        try? FileManager.default.removeItem(at: url)
        remove(url)
    }

    /// Removes every folder still listed (for an interrupt handler; the process exits next).
    public static func removeAll() {
        lock.withLock {
            closed = true
            for url in folders { try? FileManager.default.removeItem(at: url) }
            folders.removeAll()
        }
    }

    /// Removes the scratch folders in `parent` whose process is gone.
    public static func sweep(_ parent: URL) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent.path) else { return }
        for name in names where name.hasPrefix("hypercourse-") {
            guard let pid = Int32(name.dropFirst("hypercourse-".count).prefix { $0.isNumber }), isGone(pid) else { continue }
            try? FileManager.default.removeItem(at: parent.appendingPathComponent(name))
        }
    }

    /// `sweepTemporaries` the first time this process asks for `folder`: every later pass (each
    /// rebuild of `serve`) would walk the whole content folder again for nothing, since only a
    /// killed process leaves a temporary and the next process to start removes it.
    public static func sweepTemporariesOnce(under folder: URL) {
        let first = lock.withLock { sweptContent.insert(folder.standardizedFileURL).inserted }
        if first { sweepTemporaries(under: folder) }
    }

    /// Removes `AtomicFile` temporaries under `folder` (a content folder) whose process is gone.
    static func sweepTemporaries(under folder: URL) {
        guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else { return }
        for case let url as URL in walker {
            let name = url.lastPathComponent
            guard name.hasPrefix("."), let marker = name.range(of: ".tmp-", options: .backwards) else { continue }
            let fields = name[marker.upperBound...].split(separator: "-")
            guard fields.count == 2, let pid = Int32(fields[0]), UInt32(fields[1]) != nil, isGone(pid) else { continue }
            try? FileManager.default.removeItem(at: url)
        }
    }

    /// True when no process has this PID (a PID reused since only delays the removal).
    static func isGone(_ pid: Int32) -> Bool {
        guard pid > 0, pid != getpid() else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }
}
