import Foundation
import Yams

/// YAML read through Yams' node tree, so every value keeps its line for error messages.
struct YAMLDocument {
    let file: URL
    /// File line of the YAML text's first line.
    let firstLine: Int
    let root: Node?

    init(text: String, file: URL, firstLine: Int) throws {
        self.file = file
        self.firstLine = firstLine
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            if case .duplicatedKeysInMapping(let duplicates, let context) = error, let key = duplicates.first {
                throw Self.duplicateKey(key, firstAt: context.mark.line, text: text, file: file, firstLine: firstLine)
            }
            throw Self.siteError(error, file: file, firstLine: firstLine)
        }
    }

    /// A key given twice is an error at its second line (which one was meant, only the author knows).
    /// libyaml marks the first; the second is the next line with the key at the same indentation.
    private static func duplicateKey(_ key: String, firstAt first: Int, text: String, file: URL, firstLine: Int) -> SiteError {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let indent = first - 1 < lines.count ? lines[first - 1].prefix { $0 == " " }.count : 0
        let again = lines.indices.dropFirst(first).first { index in
            let line = lines[index]
            return line.prefix { $0 == " " }.count == indent && line.dropFirst(indent).hasPrefix("\(key):")
        }
        return SiteError(
            file: file, line: firstLine + (again ?? first - 1),
            "duplicate YAML key \(key) (first given at line \(firstLine + first - 1)); keep one")
    }

    /// `text` as a YAML double-quoted scalar, for the files `init` and `new lesson` write.
    static func doubleQuoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    static func siteError(_ error: YamlError, file: URL, firstLine: Int) -> SiteError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            // Point at where the broken construct starts (an unclosed `[` or quote), which is
            // where the fix goes; libyaml notices the problem later, often on the next line.
            if let context, context.mark.line < mark.line {
                return SiteError(
                    file: file, line: firstLine + context.mark.line - 1,
                    "malformed YAML: \(problem) \(context.text), which starts here (noticed at line \(firstLine + mark.line - 1))")
            }
            return SiteError(file: file, line: firstLine + mark.line - 1, "malformed YAML: \(problem) (column \(mark.column))")
        case .reader(let problem, _, _, _):
            return SiteError(file: file, line: firstLine, "unreadable YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return SiteError(
                file: file, line: firstLine + context.mark.line - 1, "duplicate YAML key \(duplicates.joined(separator: ", "))")
        default:
            return SiteError(file: file, line: firstLine, "malformed YAML: \(error)")
        }
    }

    func line(of node: Node) -> Int { firstLine + (node.mark?.line ?? 1) - 1 }

    /// The top-level mapping as ordered (key, key node, value) triples; an empty document is empty.
    func mapping(what: String) throws -> [(key: String, keyNode: Node, value: Node)] {
        guard let root else { return [] }
        guard let mapping = root.mapping else {
            throw SiteError(file: file, line: line(of: root), "\(what) must be a mapping of `key: value` lines")
        }
        return mapping.map { (key: $0.key.string ?? "\($0.key)", keyNode: $0.key, value: $0.value) }
    }

    func string(_ node: Node, key: String, allowEmpty: Bool = false) throws -> String {
        guard let scalar = node.scalar, !(scalar.style == .plain && ["~", "null", "Null", "NULL"].contains(scalar.string)) else {
            throw SiteError(file: file, line: line(of: node), "'\(key)' must be a text value")
        }
        let value = scalar.string.trimmingCharacters(in: .whitespacesAndNewlines)
        if value.isEmpty, !allowEmpty { throw SiteError(file: file, line: line(of: node), "'\(key)' must not be empty") }
        return value
    }

    func int(_ node: Node, key: String) throws -> Int {
        guard let value = node.int else { throw SiteError(file: file, line: line(of: node), "'\(key)' must be a whole number") }
        return value
    }

    func bool(_ node: Node, key: String) throws -> Bool {
        guard let value = node.bool else { throw SiteError(file: file, line: line(of: node), "'\(key)' must be true or false") }
        return value
    }

    func strings(_ node: Node, key: String) throws -> [String] {
        if node.scalar != nil { return [try string(node, key: key)] }
        guard let sequence = node.sequence else {
            throw SiteError(file: file, line: line(of: node), "'\(key)' must be a list of text values")
        }
        return try sequence.map { try string($0, key: key) }
    }
}

/// Splits `---` front matter from a Markdown file's body.
struct FrontMatterSplit {
    /// The YAML text between the fences, or nil when the file has no front matter.
    var yaml: String?
    /// File line of the YAML's first line (2 when the file starts with `---`).
    var yamlFirstLine: Int
    var body: String
    /// File line of the body's first line.
    var bodyFirstLine: Int

    init(_ text: String, file: URL) throws {
        var text = Substring(text)
        if text.hasPrefix("\u{FEFF}") { text = text.dropFirst() }
        let utf8 = text.utf8
        // The opening fence: `---` alone on the first line (trailing blanks and CR allowed).
        guard let firstEnd = utf8.firstIndex(of: 0x0A).map({ $0 }) ?? Optional(utf8.endIndex),
            Self.isFence(utf8[utf8.startIndex..<firstEnd], dots: false)
        else {
            yaml = nil
            yamlFirstLine = 1
            body = String(text)
            bodyFirstLine = 1
            return
        }
        // Scan line by line for the closing `---` or `...` without splitting the whole file.
        var line = 2
        var start = firstEnd < utf8.endIndex ? utf8.index(after: firstEnd) : utf8.endIndex
        while start < utf8.endIndex {
            let end = utf8[start...].firstIndex(of: 0x0A) ?? utf8.endIndex
            if Self.isFence(utf8[start..<end], dots: true) {
                let yamlStart = utf8.index(after: firstEnd)
                yaml = String(Substring(utf8[yamlStart..<start]))
                yamlFirstLine = 2
                body = end < utf8.endIndex ? String(Substring(utf8[utf8.index(after: end)...])) : ""
                bodyFirstLine = line + 1
                return
            }
            line += 1
            start = end < utf8.endIndex ? utf8.index(after: end) : utf8.endIndex
        }
        throw SiteError(file: file, line: 1, "front matter starts with '---' but has no closing '---' line")
    }

    private static func isFence(_ line: Substring.UTF8View.SubSequence, dots: Bool) -> Bool {
        var bytes = Array(line)
        while let last = bytes.last, last == 0x20 || last == 0x09 || last == 0x0D { bytes.removeLast() }
        return bytes == [0x2D, 0x2D, 0x2D] || (dots && bytes == [0x2E, 0x2E, 0x2E])
    }
}
