import Common
import Foundation

/// Writes `source-hash:` into a translation's front matter: the mark that says "reviewed against
/// the original as it is now". Only that line changes; the file is replaced atomically.
public enum TranslationMarker {
    public static func mark(_ entry: TranslationEntry) throws {
        guard entry.state != .missing else {
            throw SiteError(file: entry.translation, "no translation to mark: the file does not exist")
        }
        let text: String
        do {
            text = try TextFile.read(entry.translation)
        } catch {
            throw SiteError(file: entry.translation, error.message(entry.translation.lastPathComponent))
        }
        let marked = try withHash(text, entry.currentHash, file: entry.translation)
        guard marked != text else { return }
        do {
            try Data(marked.utf8).write(to: entry.translation, options: .atomic)
        } catch {
            throw SiteError(file: entry.translation, "cannot write: \(error.localizedDescription)")
        }
    }

    /// `text` with its front matter's `source-hash:` line set to `hash` (added before the closing
    /// fence when there is none).
    static func withHash(_ text: String, _ hash: String, file: URL) throws -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.first?.trimmingCharacters(in: .whitespaces) == "---",
            let close = lines.indices.dropFirst().first(where: { ["---", "..."].contains(lines[$0].trimmingCharacters(in: .whitespaces)) })
        else {
            throw SiteError(file: file, line: 1, "a translation starts with front matter (---, title: ..., ---); this file has none")
        }
        let line = "source-hash: \(hash)"
        if let existing = lines[1..<close].firstIndex(where: { $0.hasPrefix("source-hash:") }) {
            lines[existing] = line
        } else {
            lines.insert(line, at: close)
        }
        return lines.joined(separator: "\n")
    }
}
