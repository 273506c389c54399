import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a built vmm program once, confined (see `VMMSupport.launcher` and docs/exercises.md, "vmm
/// exercises"): `/dev/kvm` is opened here and handed over, the program's own folder and the guest's
/// image are all it can open, and stdout and stderr, interleaved as written, are its output.
public struct VMMRunner: Sendable {
    public struct Limits: Sendable, Hashable {
        public var timeout: Duration
        /// RLIMIT_AS: the program's whole address space, guest RAM included.
        public var memoryBytes: UInt64
        /// Output beyond this ends the run as `output-limit`.
        public var outputLimit: Int
        /// RLIMIT_NPROC, counted for the run's own user (see the launcher), so runs never share the count.
        public var processes: Int

        public init(timeout: Duration, memoryBytes: UInt64, outputLimit: Int, processes: Int = 16) {
            self.timeout = timeout
            self.memoryBytes = memoryBytes
            self.outputLimit = outputLimit
            self.processes = processes
        }
    }

    public struct Outcome: Sendable {
        public var end: RecordedEnd
        public var output: [UInt8]
        /// Steps of confinement skipped because the instructor allowed unconfined runs.
        public var warnings: [String]
        public var elapsed: Duration
    }

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
        init(_ message: String) { self.message = message }
    }

    /// The compiled launcher.
    let launcher: URL
    let kvmDevice: String
    /// Refuse to run unless every step of confinement works; false only when the instructor opted in.
    let requireConfinement: Bool

    /// Why vmm programs cannot be confined on this machine, or nil when they can (as far as this
    /// process can tell without starting one: the launcher checks the rest).
    public static var confinementUnavailable: String? {
        Landlock.unavailableReason.map { "Landlock is unavailable: \($0)" }
    }

    public func run(program: URL, guestImage: URL?, limits: Limits) throws(Failure) -> Outcome {
        var opened: [Int32] = []
        defer { for descriptor in opened { Glibc.close(descriptor) } }
        func keep(_ descriptor: Int32) -> Int32 {
            opened.append(descriptor)
            return descriptor
        }
        let kvm = open(kvmDevice, O_RDWR | O_CLOEXEC)
        guard kvm >= 0 else { throw Failure("cannot open \(kvmDevice): \(String(cString: strerror(errno)))") }
        _ = keep(kvm)
        guard let output = Subprocess.makePipe(), let report = Subprocess.makePipe() else {
            throw Failure("cannot make a pipe: \(String(cString: strerror(errno)))")
        }
        [output.read, output.write, report.read, report.write].forEach { _ = keep($0) }
        var handed = [
            (source: keep(Self.above(kvm)), target: VMMSupport.kvmDescriptor),
            (source: keep(Self.above(report.write)), target: VMMSupport.reportDescriptor)
        ]
        if let ruleset = try ruleset(program: program, guestImage: guestImage) {
            handed.append((source: keep(Self.above(ruleset)), target: VMMSupport.rulesetDescriptor))
            Glibc.close(ruleset)
        }
        let cpuSeconds = limits.timeout.components.seconds + 2
        // The program and the image are passed by name in their folder (see the launcher).
        let folder = program.deletingLastPathComponent()
        guard guestImage.map({ $0.deletingLastPathComponent().standardizedFileURL == folder.standardizedFileURL }) ?? true else {
            throw Failure("the guest's image must be in the program's folder")
        }
        let arguments =
            [
                "\(cpuSeconds)", "\(limits.memoryBytes)", "\(limits.processes)", requireConfinement ? "1" : "0", folder.path,
                program.lastPathComponent
            ] + (guestImage.map { [$0.lastPathComponent] } ?? [])
        let started = ContinuousClock.now
        let pid: pid_t
        switch Subprocess.spawn(
            launcher.path, arguments, output: output.write, descriptors: handed,
            close: handed.contains { $0.target == VMMSupport.rulesetDescriptor } ? [] : [VMMSupport.rulesetDescriptor],
            newProcessGroup: true)
        {
        case .success(let child): pid = child
        case .failure(let error): throw Failure(error.description)
        }
        // Only the child holds the write ends now, so reading ends when it (and all it started) is gone.
        for descriptor in [output.write, report.write] + handed.map(\.source) {
            Glibc.close(descriptor)
            opened.removeAll { $0 == descriptor }
        }
        let collected = Self.collect(output.read, pid: pid, deadline: started + limits.timeout, limit: limits.outputLimit)
        let status = Subprocess.reap(pid, until: started + limits.timeout + .seconds(1))
        if status.timedOut { kill(-pid, SIGKILL) }
        let elapsed = ContinuousClock.now - started
        let lines = String(decoding: Self.readAll(report.read), as: UTF8.self).split(separator: "\n").map(String.init)
        let warnings = lines.filter { $0.hasPrefix("warning: ") }
        let end = try Self.end(
            overLimit: collected.overLimit, timedOut: collected.timedOut || status.timedOut,
            status: status.code, report: lines)
        return Outcome(end: end, output: collected.bytes, warnings: warnings, elapsed: elapsed)
    }

    /// How the program ended: a limit the runner enforced, or the launcher's last report line; a launcher
    /// that could not confine the program, or said nothing, is a failure of the build, not a result.
    private static func end(overLimit: Bool, timedOut: Bool, status: Int32, report lines: [String]) throws(Failure) -> RecordedEnd {
        if overLimit { return .outputLimit }
        if timedOut { return .timeout }
        if let last = lines.last, let parsed = RecordedEnd(text: last), parsed.kind == .exited || parsed.kind == .signal {
            return parsed
        }
        if status == VMMSupport.cannotConfineStatus {
            let reason = lines.filter { !$0.hasPrefix("warning: ") }.joined(separator: "; ")
            throw Failure("cannot confine the vmm: \(reason.isEmpty ? "unknown reason" : reason)")
        }
        throw Failure("the vmm launcher ended without saying how the program ended (status \(status))")
    }

    /// The Landlock ruleset for a run, or nil when the kernel has none and confinement is optional.
    private func ruleset(program: URL, guestImage: URL?) throws(Failure) -> Int32? {
        let confinement = Confinement(
            readable: [program.deletingLastPathComponent().path] + (guestImage.map { [$0.path] } ?? []),
            writable: [], devices: [kvmDevice], nullDevice: false)
        do {
            return try Landlock.makeRuleset(confinement, denyNetwork: true)
        } catch {
            if requireConfinement {
                throw Failure("vmm exercises run only confined, and Landlock is unavailable: \(error)\(Self.optInHint)")
            }
            return nil
        }
    }

    static let optInHint = "; to run them unconfined anyway (only for a course you trust), pass --allow-unconfined-vmm"

    /// The output, read until every writer is gone, the deadline passes (then the whole process
    /// group is killed), or it exceeds `limit` (killed too; kept up to the limit).
    private static func collect(
        _ pipe: Int32, pid: pid_t, deadline: ContinuousClock.Instant, limit: Int
    ) -> (bytes: [UInt8], timedOut: Bool, overLimit: Bool) {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero else {
                kill(-pid, SIGKILL)
                return (bytes, true, false)
            }
            var poller = pollfd(fd: pipe, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(clamping: Subprocess.milliseconds(left)))
            if ready < 0 && errno == EINTR { continue }
            if ready <= 0 { continue }
            let count = chunk.withUnsafeMutableBytes { read(pipe, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return (bytes, false, false) }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > limit {
                kill(-pid, SIGKILL)
                return (Array(bytes.prefix(limit)), false, true)
            }
        }
    }

    /// Everything left in a pipe whose writers are gone.
    private static func readAll(_ pipe: Int32) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(pipe, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<count])
        }
    }

    /// A close-on-exec copy of `descriptor` numbered 10 or above, so handing descriptors over to 3, 4
    /// and 5 never overwrites one not yet handed over.
    private static func above(_ descriptor: Int32) -> Int32 { fcntl(descriptor, F_DUPFD_CLOEXEC, 10) }
}
