import Foundation

/// How every message about an author's input is written, the way compilers write theirs so
/// editors and terminals make it clickable: `file:line: error: message`.
public enum Diagnostic {
    public enum Severity: String, Sendable {
        case error, warning
    }

    /// `file:line: kind: message`, or without the parts that are unknown.
    public static func format(file: String?, line: Int?, _ severity: Severity, _ message: String) -> String {
        switch (file, line) {
        case let (file?, line?): "\(file):\(line): \(severity.rawValue): \(message)"
        case let (file?, nil): "\(file): \(severity.rawValue): \(message)"
        default: "\(severity.rawValue): \(message)"
        }
    }

    /// The same, with `file` shown as `DisplayPath` shows it.
    public static func format(file: URL?, line: Int?, _ severity: Severity, _ message: String) -> String {
        format(file: file.map(DisplayPath.of), line: line, severity, message)
    }
}
