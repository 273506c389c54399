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
            throw Self.siteError(error, file: file, firstLine: firstLine)
        }
    }

    static func siteError(_ error: YamlError, file: URL, firstLine: Int) -> SiteError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let detail = context.map { "\($0.text) " } ?? ""
            return SiteError(file: file, line: firstLine + mark.line - 1, "malformed YAML: \(detail)\(problem) (column \(mark.column))")
        case .reader(let problem, _, _, _):
            return SiteError(file: file, line: firstLine, "unreadable YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return SiteError(file: file, line: firstLine + context.mark.line - 1, "duplicate YAML key \(duplicates.joined(separator: ", "))")
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
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let first = lines.first, first.trimmingCharacters(in: .whitespaces) == "---" || first == "---\r" else {
            yaml = nil
            yamlFirstLine = 1
            body = String(text)
            bodyFirstLine = 1
            return
        }
        var closing: Int?
        for i in 1..<lines.count {
            let line = lines[i].trimmingCharacters(in: .whitespacesAndNewlines)
            if line == "---" || line == "..." {
                closing = i
                break
            }
        }
        guard let closing else {
            throw SiteError(file: file, line: 1, "front matter starts with '---' but has no closing '---' line")
        }
        yaml = lines[1..<closing].joined(separator: "\n")
        yamlFirstLine = 2
        body = lines[(closing + 1)...].joined(separator: "\n")
        bodyFirstLine = closing + 2
    }
}
