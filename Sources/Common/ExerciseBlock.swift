import Foundation

/// One exercise block as a lesson wrote it: the info string's language word and options, the fenced
/// body, and where it is. The site finds these while it loads the course and the exercise engine
/// checks and runs them; both speak of the same value, so neither keeps a copy of the type. Options
/// are passed through unvalidated: checking them is the engine's job, reported at `file:line`.
public struct ExerciseBlock: Sendable, Hashable {
    /// The language word from the info string, as written (`asm`, `c`, ...).
    public var language: String
    /// `key=value` options in the order written; a bare word `flag` has the value "".
    public var options: [Option]
    /// The fenced block's body (empty when the block names `src=`).
    public var body: String
    /// The lesson file the block is in, and the 1-based line of its opening fence.
    public var file: URL
    public var line: Int
    /// The course's content folder; every path an exercise names must stay inside it.
    public var contentRoot: URL
    /// Where each body line was written, when an `{{#include}}` inside the block moved lines away
    /// from "the fence's line plus k"; nil otherwise. Diagnostics use it.
    public var bodyLineOrigins: [LineOrigin]?

    public struct Option: Sendable, Hashable {
        public var key: String
        public var value: String
        public init(key: String, value: String) {
            self.key = key
            self.value = value
        }
    }

    public struct LineOrigin: Sendable, Hashable {
        public var file: URL
        public var line: Int
        public init(file: URL, line: Int) {
            self.file = file
            self.line = line
        }
    }

    public init(
        language: String, options: [Option], body: String, file: URL, line: Int, contentRoot: URL,
        bodyLineOrigins: [LineOrigin]? = nil
    ) {
        self.language = language
        self.options = options
        self.body = body
        self.file = file
        self.line = line
        self.contentRoot = contentRoot
        self.bodyLineOrigins = bodyLineOrigins
    }

    /// The value of the first option named `key`, if any.
    public func option(_ key: String) -> String? { options.first { $0.key == key }?.value }
}
