#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Runs a tool (nasm, clang, ...) and collects what it printed. A non-zero exit is a normal result.
/// `posix_spawn` directly: a cold course build starts a hundred of these, from several threads.
struct Subprocess {
    struct Outcome {
        var status: Int32
        /// stdout and stderr, interleaved as the tool wrote them.
        var output: String
    }

    struct LaunchError: Error, CustomStringConvertible {
        var executable: String
        var errno: Int32
        var description: String { "cannot run \(executable): \(String(cString: strerror(errno)))" }
    }

    // GNU extensions Glibc's module does not import (they need _GNU_SOURCE); glibc has had both for
    // years (pipe2 2.9, addchdir_np 2.29), so they are looked up once by name.
    private typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    private static let pipe2: Pipe2 = unsafeBitCast(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "pipe2")!, to: Pipe2.self)
    private static let addChdir: AddChdir = unsafeBitCast(
        dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addchdir_np")!, to: AddChdir.self)

    static func run(_ executable: String, _ arguments: [String], in directory: URL? = nil) throws(LaunchError) -> Outcome {
        var pipe: [Int32] = [0, 0]
        guard Self.pipe2(&pipe, O_CLOEXEC) == 0 else { throw LaunchError(executable: executable, errno: Glibc.errno) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, pipe[1], 2)
        if let directory { _ = Self.addChdir(&actions, directory.path) }

        // The hypervisor's watchdog signal is blocked on some threads; a child must start with none blocked.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        close(pipe[1])
        guard spawned == 0 else {
            close(pipe[0])
            throw LaunchError(executable: executable, errno: spawned)
        }
        var collected: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(pipe[0], $0.baseAddress, $0.count) }
            if count > 0 {
                collected.append(contentsOf: chunk[0..<count])
            } else if count == 0 || Glibc.errno != EINTR {
                break
            }
        }
        close(pipe[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && Glibc.errno == EINTR {}
        // WIFEXITED / WEXITSTATUS, spelled out: the macros do not import.
        let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Outcome(status: code, output: String(decoding: collected, as: UTF8.self))
    }
}
