import Common
import Foundation

/// A problem the author must fix, at a place in a file when there is one. Rendered the way
/// compilers do, so editors and terminals make it clickable: `file:line: error: message`.
public struct SiteError: Error, Sendable, Hashable, CustomStringConvertible {
    public var file: String?
    public var line: Int?
    public var message: String

    public init(file: String? = nil, line: Int? = nil, _ message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public init(file: URL, line: Int? = nil, _ message: String) {
        self.init(file: DisplayPath.of(file), line: line, message)
    }

    public var description: String { Diagnostic.format(file: file, line: line, .error, message) }
}

/// A build that stopped: every error found before stopping, in source order.
public struct BuildFailure: Error, Sendable, CustomStringConvertible {
    public var errors: [SiteError]
    public init(_ errors: [SiteError]) { self.errors = errors }
    public init(_ error: SiteError) { self.errors = [error] }
    public var description: String { errors.map(\.description).joined(separator: "\n") }

    /// The line that closes a failed build's report: how many errors, and that `output` is untouched.
    public func closingLine(output: URL) -> String {
        let untouched =
            FileManager.default.fileExists(atPath: output.path) ? "\(output.path) left unchanged" : "nothing written to \(output.path)"
        return "build failed: \(errors.count) error\(errors.count == 1 ? "" : "s"); \(untouched)"
    }
}

/// Something worth fixing that does not stop the build (an image without alt text, say).
public struct SiteWarning: Sendable, Hashable, CustomStringConvertible {
    public var file: String?
    public var line: Int?
    public var message: String

    public init(file: URL, line: Int? = nil, _ message: String) {
        self.file = DisplayPath.of(file)
        self.line = line
        self.message = message
    }

    public init(file: String? = nil, line: Int? = nil, _ message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String { Diagnostic.format(file: file, line: line, .warning, message) }
}
