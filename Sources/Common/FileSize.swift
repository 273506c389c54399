/// Sizes checked before a file is read (`TextFile`'s limit), so a huge file is refused at once
/// instead of filling memory.
public enum FileSize {
    /// The largest text file a course may hold (a lesson, `course.yml`, a guest source): rendering
    /// costs tens of times a file's size in memory, and no lesson comes near this.
    public static let maxText = 4 << 20

    /// `N MiB` (rounded up) for messages.
    public static func mebibytes(_ bytes: Int64) -> String { "\((bytes + (1 << 20) - 1) >> 20) MiB" }
}
