import Common
import Foundation
import Hypervisor

/// A checked exercise block: every option valid, the source read and split into built and shown text.
public struct ExerciseSpec: Sendable, Hashable {
    public var id: String
    public var language: GuestLanguage
    public var mode: GuestMode
    public var memoryMiB: Int
    /// Wall-clock limit in nanoseconds (exact, so keys never depend on float formatting).
    public var timeoutNanoseconds: Int64
    public var expect: Expectation
    public var trace: Bool
    public var steps: Int
    public var outputLimit: Int
    public var exitLimit: Int
    /// The `src=` file, resolved inside the content folder, or nil for an inline body.
    public var sourceFile: URL?
    /// The `src=` value as written, for the page.
    public var sourceName: String? { input.option("src") }
    /// The source: as built (hidden lines included) and as shown.
    public var source: GuestSource
    public var input: ExerciseBlock
    /// `machine=`, `cpus=`, `dirty-log`, and `kernel` with `append=` and `initrd=`.
    var machineOptions = MachineOptions()
    /// The machine the exercise runs on (`machine=`; `pc` for a kernel unless it says otherwise).
    public var machine: MachineProfile { machineOptions.machine }
    public var cpus: Int { machineOptions.cpus }
    public var dirtyLog: Bool { machineOptions.dirtyLog }
    /// Set when the source is a Multiboot kernel (`kernel`), booted as QEMU's `-kernel` boots one.
    public var kernel: KernelBoot? { machineOptions.kernel }

    /// A vmm exercise's guest (`guest=ID`): named by `parse`, resolved across the course by the pass.
    public var guest: GuestLink?
    /// Extra runs whose timings the page shows (`measure=N`), 0 for none. Shapes no result: not in the key.
    public var measure = 0
    public static let measureRange = 1...100

    /// The exercise another one names as its guest.
    public indirect enum GuestLink: Sendable, Hashable {
        case named(String)
        case resolved(ExerciseSpec)

        public var id: String {
            switch self {
            case .named(let id): id
            case .resolved(let spec): spec.id
            }
        }

        public var spec: ExerciseSpec? {
            if case .resolved(let spec) = self { spec } else { nil }
        }
    }

    public static let knownOptions =
        ["id", "mode", "memory", "timeout", "expect", "trace", "steps", "output-limit", "exit-limit", "src", "guest", "predict", "measure"]
        + MachineOptions.names
    /// Options that shape a guest's run on the hypervisor, which a vmm exercise (a host program) does not have.
    static let guestOnlyOptions = ["mode", "trace", "steps", "exit-limit"] + MachineOptions.names
    /// A vmm's address-space limit when the block gives no `memory=`: room for its code, its heap and a guest's RAM.
    public static let defaultVMMMemoryMiB = 256
    /// Most steps a page shows; each is a table row.
    public static let maxSteps = MachineConfig.stepsRange.upperBound
    public static let maxTimeoutSeconds = MachineConfig.timeoutRangeSeconds.upperBound

    /// The machine this exercise runs on.
    public var machineConfig: MachineConfig {
        MachineConfig(
            mode: mode, memoryMiB: memoryMiB, timeout: .nanoseconds(timeoutNanoseconds),
            outputLimit: outputLimit, exitLimit: exitLimit, trace: trace, steps: steps,
            machine: machine, cpus: cpus, dirtyLog: dirtyLog, kvmStatistics: machine == .pc)
    }

    /// The file and line a built-source line comes from, for diagnostics: the `src=` file's own line,
    /// or the lesson line inside the fenced block.
    public func location(ofBuiltLine line: Int?) -> (file: URL, line: Int?) {
        Self.location(ofBuiltLine: line, input: input, sourceFile: sourceFile)
    }

    private static func location(ofBuiltLine line: Int?, input: ExerciseBlock, sourceFile: URL?) -> (file: URL, line: Int?) {
        if let sourceFile { return (sourceFile, line) }
        if let line, let origins = input.bodyLineOrigins, origins.indices.contains(line - 1) {
            return (origins[line - 1].file, origins[line - 1].line)
        }
        return (input.file, line.map { input.line + $0 })
    }

