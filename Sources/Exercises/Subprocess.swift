import Common
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a tool (nasm, clang, ...) and collects what it printed. A non-zero exit is a normal result.
/// `posix_spawn` directly: a cold course build starts a hundred of these, from several threads.
///
/// Why not swiftlang/swift-subprocess (1.0.2, weighed against this file): its deadline, combined
/// output and fixed environment would fit, and RLIMIT_FSIZE could still be set with `prlimit` on its
/// process identifier, but Landlock cannot be expressed through it. `landlock_restrict_self` binds
/// the calling thread and its future children for good, and rules only ever narrow, so each spawn
/// must happen on a thread made for it (`SpawnThread`) with that exercise's own rules.
/// swift-subprocess runs no code of ours in the child before `exec`, and makes every spawn on one
/// shared worker thread of its own: confining that thread once would hold every later tool to the
/// first exercise's folders. Its tools version (6.2) would also raise the toolchain this package
/// needs above Swift 6.0, and the engine's worker threads would block on an `async` call per tool.
///
/// Guest sources are untrusted input to these tools, so every run has limits: a deadline after which
/// the tool is killed (a runaway `%rep`), a largest file it may write (`times 1<<30 db 0`), a cap on
/// what it prints, and, when `confinement` is given and the kernel has Landlock, a file system it can
/// only partly see (see `Landlock`). Tools do not outlive this process: each gets a CPU-time limit
/// (RLIMIT_CPU, just past its deadline) and, through util-linux's `setpriv --pdeathsig`, is killed
/// when the thread that started it ends, however this process dies (even by SIGKILL).
struct Subprocess {
    struct Limits: Sendable, Hashable {
        /// Wall clock for one run of the tool; then it is killed.
        var timeout: Duration
        /// RLIMIT_FSIZE for the tool: a larger write kills it with SIGXFSZ. Nil: no limit.
        var maxFileBytes: UInt64?
        /// Output kept beyond this is dropped (and said so).
        var maxOutputBytes: Int

        init(timeout: Duration = Self.defaultTimeout, maxFileBytes: UInt64? = nil, maxOutputBytes: Int = 1 << 20) {
            self.timeout = timeout
            self.maxFileBytes = maxFileBytes
            self.maxOutputBytes = maxOutputBytes
        }

        static let defaultTimeout = Duration.seconds(30)

        /// RLIMIT_CPU: a second past the deadline, for a tool whose waiting parent is gone.
        var cpuSeconds: Int { Int(timeout.components.seconds) + 2 }
    }

    /// util-linux's setpriv (Debian's essential util-linux has it), which sets the parent-death
    /// signal and then runs the tool; nil where it is missing, and then tools may outlive a killed build.
    static let deathSignal: String? = ["/usr/bin/setpriv", "/bin/setpriv"].first { FileManager.default.isExecutableFile(atPath: $0) }

    struct Outcome {
        var status: Int32
        /// stdout and stderr, interleaved as the tool wrote them.
        var output: String
        /// Killed at the deadline.
        var timedOut = false
        /// Killed for writing a file over `maxFileBytes` (SIGXFSZ).
        var fileTooLarge = false
    }

    struct LaunchError: Error, CustomStringConvertible {
        var executable: String
        var errno: Int32
        var detail: String?
        var description: String {
            "cannot run \(executable): \(detail ?? String(cString: strerror(errno)))"
        }
    }

    // GNU extensions Glibc's module does not import (they need _GNU_SOURCE); glibc has had them for
    // years (pipe2 2.9, prlimit 2.13, addchdir_np 2.29), so they are looked up once by name. A C
    // library without one fails each run with a message naming it, instead of crashing at launch.
    private typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    private typealias Prlimit = @convention(c) (pid_t, Int32, UnsafePointer<rlimit>?, UnsafeMutablePointer<rlimit>?) -> Int32
    private static let pipe2 = CSymbol.lookup("pipe2", as: Pipe2.self)
    private static let addChdir = CSymbol.lookup("posix_spawn_file_actions_addchdir_np", as: AddChdir.self)
    private static let prlimit = CSymbol.lookup("prlimit", as: Prlimit.self)

    /// A pipe whose ends close on exec, or nil (errno says why).
    static func makePipe() -> (read: Int32, write: Int32)? {
        var ends: [Int32] = [0, 0]
        guard let pipe2, pipe2(&ends, O_CLOEXEC) == 0 else { return nil }
        return (ends[0], ends[1])
    }

    /// The missing C library function among those this needs, or nil.
    static var missingSymbol: String? {
        [("pipe2", pipe2 == nil), ("posix_spawn_file_actions_addchdir_np", addChdir == nil), ("prlimit", prlimit == nil)]
            .first { $0.1 }?.0
    }

