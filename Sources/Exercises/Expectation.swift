import Foundation
import Hypervisor

/// What the lesson says the run must end with (`expect=`): one end, in the words the record and the
/// page use, or, with no `expect=`, either `halt` or `exit 0`.
public enum Expectation: Sendable, Hashable, CustomStringConvertible {
    case haltOrExitZero
    case end(RecordedEnd)

    /// Parses the record's words (`halt`, `exit 3`, `crash`, `timeout`, `output-limit`, `exit-limit`,
    /// `signal 9`), and `exit:N`, a bare `exit` (`exit:0`) and `signal:N`, the forms an info string
    /// can hold without quotes.
    public init?(_ text: String) {
        var text = text.trimmingCharacters(in: .whitespaces)
        if text == EndKind.exited.rawValue { text += " 0" }
        for kind in [EndKind.exited, .signal] where text.hasPrefix(kind.rawValue + ":") {
            text = kind.rawValue + " " + text.dropFirst(kind.rawValue.count + 1)
        }
        guard let end = RecordedEnd(text: text) else { return nil }
        self = .end(end)
    }

    /// Whether a run that ended with `end` (`halt`, `exit 3`, `crash`, ...) meets this expectation.
    public func accepts(_ end: RecordedEnd) -> Bool {
        switch self {
        case .haltOrExitZero: end == .halt || end == .exited(0)
        case .end(let expected): end == expected
        }
    }

    /// The expectation in the words of `end` (what the page shows beside the actual end). For the
    /// default, the alternative that matched, else `halt`.
    public func words(for end: RecordedEnd) -> String {
        switch self {
        case .haltOrExitZero: (end == .exited(0) ? end : RecordedEnd.halt).description
        case .end(let expected): expected.description
        }
    }

    public var description: String {
        switch self {
        case .haltOrExitZero: "\(RecordedEnd.halt) or \(RecordedEnd.exited(0))"
        case .end(let expected): expected.description
        }
    }
}
