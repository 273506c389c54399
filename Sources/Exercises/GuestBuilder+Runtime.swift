import Foundation
import Hypervisor

/// The guest C runtime, compiled once per runtime and clang version and shared by every C guest.
extension GuestBuilder {
    /// The runtime built once per runtime and clang version: in the cache folder, else in scratch.
    func ensureRuntime(clang: String) -> Result<URL, ExerciseBuildError> {
        lock.lock()
        defer { lock.unlock() }
        if let runtime { return runtime }
        let version = versions.version(of: clang, arguments: ["--version"]) ?? clang
        let name = String(SHA256.hash("runtime-object 3\n" + GuestRuntime.hash + "\n" + version).prefix(24))
        let final = (cacheDirectory ?? scratch).appendingPathComponent("runtime/\(name)")
        let result: Result<URL, ExerciseBuildError>
        if (GuestRuntime.objects + GuestRuntime.libraryObjects).allSatisfy({ FileManager.default.fileExists(atPath: final.appendingPathComponent($0).path) }) {
            result = .success(final)
        } else {
            do {
                result = .success(try compileRuntime(clang: clang, into: final, name: name))
            } catch {
                result = .failure(error)
            }
        }
        runtime = result
        return result
    }

    private func compileRuntime(clang: String, into final: URL, name: String) throws(ExerciseBuildError) -> URL {
        let staging = final.deletingLastPathComponent().appendingPathComponent(".\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        do {
            try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
            for file in GuestRuntime.files {
                try Data(file.text.utf8).write(to: staging.appendingPathComponent(file.name))
            }
        } catch {
            throw ExerciseBuildError("cannot write the guest runtime to \(staging.path): \(error.localizedDescription)")
        }
        do {
            for source in GuestRuntime.files.map(\.name) where source.hasSuffix(".c") {
                try compileRuntimeFile(source, clang: clang, in: staging, final: final)
            }
        } catch {
            try? FileManager.default.removeItem(at: staging)
            throw error
        }
        // Another build may have won the race; either copy is the same.
        if rename(staging.path, final.path) != 0 { try? FileManager.default.removeItem(at: staging) }
        return final
    }

    private func compileRuntimeFile(_ source: String, clang: String, in staging: URL, final: URL) throws(ExerciseBuildError) {
        let outcome: Subprocess.Outcome
        do {
            // The debug info names the final folder, where the symbolizer will find the runtime.
            outcome = try Subprocess.run(clang, GuestRuntime.compileFlags + [
                "-fdebug-prefix-map=\(staging.path)=\(final.path)",
                "-I", staging.path, "-c", staging.appendingPathComponent(source).path,
                "-o", staging.appendingPathComponent(String(source.dropLast(2)) + ".o").path,
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
