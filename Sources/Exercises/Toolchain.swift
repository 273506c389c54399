import Common
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The tools that build guests: nasm from PATH, and the Swift toolchain's own clang, ld.lld,
/// llvm-objcopy and llvm-objdump (never a distribution's LLVM, which a fresh machine does not have
/// and whose version would make keys differ between machines).
public struct Toolchain: Sendable {
    public var nasm: String?
    /// The folder holding the Swift toolchain's clang, ld.lld, llvm-objcopy, llvm-objdump and llvm-symbolizer.
    public var llvmBin: String?

    public var clang: String? { llvmBin.map { $0 + "/clang" } }
    public var lld: String? { llvmBin.map { $0 + "/ld.lld" } }
    public var objcopy: String? { llvmBin.map { $0 + "/llvm-objcopy" } }
    public var objdump: String? { llvmBin.map { $0 + "/llvm-objdump" } }
    public var symbolizer: String? { llvmBin.map { $0 + "/llvm-symbolizer" } }

    public init(nasm: String?, llvmBin: String?) {
        self.nasm = nasm
        self.llvmBin = llvmBin
    }

    static let llvmTools = ["clang", "ld.lld", "llvm-objcopy", "llvm-objdump", "llvm-symbolizer"]

    /// Finds the tools. `HYPERCOURSE_LLVM_BIN` names the LLVM folder explicitly; otherwise it is the
    /// folder of `swiftc` (or `swift`) on PATH, symlinks resolved, or else the toolchain whose Swift
    /// runtime this process runs on.
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) -> Toolchain {
        let path = environment["PATH"] ?? ""
        let nasm = try? Nasm.locate(searchPath: path).executable
        var candidates: [String] = []
        if let explicit = environment["HYPERCOURSE_LLVM_BIN"], !explicit.isEmpty { candidates.append(explicit) }
        for name in ["swiftc", "swift"] {
            for directory in path.split(separator: ":") where !directory.isEmpty {
                let candidate = String(directory) + "/" + name
                guard FileManager.default.isExecutableFile(atPath: candidate) else { continue }
                candidates.append(URL(fileURLWithPath: candidate).resolvingSymlinksInPath().deletingLastPathComponent().path)
                break
            }
        }
        if let runtime = swiftRuntimeBin() { candidates.append(runtime) }
        let llvm = candidates.first { directory in
            llvmTools.allSatisfy { FileManager.default.isExecutableFile(atPath: directory + "/" + $0) }
        }
        return Toolchain(nasm: nasm, llvmBin: llvm)
    }

    /// `<toolchain>/usr/bin` of the libswiftCore.so this process loaded, from /proc/self/maps.
    static func swiftRuntimeBin() -> String? {
        // procfs files report size 0, so read to the end rather than by size.
        guard let handle = FileHandle(forReadingAtPath: "/proc/self/maps") else { return nil }
        defer { try? handle.close() }
        let maps = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        for line in maps.split(separator: "\n") where line.hasSuffix("/libswiftCore.so") {
            guard let slash = line.firstIndex(of: "/") else { continue }
            // <prefix>/lib/swift/linux/libswiftCore.so → <prefix>/bin
            let library = URL(fileURLWithPath: String(line[slash...])).resolvingSymlinksInPath()
            return library.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("bin").path
        }
        return nil
    }

    public static let missingClangMessage =
        "the Swift toolchain's clang, ld.lld, llvm-objcopy, llvm-objdump and llvm-symbolizer were not found next to swiftc on PATH; "
        + "put the Swift 6 toolchain's usr/bin on PATH (or set HYPERCOURSE_LLVM_BIN)"
}

/// Tool versions, which are part of every key. Asking a tool costs a process start, so answers are
/// kept in the cache folder per binary path, size and modification time: a warm build spawns nothing.
final class ToolVersions: @unchecked Sendable {
    // unchecked Sendable: `known` and `dirty`, the only mutable fields, are used only under `lock`.
    private let file: URL?
    private let lock = NSLock()
    private var known: [String: String]
    private var dirty = false

    init(cacheDirectory: URL?) {
        file = cacheDirectory?.appendingPathComponent("tool-versions.json")
        if let file, let data = try? Data(contentsOf: file), let decoded = try? JSONDecoder().decode([String: String].self, from: data) {
            known = decoded
        } else {
            known = [:]
        }
    }

    /// The first line of `executable arguments` (e.g. `nasm -v`, `clang --version`), or nil if it
    /// cannot be run.
    func version(of executable: String, arguments: [String]) -> String? {
        var info = stat()
        guard stat(executable, &info) == 0 else { return nil }
        let identity = "\(executable)|\(info.st_size)|\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)|\(arguments.joined(separator: " "))"
        if let cached = lock.withLock({ known[identity] }) { return cached }
        guard let outcome = try? Subprocess.run(executable, arguments), outcome.status == 0 else { return nil }
        let first = outcome.output.split(separator: "\n").first.map(String.init) ?? ""
        lock.withLock {
            known[identity] = first
            dirty = true
        }
        return first
    }

    func save() {
        lock.lock()
        defer { lock.unlock() }
        guard dirty, let file else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        if let data = try? encoder.encode(known) { try? AtomicFile.write(data, to: file) }
        dirty = false
    }
}