    static func run(
        _ executable: String, _ arguments: [String], in directory: URL? = nil, limits: Limits = Limits(),
        confinement: Confinement? = nil
    ) throws(LaunchError) -> Outcome {
        guard let pipe2 = Self.pipe2, let prlimit = Self.prlimit, Self.addChdir != nil else {
            throw LaunchError(
                executable: executable, errno: ENOSYS,
                detail: "this C library has no \(Self.missingSymbol ?? "?")() (glibc 2.29 or later is needed)")
        }
        let deadline = ContinuousClock.now + limits.timeout
        var pipe: [Int32] = [0, 0]
        guard pipe2(&pipe, O_CLOEXEC) == 0 else { throw LaunchError(executable: executable, errno: Glibc.errno) }
        let (spawned, spawner) = Self.spawnConfined(executable, arguments, in: directory, output: pipe[1], confinement: confinement)
        // The tool's parent-death signal follows the thread that started it: that thread ends only
        // once the tool is reaped.
        defer { spawner?.end() }
        close(pipe[1])
        let pid: pid_t
        switch spawned {
        case .success(let child): pid = child
        case .failure(let error):
            close(pipe[0])
            throw error
        }
        // Right after the exec: the tools this runs read all their input before they write, and
        // none starts children first. (posix_spawn has no rlimit attribute, and a limit on this
        // process would bind its other threads too.)
        if let bytes = limits.maxFileBytes {
            var limit = rlimit(rlim_cur: rlim_t(bytes), rlim_max: rlim_t(bytes))
            _ = prlimit(pid, Int32(RLIMIT_FSIZE.rawValue), &limit, nil)
        }
        var cpu = rlimit(rlim_cur: rlim_t(limits.cpuSeconds), rlim_max: rlim_t(limits.cpuSeconds + 1))
        _ = prlimit(pid, Int32(RLIMIT_CPU.rawValue), &cpu, nil)

        let (collected, dropped, timedOut) = Self.collect(from: pipe[0], of: pid, until: deadline, keeping: limits.maxOutputBytes)
        close(pipe[0])
        let status = timedOut ? Self.reap(pid) : Self.reap(pid, until: deadline)
        var outcome = Outcome(status: status.code, output: String(decoding: collected, as: UTF8.self))
        if dropped > 0 { outcome.output += "\n[\(dropped) more bytes of output dropped]" }
        outcome.timedOut = timedOut || status.timedOut || status.code == 128 + SIGXCPU
        outcome.fileTooLarge = status.code == 128 + SIGXFSZ
        return outcome
    }

    /// Starts the tool with its output on `output`: under `confinement` when given and the kernel
    /// has Landlock, else as it is. A confined tool is started by a thread made for it, returned
    /// so the caller ends it after reaping the tool.
    private static func spawnConfined(
        _ executable: String, _ arguments: [String], in directory: URL?, output: Int32,
        confinement: Confinement?
    ) -> (Result<pid_t, LaunchError>, SpawnThread?) {
        guard var confinement, Landlock.isAvailable else {
            return (Self.spawn(executable, arguments, in: directory, output: output), nil)
        }
        // Landlock confines the calling thread and what it starts from then on, for good: so a
        // thread made for this one spawn takes it on, and lives until the tool is reaped.
        if let deathSignal = Self.deathSignal { confinement.readable.append(deathSignal) }
        let frozen = confinement
        let spawner = SpawnThread { () -> Result<pid_t, LaunchError> in
            do throws(LandlockError) {
                try Landlock.restrictThisThread(frozen)
            } catch {
                return .failure(
                    LaunchError(
                        executable: executable, errno: error.errno,
                        detail: "\(error); HYPERCOURSE_UNCONFINED=1 runs the tools without Landlock"))
            }
            return Self.spawn(executable, arguments, in: directory, output: output)
        }
        let result =
            spawner.result ?? .failure(LaunchError(executable: executable, errno: EAGAIN, detail: "cannot start a thread to confine it"))
        return (result, spawner)
    }

