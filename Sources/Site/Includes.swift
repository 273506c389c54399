import Common
import Foundation

/// Where each line of an expanded Markdown text came from, so errors point at the real file.
struct SourceMap: Sendable {
    struct Segment: Sendable {
        var outputLine: Int // 1-based line in the expanded text where this run starts
        var file: URL
        var fileLine: Int
    }
    var segments: [Segment]

    /// (file, line) for a 1-based line of the expanded text.
    func location(_ line: Int) -> (file: URL, line: Int) {
        var best = segments[0]
        for segment in segments {
            if segment.outputLine > line { break }
            best = segment
        }
        return (best.file, best.fileLine + (line - best.outputLine))
    }
}

/// `{{#include FILE}}`, `{{#include FILE:START:END}}` (1-based, inclusive, either end optional,
/// `FILE:N` for one line) and `{{#include FILE:NAME}}` (lines between `ANCHOR: NAME` and
/// `ANCHOR_END: NAME`). Paths are relative to the including file and must stay inside the content
/// folder, also after following symlinks. Lines holding `ANCHOR:`/`ANCHOR_END:` markers are never
/// shown. Included `.md` files may include further files. `\{{#include ...}}` is shown literally.
struct IncludeExpander {
    let contentRoot: URL
    private let folder: ContentFolder

    init(contentRoot: URL) {
        self.contentRoot = contentRoot.standardizedFileURL
        self.folder = ContentFolder(contentRoot)
    }

    static let directive = "{{#include"

    private static let directiveBytes = Array(directive.utf8)

    /// A byte search, not Foundation's (which converts to UTF-16): every lesson is checked and
    /// most have no includes.
    static func mentionsInclude<S: StringProtocol>(_ text: S) -> Bool {
        let needle = directiveBytes
        var text = String(text)
        return text.withUTF8 { hay in
            guard hay.count >= needle.count else { return false }
            var i = 0
            let last = hay.count - needle.count
            while i <= last {
                if hay[i] == 0x7B, hay[i + 1] == 0x7B, hay[i + 2] == 0x23 {
                    var k = 3
                    while k < needle.count, hay[i + k] == needle[k] { k += 1 }
                    if k == needle.count { return true }
                }
                i += 1
            }
            return false
        }
    }

    func expand(_ source: MarkdownSource) throws -> (text: String, map: SourceMap) {
        guard Self.mentionsInclude(source.body) else {
            return (source.body, SourceMap(segments: [.init(outputLine: 1, file: source.file, fileLine: source.firstLine)]))
        }
        var out: [Substring] = []
        var segments: [SourceMap.Segment] = []
        try expand(
            source.body, file: source.file, firstLine: source.firstLine, depth: 0, stack: [source.file.path], into: &out,
            segments: &segments)
        return (out.joined(separator: "\n"), SourceMap(segments: segments))
    }

