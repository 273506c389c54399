/// "Did you mean …?": the candidate nearest to `word` by edit distance (Levenshtein), when close
/// enough to be a typo (at most two edits, or a third of the word's length). Ties go to the
/// earliest candidate, so callers pass candidates in a stable order.
public func closestMatch(to word: String, in candidates: [String]) -> String? {
    let target = Array(word)
    var best: (candidate: String, distance: Int)?
    for candidate in candidates {
        let distance = editDistance(target, Array(candidate))
        if best == nil || distance < best!.distance { best = (candidate, distance) }
    }
    guard let best, best.distance <= max(2, word.count / 3) else { return nil }
    return best.candidate
}

/// Insertions, deletions and substitutions that turn `a` into `b`, in one row of the usual table.
func editDistance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    var row = Array(0...b.count)
    for i in 1...a.count {
        var previous = row[0]
        row[0] = i
        for j in stride(from: 1, through: b.count, by: 1) {
            let old = row[j]
            row[j] = min(previous + (a[i - 1] == b[j - 1] ? 0 : 1), row[j - 1] + 1, row[j] + 1)
            previous = old
        }
    }
    return row[b.count]
}

/// ` (did you mean 'NAME'?)` for the closest candidate, or "" when none is close; `prefix` goes
/// before the name (`#` for an anchor).
public func didYouMean(_ word: String, in candidates: [String], prefix: String = "") -> String {
    closestMatch(to: word, in: candidates).map { " (did you mean '\(prefix)\($0)'?)" } ?? ""
}
