/// The language an exercise is written in; each has its own builder (nasm, or clang with the guest runtime).
public enum GuestLanguage: String, Sendable, Hashable, CaseIterable {
    case asm, c
}
