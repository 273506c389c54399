import Foundation

/// Runs a tool the editions need (Chromium, poppler's pdfinfo) through `env`, so a name on PATH or a
/// path both work, and keeps the one stream the caller reads; the other goes to /dev/null, so neither
/// pipe can fill up and stall the tool.
enum EditionTool {
    enum Kept { case standardOutput, standardError }

    struct Outcome {
        var status: Int32
        var text: String
    }

    /// Throws only when the tool cannot be started; a non-zero exit is an outcome.
    static func run(_ arguments: [String], keeping kept: Kept) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = kept == .standardOutput ? pipe : FileHandle.nullDevice
        process.standardError = kept == .standardError ? pipe : FileHandle.nullDevice
        try process.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, text: text)
    }
}
