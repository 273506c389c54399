import Foundation

extension GuestSource {
    /// The same source with its shown lines replaced by `edited` (what a student typed over the shown
    /// source): each hidden part goes back after the shown line it followed (at the start when it came
    /// first, at the end when it came last), so what the lesson hides is still built. A hidden part
    /// that followed a line the edit no longer has goes at the end.
    /// Marker lines in the edit are refused: the student sees no hidden parts, so cannot mean one.
    public func replacingShown(with edited: String, language: GuestLanguage) throws(MarkerError) -> GuestSource {
        var lines = edited.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        for (index, line) in lines.enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed == language.hideMarker || trimmed == language.showMarker {
                throw MarkerError(line: index + 1, message: "'\(trimmed)' marks a hidden part, which only the lesson can have")
            }
        }
        var built: [String] = []
        var nextShown = 0
        for (part, followed) in hiddenParts() {
            // A part after the last shown line (a lesson's helpers, its data) stays at the end.
            let after = followed == displayLines.count ? lines.count : followed
            while nextShown < min(after, lines.count) {
                built.append(lines[nextShown])
                nextShown += 1
            }
            built += part
        }
        built += lines[min(nextShown, lines.count)...]
        // The edit's lines are shown lines again, so the rebuilt source maps each to itself.
        return try GuestSource(built.map { $0 + "\n" }.joined(), language: language)
    }

    /// Each hidden part (marker lines included) with the number of shown lines before it.
    func hiddenParts() -> [(lines: [String], afterShown: Int)] {
        let builtLines = built.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var parts: [(lines: [String], afterShown: Int)] = []
        var shownSoFar = 0
        var current: [String] = []
        for (index, shown) in displayLine.enumerated() {
            if let shown {
                if !current.isEmpty { parts.append((current, shownSoFar)) }
                current = []
                shownSoFar = shown
            } else {
                current.append(builtLines[index])
            }
        }
        if !current.isEmpty { parts.append((current, shownSoFar)) }
        return parts
    }
}
