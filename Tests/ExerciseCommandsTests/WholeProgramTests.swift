import Common
import Exercises
import Foundation
import Testing

@testable import ExerciseCommands

/// What the page's whole-program download says about running it: run's options for the exercise's
/// machine, and where each included file goes beside the file.
@Suite struct WholeProgramTests {
    static func spec(_ options: String, in root: URL) throws -> ExerciseSpec {
        let parsed = options.split(separator: " ").map { word -> ExerciseBlock.Option in
            let parts = word.split(separator: "=", maxSplits: 1).map(String.init)
            return .init(key: parts[0], value: parts.count > 1 ? parts[1] : "")
        }
        return try ExerciseSpec.parse(
            ExerciseBlock(
                language: "asm", options: parsed, body: "hlt\n",
                file: root.appendingPathComponent("01-intro/01-a.md"), line: 3, contentRoot: root))
    }

    @Test func runsOptionsAreTheMachinesThatDifferFromItsDefaults() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("hc-whole-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(StandaloneRun.options(for: try Self.spec("id=a", in: root)) == ["--mode", "real"])
        #expect(
            StandaloneRun.options(
                for: try Self.spec(
                    "id=a mode=long timeout=0.25 memory=8 output-limit=100 exit-limit=9 trace steps=3 expect=crash", in: root))
                == [
                    "--mode", "long", "--memory", "8", "--timeout", "0.25", "--output-limit", "100", "--exit-limit", "9", "--trace",
                    "--steps", "3"
                ])
        #expect(
            StandaloneRun.options(for: try Self.spec("id=a mode=long machine=pc cpus=2 dirty-log", in: root))
                == ["--mode", "long", "--machine", "pc", "--cpus", "2", "--dirty-log"])
        #expect(
            StandaloneRun.seconds(2_000_000_000) == "2" && StandaloneRun.seconds(1_000_000) == "0.001"
                && StandaloneRun.seconds(600_500_000_000) == "600.5")
    }

    @Test func includesGoWhereRunLooksAndStayInsideTheContentFolder() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("hc-whole-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        for path in ["01-intro/helpers.inc", "shared/serial.inc", "01-intro/01-a.md"] {
            try FileManager.default.createDirectory(
                at: root.appendingPathComponent(path).deletingLastPathComponent(), withIntermediateDirectories: true)
            try "; x\n".write(to: root.appendingPathComponent(path), atomically: true, encoding: .utf8)
        }
        try "; outside\n".write(
            to: root.deletingLastPathComponent().appendingPathComponent("\(root.lastPathComponent)-outside.inc"), atomically: true,
            encoding: .utf8)
        defer {
            try? FileManager.default.removeItem(
                at: root.deletingLastPathComponent().appendingPathComponent("\(root.lastPathComponent)-outside.inc"))
        }
        let spec = try Self.spec("id=a", in: root)
        // A record's list is checked: a path out of the folder, or a missing file, is left out.
        let placed = StandaloneRun.includesBeside(
            spec, includes: ["shared/serial.inc", "01-intro/helpers.inc", "../\(root.lastPathComponent)-outside.inc", "shared/missing.inc"])
        #expect(placed.map(\.contentPath) == ["01-intro/helpers.inc", "shared/serial.inc"])
        #expect(placed.map(\.besideProgram) == ["helpers.inc", "shared/serial.inc"])
    }
}
