import Foundation

/// The scratch folders this process has made and not yet removed, so that an interrupted command
/// (Ctrl-C, SIGTERM) can remove them before it dies instead of leaving them in the temp folder.
/// Only folders this process created are ever listed here.
public enum ScratchFolders {
    nonisolated(unsafe) private static var folders = Set<URL>()
    private static let lock = NSLock()

    static func add(_ url: URL) { lock.withLock { _ = folders.insert(url) } }
    static func remove(_ url: URL) { lock.withLock { _ = folders.remove(url) } }

    /// A new name in the temp folder (`prefix-UUID`), listed until `discard`; created by the caller.
    static func temporary(_ prefix: String) -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)", isDirectory: true)
        add(url)
        return url
    }

    /// Deletes `url` and drops it from the list.
    static func discard(_ url: URL) {
        try? FileManager.default.removeItem(at: url)
        remove(url)
    }

    /// Removes every folder still listed (for an interrupt handler; the process exits next).
    public static func removeAll() {
        let all = lock.withLock { () -> Set<URL> in
            defer { folders.removeAll() }
            return folders
        }
        for url in all { try? FileManager.default.removeItem(at: url) }
    }
}