    /// Checks a block. Throws the first problem, at the fence's line (or the source line for hidden-line
    /// markers).
    public static func parse(_ input: ExerciseBlock) throws(ExerciseProblem) -> ExerciseSpec {
        func fail(_ message: String) -> ExerciseProblem { ExerciseProblem(file: input.file, line: input.line, message: message) }
        guard let language = GuestLanguage(rawValue: input.language) else {
            throw fail("unknown exercise language '\(input.language)' (use \(GuestLanguage.knownWords))")
        }
        let values = try optionValues(input.options, language: language, fail)
        guard let id = values["id"], !id.isEmpty else { throw fail("exercise has no id (add id=NAME, lowercase words joined by '-')") }
        guard isKebabCase(id) else {
            throw fail("exercise id '\(id)' must be lowercase letters and digits joined by single '-' (e.g. hello-real)")
        }
        let machineOptions = try MachineOptions.parse(values, input: input, language: language, fail)
        let mode = try guestMode(values["mode"], language: language, kernel: machineOptions.kernel != nil, fail)
        let memory = try integer(
            values["memory"], name: "memory",
            default: machineOptions.kernel != nil
                ? MachineConfig.defaultKernelMemoryMiB
                : language.isGuest ? MachineConfig.defaultMemoryMiB : defaultVMMMemoryMiB,
            range: MachineConfig.memoryRangeMiB, unit: " MiB", fail)
        let timeout = try timeoutNanoseconds(values["timeout"], fail)
        let expect = try expectation(values["expect"], fail)
        let trace = try flag(values["trace"], name: "trace", fail)
        let steps = try stepCount(values["steps"], mode: mode, cpus: machineOptions.cpus, fail)
        let outputLimit = try integer(
            values["output-limit"], name: "output-limit", default: MachineConfig.defaultOutputLimit,
            range: MachineConfig.outputLimitRange, unit: " bytes", fail)
        let exitLimit = try integer(
            values["exit-limit"], name: "exit-limit", default: MachineConfig.defaultExitLimit,
            range: MachineConfig.exitLimitRange, unit: "", fail)

        let (text, sourceFile) = try sourceText(src: values["src"], input: input, id: id, fail)
        let source: GuestSource
        do {
            source = try GuestSource(text, language: language)
        } catch {
            let place = location(ofBuiltLine: error.line, input: input, sourceFile: sourceFile)
            throw ExerciseProblem(file: place.file, line: place.line, message: error.message)
        }
        var spec = ExerciseSpec(
            id: id, language: language, mode: mode, memoryMiB: memory, timeoutNanoseconds: timeout, expect: expect,
            trace: trace, steps: steps, outputLimit: outputLimit, exitLimit: exitLimit, sourceFile: sourceFile,
            source: source, input: input, machineOptions: machineOptions, guest: values["guest"].map(GuestLink.named))
        spec.measure = try integer(values["measure"], name: "measure", default: 0, range: measureRange, unit: " runs", fail)
        return spec
    }

    /// The mode: a kernel always starts in protected mode (Multiboot's entry state); otherwise the
    /// option's value, or the language's default, if the language can run in it.
    static func guestMode(
        _ text: String?, language: GuestLanguage, kernel: Bool,
        _ fail: (String) -> ExerciseProblem
    ) throws(ExerciseProblem) -> GuestMode {
        if kernel { return .protected }
        let mode: GuestMode
        if let text {
            guard let parsed = GuestMode(rawValue: text) else {
                throw fail("unknown mode '\(text)' (use real, protected, long or user)")
            }
            mode = parsed
        } else {
            mode = language.defaultMode
        }
        if let reason = language.unsupported(mode) { throw fail(reason) }
        return mode
    }

    /// `steps=`: single-stepping follows one instruction stream, and does not work on ring-3 code under PVM.
    static func stepCount(
        _ text: String?, mode: GuestMode, cpus: Int,
        _ fail: (String) -> ExerciseProblem
    ) throws(ExerciseProblem) -> Int {
        let steps = try integer(text, name: "steps", default: 0, range: 1...maxSteps, unit: "", fail)
        if steps > 0 && cpus > 1 {
            throw fail("steps= needs one vCPU: single-stepping follows one instruction stream, and this machine has \(cpus)")
        }
        if steps > 0 && mode == .user {
            throw fail(
                "steps= cannot be used in user mode: single-stepping ring-3 code does not work on PVM hosts; step a long-mode guest instead"
            )
        }
        return steps
    }

    /// The options by name: each known, given once, written `key=value`, and one that applies to
    /// the language (`guest=` for vmm exercises only, machine options for guests only).
    static func optionValues(
        _ options: [ExerciseBlock.Option], language: GuestLanguage,
        _ fail: (String) -> ExerciseProblem
    ) throws(ExerciseProblem) -> [String: String] {
        var values: [String: String] = [:]
        for (index, option) in options.enumerated() {
            if let fix = colonSpelling(options, at: index) {
                throw fail("options are written key=value: write '\(fix.right)', not '\(fix.wrong)'")
            }
            guard knownOptions.contains(option.key) else {
                let hint = didYouMean(option.key, in: knownOptions)
                throw fail("unknown exercise option '\(option.key)'\(hint); known options: \(knownOptions.joined(separator: ", "))")
            }
            guard values[option.key] == nil else { throw fail("option '\(option.key)' is given twice") }
            values[option.key] = option.value
        }
        if language == .vmm, let option = guestOnlyOptions.first(where: { values[$0] != nil }) {
            throw fail(
                "option '\(option)' does not apply to vmm exercises: a vmm is a host program; its guest's options are in the guest's own block"
            )
        }
        if language.isGuest, values["guest"] != nil {
            throw fail("option 'guest' is for vmm exercises: it names the guest a vmm runs")
        }
        if let predict = values["predict"], !["", "true", "false"].contains(predict) {
            throw fail("predict takes no value, or true or false, not '\(predict)'")
        }
        if values["guest"] == "" { throw fail("guest= needs the id of an asm or C exercise") }
        return values
    }

