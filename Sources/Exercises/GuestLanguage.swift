import Hypervisor

/// The language an exercise is written in; each has its own builder (nasm, or clang with the guest
/// runtime). What differs between languages outside the builders is here, so a new language is a new
/// case, its answers below, and its builder in `GuestBuilder`.
public enum GuestLanguage: String, Sendable, Hashable, CaseIterable {
    case asm, c

    /// The file extension of a source written to the scratch folder (`hello.asm`).
    public var fileExtension: String {
        switch self {
        case .asm: "asm"
        case .c: "c"
        }
    }

    /// What starts a line comment, which also marks hidden lines (`; [hide]`, `// [hide]`).
    public var commentPrefix: String {
        switch self {
        case .asm: ";"
        case .c: "//"
        }
    }

    /// The line that starts a part built but not shown.
    public var hideMarker: String { "\(commentPrefix) [hide]" }
    /// The line that ends it.
    public var showMarker: String { "\(commentPrefix) [show]" }

    /// The mode an exercise runs in when it names none.
    public var defaultMode: GuestMode {
        switch self {
        case .asm: .real
        case .c: .long
        }
    }

    /// Why this language cannot run in `mode`, or nil when it can.
    public func unsupported(_ mode: GuestMode) -> String? {
        switch (self, mode) {
        case (.c, .real), (.c, .protected): "C exercises run in long or user mode, not \(mode) (the runtime is 64-bit)"
        default: nil
        }
    }

    /// The tool whose time the build profile reports the build under.
    public var buildTool: String {
        switch self {
        case .asm: "nasm"
        case .c: "clang"
        }
    }

    /// Whether the tool also looks for an include in the folder of the file that includes it, as a C
    /// compiler does for `#include "..."`; nasm looks only in the source's folder and the content root.
    var searchesIncludersFolders: Bool {
        switch self {
        case .asm: false
        case .c: true
        }
    }

    /// The header the guest runtime provides, which a lesson's own file of that name would shadow.
    var runtimeHeader: String? {
        switch self {
        case .asm: nil
        case .c: "hypercourse.h"
        }
    }

    /// The words an `unknown language` error lists.
    static var knownWords: String { allCases.map(\.rawValue).joined(separator: " or ") }
}
