/// "Did you mean …?": the candidate nearest to `word` by edit distance (Levenshtein), when close
/// enough to be a typo (at most two edits, or a third of the word's length). Ties go to the
/// earliest candidate, so callers pass candidates in a stable order.
///
/// The work is bounded, since a page can have tens of thousands of headings and a build thousands
/// of broken links: only candidates whose length is within the allowed edits are compared, at most
/// `maxCompared` of them (the first, in the caller's order), each by a table that stops as soon as
/// the distance cannot be small enough; a word longer than `maxLength` gets no suggestion.
public func closestMatch(to word: String, in candidates: [String]) -> String? {
    let target = word.unicodeScalars.map(\.value)
    guard target.count <= closestMatchMaxLength else { return nil }
    let allowed = max(2, target.count / 3)
    var best: (candidate: String, distance: Int)?
    var compared = 0
    for candidate in candidates {
        // Unicode scalars rather than Characters: the same answer for the names this is asked
        // about, at a fraction of the cost.
        let scalars = candidate.unicodeScalars.map(\.value)
        guard abs(scalars.count - target.count) <= allowed else { continue }
        guard compared < closestMatchMaxCompared else { break }
        compared += 1
        let limit = min(allowed, (best?.distance ?? allowed + 1) - 1)
        guard limit >= 0, let distance = editDistance(target, scalars, atMost: limit) else { continue }
        best = (candidate, distance)
        if distance == 0 { break }
    }
    return best?.candidate
}

/// Longest word `closestMatch` suggests for.
public let closestMatchMaxLength = 100
/// Most candidates one `closestMatch` compares.
public let closestMatchMaxCompared = 300

/// Insertions, deletions and substitutions that turn `a` into `b` (Unicode scalar values), in one
/// row of the usual table, or nil as soon as it must exceed `limit`. Plain loops and comparisons:
/// this is the inner loop of every suggestion, and it must be quick in debug builds too.
func editDistance(_ a: [UInt32], _ b: [UInt32], atMost limit: Int = .max) -> Int? {
    let count = b.count
    if a.isEmpty { return count <= limit ? count : nil }
    var row = Array(0...count)
    var i = 1
    while i <= a.count {
        var previous = row[0]
        row[0] = i
        var smallest = i
        let unit = a[i - 1]
        var j = 1
        while j <= count {
            let old = row[j]
            var value = previous + (unit == b[j - 1] ? 0 : 1)
            if row[j - 1] + 1 < value { value = row[j - 1] + 1 }
            if old + 1 < value { value = old + 1 }
            row[j] = value
            if value < smallest { smallest = value }
            previous = old
            j += 1
        }
        if smallest > limit { return nil }
        i += 1
    }
    return row[count] <= limit ? row[count] : nil
}

/// ` (did you mean 'NAME'?)` for the closest candidate, or "" when none is close; `prefix` goes
/// before the name (`#` for an anchor).
public func didYouMean(_ word: String, in candidates: [String], prefix: String = "") -> String {
    closestMatch(to: word, in: candidates).map { " (did you mean '\(prefix)\($0)'?)" } ?? ""
}