    /// `timeout=` in seconds (fractions allowed), as nanoseconds; the machine's default without it.
    static func timeoutNanoseconds(_ text: String?, _ fail: (String) -> ExerciseProblem) throws(ExerciseProblem) -> Int64 {
        guard let text else { return Int64(MachineConfig.defaultTimeout.components.seconds) * 1_000_000_000 }
        guard let seconds = Double(text), let duration = MachineConfig.timeout(seconds: seconds) else {
            throw fail("timeout '\(text)' must be a number of seconds \(MachineConfig.timeoutRangeText) (fractions allowed, e.g. 0.3)")
        }
        return duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
    }

    /// `expect=`; without it, `halt` or `exit 0`.
    static func expectation(_ text: String?, _ fail: (String) -> ExerciseProblem) throws(ExerciseProblem) -> Expectation {
        guard let text else { return .haltOrExitZero }
        guard let parsed = Expectation(text) else {
            throw fail("unknown expectation '\(text)' (use halt, exit:N with N 0-255, crash, timeout, output-limit or exit-limit)")
        }
        return parsed
    }

    /// The source: the block's body, or the file `src=` names (inside the content folder, with an
    /// empty body), and that file.
    static func sourceText(
        src: String?, input: ExerciseBlock, id: String,
        _ fail: (String) -> ExerciseProblem
    ) throws(ExerciseProblem) -> (text: String, file: URL?) {
        guard let src else {
            guard !isBlank(input.body) else {
                throw fail("exercise '\(id)' has no source: write it in the block or name a file with src=")
            }
            return (input.body, nil)
        }
        guard !src.isEmpty else { throw fail("src= needs a file name") }
        guard isBlank(input.body) else {
            throw fail("an exercise with src= must have an empty body (the source is read from '\(src)')")
        }
        let folder = input.file.deletingLastPathComponent()
        let notFound = fail("source file '\(src)' not found (looked for \(DisplayPath.of(folder.appendingPathComponent(src))))")
        let file: URL
        switch ContentFolder(input.contentRoot).resolve(src, from: folder) {
        case .success(let url): file = url
        case .failure(.absolute): throw fail("src path '\(src)' must be relative to the lesson's folder")
        case .failure(.outside), .failure(.symlinkOutside): throw fail("src path '\(src)' leads outside the content folder")
        case .failure(.missing): throw notFound
        }
        do {
            return (try TextFile.read(file), file)
        } catch {
            switch error {
            case .invalidUTF8(let line, _, _): throw ExerciseProblem(file: file, line: line, message: error.message(src))
            case .tooLarge(let size):
                throw fail("source file '\(src)' is \(FileSize.mebibytes(size)); the largest source is \(FileSize.maxText >> 20) MiB")
            default: throw fail(error.message(src))
            }
        }
    }

    /// `expect: crash` or `expect:crash` (YAML's spelling, natural to write) for `expect=crash`: the
    /// words as written and as they should be, when the option at `index` is a known name and a colon.
    static func colonSpelling(_ options: [ExerciseBlock.Option], at index: Int) -> (wrong: String, right: String)? {
        let option = options[index]
        guard option.value.isEmpty, let colon = option.key.firstIndex(of: ":"),
            knownOptions.contains(String(option.key[..<colon]))
        else { return nil }
        let name = String(option.key[..<colon])
        var value = String(option.key[option.key.index(after: colon)...])
        var wrong = option.key
        if value.isEmpty, index + 1 < options.count, options[index + 1].value.isEmpty {
            value = options[index + 1].key
            wrong += " " + value
        }
        return (wrong, value.isEmpty ? "\(name)=VALUE" : "\(name)=\(value)")
    }

    static func integer(
        _ text: String?, name: String, default value: Int, range: ClosedRange<Int>, unit: String,
        _ fail: (String) -> ExerciseProblem
    ) throws(ExerciseProblem) -> Int {
        guard let text else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw fail("\(name) '\(text)' must be a whole number from \(range.lowerBound) to \(range.upperBound)\(unit)")
        }
        return number
    }

    static func isBlank(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
    }

    static func isKebabCase(_ id: String) -> Bool {
        guard let first = id.utf8.first, let last = id.utf8.last, first != UInt8(ascii: "-"), last != UInt8(ascii: "-") else {
            return false
        }
        var previousDash = false
        for byte in id.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): previousDash = false
            case UInt8(ascii: "-"):
                if previousDash { return false }
                previousDash = true
            default: return false
            }
        }
        return true
    }
}
