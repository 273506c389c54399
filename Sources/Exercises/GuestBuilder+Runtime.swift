import Common
import Foundation
import Hypervisor

/// Support compiled once per its sources and clang's version and shared by every exercise: the
/// guest C runtime, and the vmm header and launcher. Kept under `folder/<hash>` in the cache
/// folder, else in scratch.
struct SharedSupport {
    /// The cache subfolder, and what its version is named by besides clang's (a recipe number and
    /// the sources' hash).
    let folder: String
    let recipe: String
    /// What is written into the folder before compiling, and what a whole copy holds.
    let files: [(name: String, text: String)]
    let products: [String]
    /// What it is, for an error message ("the guest runtime").
    let what: String

    static let runtime = SharedSupport(
        folder: "runtime", recipe: "runtime-object 3\n" + GuestRuntime.hash, files: GuestRuntime.files,
        products: GuestRuntime.objects + GuestRuntime.libraryObjects, what: "the guest runtime")
    static let vmm = SharedSupport(
        folder: "vmm", recipe: "vmm-support 1\n" + VMMSupport.hash, files: VMMSupport.files,
        products: [VMMSupport.launcherName], what: "the vmm support files")
}

extension GuestBuilder {
    /// The runtime built once per runtime and clang version.
    func ensureRuntime(clang: String) -> Result<URL, ExerciseBuildError> {
        ensure(.runtime, clang: clang, memo: \.runtime) { staging, final throws(ExerciseBuildError) in
            for source in GuestRuntime.files.map(\.name) where source.hasSuffix(".c") {
                try compileRuntimeFile(source, clang: clang, in: staging, final: final)
            }
        }
    }

    /// `support`'s folder, found whole or built now (once per builder: the result, failure too, is
    /// kept in `memo`). `compile` builds the products in the staging folder, which is then renamed
    /// into place; a concurrent build may win the race, and either copy is the same.
    func ensure(
        _ support: SharedSupport, clang: String, memo: ReferenceWritableKeyPath<GuestBuilder, Result<URL, ExerciseBuildError>?>,
        compile: (_ staging: URL, _ final: URL) throws(ExerciseBuildError) -> Void
    ) -> Result<URL, ExerciseBuildError> {
        lock.lock()
        defer { lock.unlock() }
        if let built = self[keyPath: memo] { return built }
        let version = versions.version(of: clang, arguments: ["--version"]) ?? clang
        let name = String(SHA256.hash(support.recipe + "\n" + version).prefix(24))
        let final = (cacheDirectory ?? scratch).appendingPathComponent("\(support.folder)/\(name)")
        let result: Result<URL, ExerciseBuildError>
        if support.products.allSatisfy({ FileManager.default.fileExists(atPath: final.appendingPathComponent($0).path) }) {
            result = .success(final)
        } else {
            result = Result { () throws(ExerciseBuildError) -> URL in
                let staging = final.deletingLastPathComponent().appendingPathComponent(
                    ".\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
                do throws(ExerciseBuildError) {
                    try stage(support, in: staging)
                    try compile(staging, final)
                } catch {
                    try? FileManager.default.removeItem(at: staging)
                    throw error
                }
                if rename(staging.path, final.path) != 0 { try? FileManager.default.removeItem(at: staging) }
                return final
            }
        }
        self[keyPath: memo] = result
        return result
    }

    private func stage(_ support: SharedSupport, in staging: URL) throws(ExerciseBuildError) {
        do {
            try ScratchFolders.makeDirectory(staging, permissions: 0o755)
            for file in support.files { try Data(file.text.utf8).write(to: staging.appendingPathComponent(file.name)) }
        } catch {
            throw ExerciseBuildError("cannot write \(support.what) to \(staging.path): \(error.localizedDescription)")
        }
    }

    private func compileRuntimeFile(_ source: String, clang: String, in staging: URL, final: URL) throws(ExerciseBuildError) {
        let outcome: Subprocess.Outcome
        do {
            // The debug info names the final folder, where the symbolizer will find the runtime.
            outcome = try Subprocess.run(
                clang,
                GuestRuntime.compileFlags + [
                    "-fdebug-prefix-map=\(staging.path)=\(final.path)",
                    "-I", staging.path, "-c", staging.appendingPathComponent(source).path,
                    "-o", staging.appendingPathComponent(String(source.dropLast(2)) + ".o").path
                ], limits: Subprocess.Limits(timeout: toolTimeout),
                confinement: confine ? Confinement(readable: toolReadable(clang), writable: [staging.path]) : nil)
        } catch {
            throw ExerciseBuildError(error.description)
        }
        guard outcome.status == 0 else {
            throw ExerciseBuildError("the guest runtime's \(source) does not compile with \(clang): \(outcome.output)")
        }
    }
}
