import Common
import Foundation

/// A problem with one exercise, at a place in a file when there is one. `message` may continue on
/// further lines (a diff, the output so far).
public struct ExerciseProblem: Error, Sendable, Hashable, CustomStringConvertible {
    public var file: URL?
    public var line: Int?
    public var message: String

    public init(file: URL?, line: Int?, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String { Diagnostic.format(file: file, line: line, .error, message) }
}
