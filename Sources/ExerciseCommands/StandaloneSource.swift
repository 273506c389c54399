import Common
import Exercises
import Foundation
import Hypervisor

/// `hypercourse run` with a `.asm` or `.c` file: built as a lesson's `src=` file is built (same tools,
/// flags and C runtime; includes from the file's folder, then the content folder, and only from
/// inside the content folder), so a guest copied out of a page runs here as it ran there.
extension StandaloneRun {
    /// The mode a flat image starts in when `--mode` is not given: a C guest's runtime is 64-bit.
    var defaultMode: GuestMode { GuestFile.language(of: URL(fileURLWithPath: file)) == .c ? .long : .real }

    /// The folder whose boundary includes keep: `--content`, else the file's own folder.
    var contentFolder: URL {
        content.map { URL(fileURLWithPath: $0) } ?? URL(fileURLWithPath: file).deletingLastPathComponent()
    }

    /// Where the compiled C runtime is kept between runs: `$XDG_CACHE_HOME/hypercourse`, else
    /// `~/.cache/hypercourse`, when it can be made; nil (compile it for this run) otherwise.
    static func userCache(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        let base: URL
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
            base = URL(fileURLWithPath: xdg)
        } else if let home = environment["HOME"], home.hasPrefix("/") {
            base = URL(fileURLWithPath: home).appendingPathComponent(".cache")
        } else {
            return nil
        }
        let folder = base.appendingPathComponent("hypercourse")
        guard (try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)) != nil,
            FileManager.default.isWritableFile(atPath: folder.path)
        else { return nil }
        return folder
    }

    func build(_ language: GuestLanguage, with builder: GuestFileBuilder, warnings: inout Outcome) -> Result<BuiltGuestFile, Failure> {
        if language == .c, let mode, mode == .real || mode == .protected {
            return .failure(
                Failure(
                    message: "\(file): error: --mode \(mode) does not apply to a C guest, which runs in long or "
                        + "user mode (the runtime is 64-bit)", code: RunSummary.codeBadInput))
        }
        if let content {
            var folder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: content, isDirectory: &folder), folder.boolValue else {
                return .failure(
                    Failure(
                        message: "\(content): error: --content must name a folder (the course's content folder)",
                        code: RunSummary.codeBadInput))
            }
        }
        if let missing = builder.missingTool(for: language) {
            return .failure(Failure(message: "\(file): error: \(missing)", code: RunSummary.codeNasmMissing))
        }
        let guest = GuestFile(file: URL(fileURLWithPath: file), language: language, mode: mode ?? defaultMode, contentRoot: contentFolder)
        do {
            let built = try builder.build(guest)
            for warning in built.warnings { warnings.err(warning + "\n") }
            guard !built.image.isEmpty else {
                return .failure(
                    Failure(
                        message:
                            "\(file): error: \(language == .asm ? "assembles" : "compiles") to nothing (0 bytes); the guest would run through zeroed memory",
                        code: RunSummary.codeBadInput))
            }
            return .success(built)
        } catch {
            return .failure(Failure(message: error.description, code: RunSummary.codeAssemblerError))
        }
    }
}