    /// Reads the tool's output until it closes it or `deadline` passes (then kills it), keeping at
    /// most `maxBytes`; returns what was kept, how many bytes were dropped, and whether it was killed.
    private static func collect(
        from reader: Int32, of pid: pid_t, until deadline: ContinuousClock.Instant,
        keeping maxBytes: Int
    ) -> (bytes: [UInt8], dropped: Int, timedOut: Bool) {
        var collected: [UInt8] = []
        var dropped = 0
        var timedOut = false
        var chunk = [UInt8](repeating: 0, count: 16384)
        reading: while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero else {
                kill(pid, SIGKILL)
                timedOut = true
                break
            }
            var poller = pollfd(fd: reader, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(clamping: Self.milliseconds(left)))
            if ready < 0 {
                if Glibc.errno == EINTR { continue }
                break
            }
            if ready == 0 { continue }
            let count = chunk.withUnsafeMutableBytes { read(reader, $0.baseAddress, $0.count) }
            if count > 0 {
                let room = max(0, maxBytes - collected.count)
                collected.append(contentsOf: chunk[0..<min(count, room)])
                dropped += count - min(count, room)
            } else if count == 0 || Glibc.errno != EINTR {
                break reading
            }
        }
        return (collected, dropped, timedOut)
    }

    /// Starts `executable` with stdin from /dev/null and stdout and stderr on `output`.
    /// `descriptors` are also handed over, each `source` (which must not be one of the targets) at
    /// its `target`, and `close` closed; `newProcessGroup` makes the child lead a group of its own.
    static func spawn(
        _ executable: String, _ arguments: [String], in directory: URL? = nil, output: Int32,
        descriptors: [(source: Int32, target: Int32)] = [], close: [Int32] = [],
        newProcessGroup: Bool = false
    ) -> Result<pid_t, LaunchError> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        posix_spawn_file_actions_adddup2(&actions, output, 2)
        for (source, target) in descriptors { posix_spawn_file_actions_adddup2(&actions, source, target) }
        for descriptor in close { posix_spawn_file_actions_addclose(&actions, descriptor) }
        if let directory, let addChdir = Self.addChdir { _ = addChdir(&actions, directory.path) }

        // The hypervisor's watchdog signal is blocked on some threads; a child must start with none blocked.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        // Ignored signals stay ignored across exec: this process may ignore SIGPIPE (Foundation
        // does), and an ignored SIGXFSZ would turn the file-size limit into a write error.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        sigaddset(&defaults, SIGXFSZ)
        sigaddset(&defaults, SIGXCPU)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        if newProcessGroup {
            posix_spawnattr_setpgroup(&attributes, 0)
            flags |= POSIX_SPAWN_SETPGROUP
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        // Through setpriv a missing tool would be setpriv's error: said here as the tool's own.
        guard access(executable, X_OK) == 0 else { return .failure(LaunchError(executable: executable, errno: Glibc.errno)) }
        let command = Self.deathSignal.map { [$0, "--pdeathsig", "KILL", "--", executable] } ?? [executable]
        let argv = (command + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, command[0], &actions, &attributes, argv, envp)
        guard spawned == 0 else { return .failure(LaunchError(executable: executable, errno: spawned)) }
        return .success(pid)
    }

    /// The tools' whole environment. Not this process's: nasm reads any variable a source names
    /// (`db %!HOME`), and clang takes include folders from CPATH and C_INCLUDE_PATH; a fixed
    /// environment also keeps messages in one language and builds the same on every machine.
    /// SOURCE_DATE_EPOCH=0 makes clang's `__DATE__`, `__TIME__` and `__TIMESTAMP__` the Unix epoch
    /// instead of the build's time (nasm's date macros are fixed on its command line).
    static let environment: [String] = {
        var variables = ["PATH=/usr/bin:/bin", "LC_ALL=C", "SOURCE_DATE_EPOCH=0"]
        if let temporary = ProcessInfo.processInfo.environment["TMPDIR"], !temporary.isEmpty { variables.append("TMPDIR=\(temporary)") }
        return variables
    }()

    /// Waits for the child; past `deadline` (a tool that closed its output and went on), kills it.
    static func reap(_ pid: pid_t, until deadline: ContinuousClock.Instant? = nil) -> (code: Int32, timedOut: Bool) {
        var status: Int32 = 0
        var timedOut = false
        while true {
            let done = waitpid(pid, &status, deadline == nil || timedOut ? 0 : WNOHANG)
            if done == pid { break }
            if done < 0 {
                if Glibc.errno == EINTR { continue }
                return (-1, timedOut)
            }
            if let deadline, ContinuousClock.now >= deadline {
                kill(pid, SIGKILL)
                timedOut = true
            } else {
                usleep(200)
            }
        }
        // WIFEXITED / WEXITSTATUS, spelled out: the macros do not import.
        return ((status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f), timedOut)
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1
    }
}

/// A thread made for one spawn: it runs `body` (which may confine it for good), hands over the
/// result, and stays alive until `end()`, so the tool's parent-death signal does not fire early.
/// @unchecked Sendable: `outcome` is written by the thread before `spawned` is signalled and read
/// only after the wait; `started` only by the owning caller.
private final class SpawnThread: @unchecked Sendable {
    private let body: () -> Result<pid_t, Subprocess.LaunchError>
    private var outcome: Result<pid_t, Subprocess.LaunchError>?
    private let spawned = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
    private var thread = pthread_t()
    private var started = false

    init(_ body: @escaping () -> Result<pid_t, Subprocess.LaunchError>) {
        self.body = body
        let context = Unmanaged.passRetained(self).toOpaque()
        started =
            pthread_create(
                &thread, nil,
                { context in
                    let box = Unmanaged<SpawnThread>.fromOpaque(context!).takeRetainedValue()
                    box.outcome = box.body()
                    box.spawned.signal()
                    box.release.wait()
                    return nil
                }, context) == 0
        if started { spawned.wait() } else { Unmanaged<SpawnThread>.fromOpaque(context).release() }
    }

    /// The spawn's result; nil when no thread could be made.
    var result: Result<pid_t, Subprocess.LaunchError>? { started ? outcome : nil }

    /// Lets the thread end (after the tool is reaped) and waits for it.
    func end() {
        guard started else { return }
        started = false
        release.signal()
        pthread_join(thread, nil)
    }
}
