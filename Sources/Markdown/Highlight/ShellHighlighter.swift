/// POSIX shell / bash, and console sessions (`$ command` lines followed by output).
struct ShellHighlighter {
    private let b: [UInt8]

    init(_ bytes: [UInt8]) { self.b = bytes }

    static let keywords: Set<String> = [
        "if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac", "in",
        "function", "select", "time", "return", "exit", "local", "export", "readonly", "set", "unset"
    ]

    func run(into out: inout TokenWriter) {
        highlight(0, b.count, into: &out)
    }

    /// Lines starting with `$ ` or `# ` are commands (the prompt marked); other lines are output.
    /// A `\` at the end of a command line continues the command.
    func runConsole(into out: inout TokenWriter) {
        var i = 0
        var continuing = false
        while i < b.count {
            let end = Bytes.endOfLine(b, from: i)
            let line = b[i..<end]
            if continuing {
                highlight(i, end, into: &out)
                continuing = line.last == 0x5C
            } else if line.count >= 2, line.first == 0x24 || line.first == 0x23, b[i + 1] == 0x20 {
                out.token(.prompt, b[i..<(i + 1)])
                highlight(i + 1, end, into: &out)
                continuing = line.last == 0x5C
            } else {
                out.token(.output, line)
            }
            if end < b.count { out.plain(b[end..<(end + 1)]) }
            i = end + 1
        }
    }

    private func highlight(_ start: Int, _ stop: Int, into out: inout TokenWriter) {
        var i = start
        var commandPosition = true
        while i < stop {
            let c = b[i]
            if c == 0x0A {
                out.plain(b[i..<(i + 1)])
                // A line ending in `\` continues the same command.
                commandPosition = !(i > start && b[i - 1] == 0x5C)
                i += 1
                continue
            }
            if Bytes.isSpace(c) {
                i = out.spaces(b, from: i, to: stop)
                continue
            }
            if c == 0x23 { // comment (a `#` starting a word); `stop` is always a line's end or the code's
                i = out.lineComment(b, from: i)
                continue
            }
            if c == 0x27 || c == 0x22 {
                i = quoted(from: i, stop: stop, into: &out)
                commandPosition = false
                continue
            }
            if c == 0x24 { // $VAR ${VAR} $1 $? $(
                i = variable(from: i, stop: stop, into: &out, commandPosition: &commandPosition)
                continue
            }
            if c == 0x7C || c == 0x3B || c == 0x26 || c == 0x28 || c == 0x60 { // | ; & ( `
                var j = i + 1
                while j < stop, b[j] == c { j += 1 }
                out.plain(b[i..<j])
                i = j
                commandPosition = true
                continue
            }
            i = word(from: i, stop: stop, into: &out, commandPosition: &commandPosition)
        }
    }

    /// A quoted string: single quotes take no escapes, double quotes take `\`; both may span lines.
    private func quoted(from i: Int, stop: Int, into out: inout TokenWriter) -> Int {
        let quote = b[i]
        var j = i + 1
        while j < stop, b[j] != quote {
            if quote == 0x22, b[j] == 0x5C { j += 1 }
            j += 1
        }
        j = min(j + 1, stop)
        out.token(.string, b[i..<j])
        return j
    }

    /// `$VAR`, `${VAR}`, `$1`, `$?`; `$(` opens a command.
    private func variable(from i: Int, stop: Int, into out: inout TokenWriter, commandPosition: inout Bool) -> Int {
        var j = i + 1
        if j < stop, b[j] == 0x7B {
            while j < stop, b[j] != 0x7D, b[j] != 0x0A { j += 1 }
            j = min(j + 1, stop)
        } else if j < stop, b[j] == 0x28 {
            out.plain(b[i..<(j + 1)])
            commandPosition = true
            return j + 1
        } else if j < stop, Bytes.isIdentStart(b[j]) {
            while j < stop, Bytes.isIdent(b[j]) { j += 1 }
        } else if j < stop {
            j += 1
        }
        out.token(.variable, b[i..<j])
        commandPosition = false
        return j
    }

    /// A word, up to whitespace or an operator: keyword, `VAR=value` prefix, command, option, number
    /// or plain.
    private func word(from i: Int, stop: Int, into out: inout TokenWriter, commandPosition: inout Bool) -> Int {
        var j = i
        while j < stop {
            let d = b[j]
            if Bytes.isSpace(d) || d == 0x0A || d == 0x7C || d == 0x3B || d == 0x26 || d == 0x22 || d == 0x27
                || d == 0x24 || d == 0x28 || d == 0x29 || d == 0x60
            {
                break
            }
            j += 1
        }
        if j == i { j = i + 1 }
        let word = b[i..<j]
        let name = String(decoding: word, as: UTF8.self)
        if commandPosition, Self.keywords.contains(name) {
            out.token(.keyword, word)
            // `for x in`, `case $v in`, `function name`: the next word is not a command.
            commandPosition = !["in", "function", "for", "select", "case"].contains(name)
        } else if commandPosition, word.contains(0x3D), word.first != 0x3D { // VAR=value prefix
            out.token(.variable, word)
        } else if commandPosition {
            out.token(.function, word)
            commandPosition = false
        } else if word.first == 0x2D {
            out.token(.attribute, word)
        } else if word.allSatisfy(Bytes.isDigit) {
            out.token(.number, word)
        } else {
            out.plain(word)
        }
        return j
    }
}
