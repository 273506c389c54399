import Foundation

/// One exercise block as the lesson wrote it: the info string's language and options, the fenced
/// body, and where it is. Knows nothing of Markdown or HTML; the CLI fills it from the site's block.
public struct ExerciseInput: Sendable, Hashable {
    public var language: String
    /// `key=value` options in the order written; a bare word `flag` has the value "".
    public var options: [Option]
    public var body: String
    /// The Markdown file the block is in, and the 1-based line of its opening fence.
    public var file: URL
    public var line: Int
    /// Every path an exercise names must stay inside this folder.
    public var contentRoot: URL

    public struct Option: Sendable, Hashable {
        public var key: String
        public var value: String
        public init(key: String, value: String) {
            self.key = key
            self.value = value
        }
    }

    /// Where each line of `body` was written, when not simply on the lines after the fence (an
    /// `{{#include}}` inside the block); nil otherwise.
    public var bodyLineOrigins: [LineOrigin]?

    public struct LineOrigin: Sendable, Hashable {
        public var file: URL
        public var line: Int
        public init(file: URL, line: Int) {
            self.file = file
            self.line = line
        }
    }

    public init(language: String, options: [Option], body: String, file: URL, line: Int, contentRoot: URL, bodyLineOrigins: [LineOrigin]? = nil) {
        self.language = language
        self.options = options
        self.body = body
        self.file = file
        self.line = line
        self.contentRoot = contentRoot
        self.bodyLineOrigins = bodyLineOrigins
    }
}
