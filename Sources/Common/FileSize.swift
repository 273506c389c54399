#if canImport(Glibc)
    import Glibc
#endif

/// Sizes checked before a file is read, so a huge file is refused at once instead of filling memory.
public enum FileSize {
    /// The largest text file a course may hold (a lesson, `course.yml`, a guest source): rendering
    /// costs tens of times a file's size in memory, and no lesson comes near this.
    public static let maxText = 4 << 20

    /// The size of the file at `path` (symlinks followed), or nil when it cannot be looked at.
    public static func of(_ path: String) -> Int64? {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : nil
    }

    /// `N MiB` (rounded up) for messages.
    public static func mebibytes(_ bytes: Int64) -> String { "\((bytes + (1 << 20) - 1) >> 20) MiB" }
}
