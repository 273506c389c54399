/// Line diffs in the unified format (`diff -u`), from Myers' O((N+M)D) algorithm.
public enum UnifiedDiff {
    enum Edit: Equatable { case same(Int, Int), delete(Int), insert(Int) }

    /// The unified diff of `old` and `new` with `context` lines around each change; empty when equal.
    public static func diff(_ old: [String], _ new: [String], oldLabel: String, newLabel: String, context: Int = 3) -> String {
        guard old != new else { return "" }
        let edits = script(old, new)
        // Lines of each side consumed before each edit, for hunk headers.
        var oldBefore: [Int] = [], newBefore: [Int] = []
        var consumedOld = 0, consumedNew = 0
        for edit in edits {
            oldBefore.append(consumedOld)
            newBefore.append(consumedNew)
            switch edit {
            case .same: consumedOld += 1; consumedNew += 1
            case .delete: consumedOld += 1
            case .insert: consumedNew += 1
            }
        }
        func isChange(_ edit: Edit) -> Bool { if case .same = edit { false } else { true } }
        var out = ["--- \(oldLabel)", "+++ \(newLabel)"]
        var index = 0
        while let firstChange = edits[index...].firstIndex(where: isChange) {
            let start = max(index, firstChange - context)
            // Extend the hunk while the next change is within 2×context unchanged lines.
            var lastChange = firstChange
            var probe = firstChange + 1
            while probe < edits.count, probe - lastChange <= 2 * context + 1 {
                if isChange(edits[probe]) { lastChange = probe }
                probe += 1
            }
            let stop = min(edits.count, lastChange + context + 1)
            var oldCount = 0, newCount = 0
            var body: [String] = []
            for edit in edits[start..<stop] {
                switch edit {
                case .same(let a, _): oldCount += 1; newCount += 1; body.append(" " + old[a])
                case .delete(let a): oldCount += 1; body.append("-" + old[a])
                case .insert(let b): newCount += 1; body.append("+" + new[b])
                }
            }
            out.append("@@ -\(range(oldBefore[start], oldCount)) +\(range(newBefore[start], newCount)) @@")
            out += body
            index = stop
            if index >= edits.count { break }
        }
        return out.joined(separator: "\n")
    }

    private static func range(_ start: Int, _ count: Int) -> String {
        count == 0 ? "\(start),0" : count == 1 ? "\(start + 1)" : "\(start + 1),\(count)"
    }

    /// The shortest edit script. Common prefix and suffix are matched first; past a large distance the
    /// middle is reported as replaced wholesale (still a correct diff, only not minimal).
    static func script(_ old: [String], _ new: [String]) -> [Edit] {
        var prefix = 0
        while prefix < old.count, prefix < new.count, old[prefix] == new[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < old.count - prefix, suffix < new.count - prefix, old[old.count - 1 - suffix] == new[new.count - 1 - suffix] {
            suffix += 1
        }
        let a = Array(old[prefix..<(old.count - suffix)]), b = Array(new[prefix..<(new.count - suffix)])
        var edits = (0..<prefix).map { Edit.same($0, $0) }
        edits += middle(a, b).map { edit in
            switch edit {
            case .same(let x, let y): .same(x + prefix, y + prefix)
            case .delete(let x): .delete(x + prefix)
            case .insert(let y): .insert(y + prefix)
            }
        }
        edits += (0..<suffix).map { Edit.same(old.count - suffix + $0, new.count - suffix + $0) }
        return edits
    }

    private static func middle(_ a: [String], _ b: [String]) -> [Edit] {
        let n = a.count, m = b.count
        if n == 0 { return (0..<m).map { .insert($0) } }
        if m == 0 { return (0..<n).map { .delete($0) } }
        let maxD = min(n + m, 4000)
        let offset = maxD + 1
        var v = [Int](repeating: 0, count: 2 * maxD + 3)
        var history: [[Int]] = []
        var found = false
        outer: for d in 0...maxD {
            history.append(v)
            for k in stride(from: -d, through: d, by: 2) {
                var x = (k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1])) ? v[offset + k + 1] : v[offset + k - 1] + 1
                var y = x - k
                while x < n, y < m, a[x] == b[y] { x += 1; y += 1 }
                v[offset + k] = x
                if x >= n && y >= m { found = true; break outer }
            }
        }
        guard found else { return (0..<n).map { .delete($0) } + (0..<m).map { .insert($0) } }
        // Walk back through the saved frontiers.
        var edits: [Edit] = []
        var x = n, y = m
        for d in stride(from: history.count - 1, through: 0, by: -1) {
            let v = history[d]
            let k = x - y
            if d == 0 {
                while x > 0 && y > 0 { x -= 1; y -= 1; edits.append(.same(x, y)) }
                break
            }
            let down = k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1])
            let previousK = down ? k + 1 : k - 1
            let previousX = v[offset + previousK], previousY = previousX - previousK
            while x > previousX && y > previousY { x -= 1; y -= 1; edits.append(.same(x, y)) }
            if down { y -= 1; edits.append(.insert(y)) } else { x -= 1; edits.append(.delete(x)) }
        }
        return edits.reversed()
    }
}