    private func expand(
        _ text: String, file: URL, firstLine: Int, depth: Int, stack: [String],
        into out: inout [Substring], segments: inout [SourceMap.Segment]
    ) throws {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var runStart: Int? // index in `lines` where the current plain run began
        func closeRun(_ end: Int) {
            guard let start = runStart else { return }
            segments.append(.init(outputLine: out.count + 1, file: file, fileLine: firstLine + start))
            out.append(contentsOf: lines[start..<end])
            runStart = nil
        }
        for (index, line) in lines.enumerated() {
            guard Self.mentionsInclude(line) else {
                if runStart == nil { runStart = index }
                continue
            }
            closeRun(index)
            let lineNumber = firstLine + index
            var rest = line[...]
            var prefix = ""
            var pieces: [(text: String, file: URL, line: Int)] = [] // included text, split later
            while let range = rest.range(of: Self.directive) {
                // `\{{#include` is an escaped, literal directive.
                if range.lowerBound > rest.startIndex, rest[rest.index(before: range.lowerBound)] == "\\" {
                    prefix += rest[..<rest.index(before: range.lowerBound)] + Self.directive
                    rest = rest[range.upperBound...]
                    continue
                }
                guard let close = rest[range.upperBound...].range(of: "}}") else {
                    throw SiteError(file: file, line: lineNumber, "unclosed '{{#include' (expected '}}')")
                }
                prefix += rest[..<range.lowerBound]
                let spec = rest[range.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
                let (included, includedFile, includedFirst) = try load(spec: spec, from: file, line: lineNumber, depth: depth, stack: stack)
                pieces.append((prefix, file, lineNumber))
                prefix = ""
                pieces.append((included, includedFile, includedFirst))
                rest = rest[close.upperBound...]
            }
            pieces.append((prefix + rest, file, lineNumber))
            Self.append(pieces, into: &out, segments: &segments, origin: (file, lineNumber))
        }
        closeRun(lines.count)
    }

    /// Joins one source line's pieces into output lines: text before/after a directive shares the
    /// included text's first/last line. `origin` is the directive's line, for an empty result.
    private static func append(
        _ pieces: [(text: String, file: URL, line: Int)], into out: inout [Substring],
        segments: inout [SourceMap.Segment], origin: (URL, Int)
    ) {
        var current = ""
        var currentOrigin: (URL, Int)?
        for piece in pieces {
            let parts = piece.text.split(separator: "\n", omittingEmptySubsequences: false)
            for (k, part) in parts.enumerated() {
                if k > 0, let started = currentOrigin {
                    segments.append(.init(outputLine: out.count + 1, file: started.0, fileLine: started.1))
                    out.append(Substring(current))
                    current = ""
                    currentOrigin = nil
                }
                if currentOrigin == nil || (current.isEmpty && !part.isEmpty) { currentOrigin = (piece.file, piece.line + k) }
                current += part
            }
        }
        segments.append(.init(outputLine: out.count + 1, file: currentOrigin?.0 ?? origin.0, fileLine: currentOrigin?.1 ?? origin.1))
        out.append(Substring(current))
    }

    /// The text an include spec names: (text, file, first line of that text in the file).
    private func load(spec: String, from file: URL, line: Int, depth: Int, stack: [String]) throws -> (String, URL, Int) {
        guard !spec.isEmpty else { throw SiteError(file: file, line: line, "'{{#include}}' needs a file name") }
        var parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let path = parts.removeFirst()
        let target = try resolve(path, from: file, line: line)
        guard !stack.contains(target.path) else {
            throw SiteError(file: file, line: line, "include cycle: '\(path)' includes itself")
        }
        guard depth < 8 else { throw SiteError(file: file, line: line, "includes nested more than 8 deep") }
        let text = try SourceFile.read(target, namedAt: (file, line), as: path)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        var first = 1
        switch parts.count {
        case 0:
            break
        case 1 where !parts[0].isEmpty && Int(parts[0]) == nil:
            (lines, first) = try anchored(lines, name: parts[0], path: path, file: file, line: line)
        case 1, 2:
            let start = parts[0].isEmpty ? 1 : Int(parts[0])
            let end = parts.count == 1 ? start : (parts[1].isEmpty ? lines.count : Int(parts[1]))
            guard let start, let end, start >= 1, end >= start else {
                throw SiteError(file: file, line: line, "bad line range in '{{#include \(spec)}}' (use FILE:START:END, 1-based)")
            }
            guard start <= lines.count, end <= lines.count else {
                throw SiteError(file: file, line: line, "lines \(start)-\(end) of '\(path)' do not exist (it has \(lines.count) lines)")
            }
            lines = Array(lines[(start - 1)..<end])
            first = start
        default:
            throw SiteError(file: file, line: line, "bad include '\(spec)' (use FILE, FILE:START:END or FILE:ANCHOR)")
        }
        lines = lines.filter { !Self.isAnchorMarker($0) }
        var result = lines.joined(separator: "\n")
        if target.pathExtension == "md", Self.mentionsInclude(result) {
            var out: [Substring] = []
            var segments: [SourceMap.Segment] = []
            try expand(
                result, file: target, firstLine: first, depth: depth + 1, stack: stack + [target.path], into: &out, segments: &segments)
            result = out.joined(separator: "\n")
        }
        return (result, target, first)
    }

    private static func isAnchorMarker(_ line: String) -> Bool {
        line.contains("ANCHOR:") || line.contains("ANCHOR_END:")
    }

    private func anchored(_ lines: [String], name: String, path: String, file: URL, line: Int) throws -> ([String], Int) {
        func marker(_ kind: String, _ text: String) -> Bool {
            guard let r = text.range(of: kind) else { return false }
            let after = text[r.upperBound...].trimmingCharacters(in: .whitespaces)
            return after == name || after.hasPrefix(name + " ") || after.hasPrefix(name + "*/") || after.hasPrefix(name + " -->")
        }
        guard let start = lines.firstIndex(where: { marker("ANCHOR:", $0) }) else {
            throw SiteError(
                file: file, line: line, "anchor '\(name)' not found in '\(path)' (mark it with ANCHOR: \(name) ... ANCHOR_END: \(name))")
        }
        guard let end = lines[(start + 1)...].firstIndex(where: { marker("ANCHOR_END:", $0) }) else {
            throw SiteError(file: file, line: line, "anchor '\(name)' in '\(path)' has no 'ANCHOR_END: \(name)'")
        }
        return (Array(lines[(start + 1)..<end]), start + 2)
    }

    /// Resolves a path written in `file` to a file inside the content folder.
    func resolve(_ path: String, from file: URL, line: Int) throws -> URL {
        switch folder.resolve(path, from: file.deletingLastPathComponent()) {
        case .success(let target): return target
        case .failure(.absolute): throw SiteError(file: file, line: line, "include path '\(path)' must be relative to this file")
        case .failure(.outside): throw SiteError(file: file, line: line, "include path '\(path)' leads outside the content folder")
        case .failure(.missing): throw SiteError(file: file, line: line, "included file '\(path)' not found")
        case .failure(.symlinkOutside):
            throw SiteError(file: file, line: line, "include path '\(path)' is a symlink that leads outside the content folder")
        }
    }
}
