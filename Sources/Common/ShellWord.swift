import Foundation

/// Words of a command shown for someone to paste into a POSIX shell (`hypercourse run ...`,
/// `cd my-course`).
public enum ShellWord {
    /// `word` as the shell reads it back: unquoted when it holds only the characters of file names
    /// and options, else in single quotes (a `'` inside written as `'\''`).
    public static func quoted(_ word: String) -> String {
        let plain =
            !word.isEmpty
            && word.unicodeScalars.allSatisfy {
                $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "-_./=:+,".unicodeScalars.contains($0))
            }
        return plain ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// A command line: each word quoted as needed, joined by spaces.
    public static func command(_ words: [String]) -> String { words.map(quoted).joined(separator: " ") }
}
