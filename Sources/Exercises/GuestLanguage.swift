import Hypervisor

/// The language an exercise is written in; each has its own builder (nasm; clang with the guest
/// runtime; clang for the host with the vmm header and launcher). What differs between languages
/// outside the builders is here, so a new language is a new case, its answers below, and its
/// builder in `GuestBuilder` (a `GuestBuilder+Name.swift` file); a language that does not run on the
/// course's hypervisor also gets a runner in `ExerciseEngine.runOnce`.
public enum GuestLanguage: String, Sendable, Hashable, CaseIterable {
    /// A guest in nasm syntax, assembled with `nasm -f bin`.
    case asm
    /// A guest in freestanding C, built against the guest runtime (`hypercourse.h`).
    case c
    /// A host program in C (a virtual machine monitor on `/dev/kvm`), run confined as a child process.
    case vmm

    /// The file extension of a source written to the scratch folder (`hello.asm`).
    public var fileExtension: String {
        switch self {
        case .asm: "asm"
        case .c: "c"
        case .vmm: "vmm.c"
        }
    }

    /// What starts a line comment, which also marks hidden lines (`; [hide]`, `// [hide]`).
    public var commentPrefix: String {
        switch self {
        case .asm: ";"
        case .c, .vmm: "//"
        }
    }

    /// The line that starts a part built but not shown.
    public var hideMarker: String { "\(commentPrefix) [hide]" }
    /// The line that ends it.
    public var showMarker: String { "\(commentPrefix) [show]" }

    /// The mode an exercise runs in when it names none (a vmm's guest has its own).
    public var defaultMode: GuestMode {
        switch self {
        case .asm, .vmm: .real
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

    /// Whether the exercise runs on the course's hypervisor (a guest) or as a host program (a vmm).
    public var isGuest: Bool { self != .vmm }

    /// The tool whose time the build profile reports the build under.
    public var buildTool: String {
        switch self {
        case .asm: "nasm"
        case .c, .vmm: "clang"
        }
    }

    /// Whether the tool also looks for an include in the folder of the file that includes it, as a C
    /// compiler does for `#include "..."`; nasm looks only in the source's folder and the content root.
    var searchesIncludersFolders: Bool {
        switch self {
        case .asm: false
        case .c, .vmm: true
        }
    }

    /// The header the build provides, which a lesson's own file of that name would shadow.
    var runtimeHeader: String? {
        switch self {
        case .asm: nil
        case .c: "hypercourse.h"
        case .vmm: VMMSupport.headerName
        }
    }

    /// The words an `unknown language` error lists.
    static var knownWords: String {
        let words = allCases.map(\.rawValue)
        return words.dropLast().joined(separator: ", ") + " or " + words.last!
    }
}
