import Exercises
import Hypervisor

/// The one stderr line and the exit code of `hypercourse run`. Lives here, not in the CLI, so it is
/// tested; the codes are documented in `hypercourse run --help` and docs/guest-machine.md.
public enum RunSummary {
    /// E.g. `halt · 14 exits (io-out 13, hlt 1) · 0.42 ms`, or with repeats
    /// `exit 3 · 2 exits (io-out 1, …) · median 0.42 ms over 100 runs`. A crash names the exit that
    /// ended it apart from the counts, which leave that exit out as the exercise card does (which exit
    /// a host reports for the same crash differs): `crash (shutdown) · 18 exits (io-out 18) · 0.42 ms ·
    /// KVM_EXIT_SHUTDOWN: …`. `--json` keeps every exit in `exitCounts` (docs/guest-machine.md).
    /// With `map` (the guest was built from a source file), a crash also says where its RIP is in the
    /// source: `… at rip 0x10001d, line 3 (ud2), bytes …`.
    public static func line(for result: RunResult, elapsedMicros: [Double], map: AddressMap = .empty, mode: GuestMode = .real) -> String {
        var end = result.end.description
        if let crash = result.end.crash { end += " (\(crash.kind))" }
        let counts = countsShown(result)
        let total = counts.reduce(0) { $0 + $1.count }
        let exits =
            "\(total) exit\(total == 1 ? "" : "s")"
            + (total > 0 ? " (" + counts.map { "\($0.kind) \($0.count)" }.joined(separator: ", ") + ")" : "")
        let time: String
        if elapsedMicros.count > 1 {
            time = "median \(milliseconds(RunReport.percentile(elapsedMicros, 0.5))) over \(elapsedMicros.count) runs"
        } else {
            time = milliseconds(elapsedMicros.first ?? 0)
        }
        let detail = result.end.crash.map { " · " + $0.description(place: crashPlace($0, map: map, mode: mode)) } ?? ""
        return "\(end) · \(exits) · \(time)\(detail)"
    }

    /// `line 3 (ud2)`, `in shared/serial.inc:4 (out dx, al)`, or nil when the map does not know RIP.
    static func crashPlace(_ crash: CrashDetail, map: AddressMap, mode: GuestMode) -> String? {
        guard let rip = crash.rip, let csBase = crash.csBase,
            let location = map.location(atOffset: ResultRecorder.offset(csBase, rip, mode))
        else { return nil }
        let place = location.builtLine.map { "line \($0)" } ?? location.elsewhere.map { "in \($0)" } ?? "at an unknown place"
        return "\(place) (\(location.instruction))"
    }

    /// The exit counts as the card shows them: for a crash, without the exit that ended the run.
    static func countsShown(_ result: RunResult) -> [(kind: ExitKind, count: Int)] {
        result.exitCounts.nonZero.filter { ResultRecorder.countsTowardTheRecord($0.kind, end: result.end) }
    }

    static func milliseconds(_ micros: Double) -> String {
        let ms = micros / 1000
        let hundredths = Int((ms * 100).rounded())
        let fraction = String(hundredths % 100)
        return "\(hundredths / 100).\(fraction.count == 1 ? "0" + fraction : fraction) ms"
    }

    // MARK: exit codes

    public static let codeSuccess: Int32 = 0
    public static let codeGuestExitNonZero: Int32 = 1
    public static let codeCrash: Int32 = 2
    public static let codeTimeout: Int32 = 3
    public static let codeOutputLimit: Int32 = 4
    public static let codeExitLimit: Int32 = 5
    public static let codeAssemblerError: Int32 = 10
    public static let codeNasmMissing: Int32 = 11
    public static let codeBadInput: Int32 = 12
    public static let codeKVMMissing: Int32 = 20
    public static let codeKVMPermission: Int32 = 21
    public static let codeKVMVersion: Int32 = 22
    public static let codeKVMOther: Int32 = 23
    public static let codeNotSupportedOnHost: Int32 = 24

    /// 0 for `halt` and `exit 0`; a distinct code for every other end.
    public static func exitCode(for end: EndReason) -> Int32 {
        switch end {
        case .halt: codeSuccess
        case .exited(let status): status == 0 ? codeSuccess : codeGuestExitNonZero
        case .crash: codeCrash
        case .timeout: codeTimeout
        case .outputLimit: codeOutputLimit
        case .exitLimit: codeExitLimit
        }
    }

    public static func exitCode(for error: KVMError) -> Int32 {
        switch error {
        case .deviceMissing: codeKVMMissing
        case .permissionDenied: codeKVMPermission
        case .wrongAPIVersion: codeKVMVersion
        case .unsupported, .systemCall: codeKVMOther
        case .invalidConfiguration, .badKernel: codeBadInput
        case .notSupportedOnHost: codeNotSupportedOnHost
        }
    }

    public static func exitCode(for error: NasmError) -> Int32 {
        switch error {
        case .missing: codeNasmMissing
        case .failed: codeAssemblerError
        case .io: codeBadInput
        }
    }

    /// The table for `--help` and the docs.
    public static let exitCodeTable = """
          0  halt, or exit with status 0
          1  the guest exited with a non-zero status
          2  crash
          3  timeout
          4  output-limit
          5  exit-limit
         10  assembler or compiler error (file:line: message is printed)
         11  nasm, or the Swift toolchain's clang, is missing
         12  unreadable input, image too large, or a value out of range
         20  the KVM device does not exist
         21  no permission to open the KVM device
         22  wrong KVM API version
         23  KVM unusable for another reason
         24  KVM works, but not for what this run asks on this kind of host
         64  bad command line
        """
}
