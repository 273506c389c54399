import Foundation

struct ExerciseBuildError: Error, Sendable {
    var message: String
    init(_ message: String) { self.message = message }
}

/// `target: dep dep \` lines, as nasm -M and clang -MD write them.
enum MakeDependencies {
    static func parse(_ text: String) -> [String] {
        let joined = text.replacingOccurrences(of: "\\\n", with: " ")
        var paths: [String] = []
        for line in joined.split(separator: "\n") {
            guard let colon = line.range(of: ": ") ?? line.range(of: ":\t") else { continue }
            var current = ""
            var escaped = false
            for ch in line[colon.upperBound...] {
                if escaped {
                    current.append(ch)
                    escaped = false
                } else if ch == "\\" {
                    escaped = true
                } else if ch == " " || ch == "\t" {
                    if !current.isEmpty { paths.append(current) }
                    current = ""
                } else {
                    current.append(ch)
                }
            }
            if !current.isEmpty { paths.append(current) }
        }
        return paths
    }
}

/// `file:line:col: error: message` lines from clang.
struct ClangDiagnostic: Sendable, Hashable {
    var file: String
    var line: Int
    var severity: String
    var message: String

    /// The file named by "cannot open file 'X'", "'X' file not found" or "Could not find incbin file 'X'".
    var unopenedFile: String? {
        guard message.contains("cannot open file") || message.contains("file not found") || message.contains("incbin file"),
            let open = message.firstIndex(of: "'"), let close = message[message.index(after: open)...].firstIndex(of: "'")
        else { return nil }
        return String(message[message.index(after: open)..<close])
    }

    static func parse(_ text: String) -> [ClangDiagnostic] {
        text.split(separator: "\n").compactMap { raw -> ClangDiagnostic? in
            let line = String(raw)
            for severity in ["fatal error", "error", "warning", "note"] {
                guard let marker = line.range(of: ": \(severity): ") else { continue }
                let location = line[..<marker.lowerBound].split(separator: ":")
                guard location.count >= 3, let number = Int(location[location.count - 2]) else { continue }
                let file = location.dropLast(2).joined(separator: ":")
                return ClangDiagnostic(file: file, line: number, severity: severity, message: String(line[marker.upperBound...]))
            }
            return nil
        }
    }
}
