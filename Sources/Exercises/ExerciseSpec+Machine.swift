import Common
import Foundation
import Hypervisor
import Multiboot

/// How an exercise that is a Multiboot kernel boots: the equivalents of QEMU's `-append` and
/// `-initrd` (`kernel`, `append=`, `initrd=`).
public struct KernelBoot: Sendable, Hashable {
    /// The `-append` text (`append=`).
    public var appendText: String
    /// The `initrd=` modules, in order.
    public var modules: [Module]

    public struct Module: Sendable, Hashable {
        /// The file, resolved inside the content folder.
        public var file: URL
        /// The file as a content-relative path: what the key hashes.
        public var contentPath: String
        /// The module's string as written (`FILE ARGS`), which the kernel receives, as QEMU hands it over.
        public var string: String
    }

    /// The kernel's file name on its command line (QEMU puts the `-kernel` file name first): the
    /// exercise's id and the image's kind, the same wherever the course is built.
    static func fileName(id: String, language: GuestLanguage) -> String {
        id + (language == .asm ? ".bin" : ".elf")
    }
}

/// The machine options of an exercise block: `machine=`, `cpus=`, `dirty-log`, and `kernel` with
/// `append=` and `initrd=`.
struct MachineOptions: Sendable, Hashable {
    var machine: MachineProfile = .lesson
    var cpus = 1
    var dirtyLog = false
    var kernel: KernelBoot?

    static let names = ["machine", "cpus", "dirty-log", "kernel", "append", "initrd"]

    /// Checks the options in `values` (already known to be known and unique).
    static func parse(
        _ values: [String: String], input: ExerciseBlock, language: GuestLanguage,
        _ fail: (String) -> ExerciseProblem
    ) throws(ExerciseProblem) -> MachineOptions {
        var options = MachineOptions()
        let isKernel = try ExerciseSpec.flag(values["kernel"], name: "kernel", fail)
        if let text = values["machine"] {
            guard let machine = MachineProfile(rawValue: text) else {
                throw fail("unknown machine '\(text)' (use lesson or pc; docs/guest-machine.md describes both)")
            }
            options.machine = machine
        } else if isKernel {
            options.machine = .pc
        }
        options.cpus = try ExerciseSpec.integer(values["cpus"], name: "cpus", default: 1, range: MachineConfig.cpusRange, unit: "", fail)
        if options.cpus > 1 && options.machine != .pc {
            throw fail("cpus=\(options.cpus) needs machine=pc: the lesson machine has one vCPU")
        }
        options.dirtyLog = try ExerciseSpec.flag(values["dirty-log"], name: "dirty-log", fail)
        if isKernel {
            if values["mode"] != nil {
                throw fail("mode= does not apply to a kernel, which starts in 32-bit protected mode as a Multiboot loader starts it")
            }
            options.kernel = KernelBoot(
                appendText: values["append"] ?? "",
                modules: try modules(values["initrd"], input: input, fail))
        } else {
            for name in ["append", "initrd"] where values[name] != nil {
                throw fail("\(name)= is for kernels: add the option kernel (the source is then a Multiboot kernel)")
            }
        }
        return options
    }

}

extension MachineOptions {
    /// `initrd="FILE ARGS,FILE2"` as QEMU's `-initrd` reads it: modules separated by commas, each
    /// the file name up to its first space, then the module's arguments. Files are found beside the
    /// lesson and must stay inside the content folder.
    static func modules(
        _ text: String?, input: ExerciseBlock, _ fail: (String) -> ExerciseProblem
    ) throws(ExerciseProblem) -> [KernelBoot.Module] {
        guard let text else { return [] }
        var modules: [KernelBoot.Module] = []
        let folder = input.file.deletingLastPathComponent()
        let content = ContentFolder(input.contentRoot)
        for entry in text.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            let name = MultibootKernel.Module.fileName(of: entry)
            guard !name.isEmpty else { throw fail("initrd= has an empty module (write FILE [ARGS], separated by commas)") }
            let file: URL
            switch content.resolve(name, from: folder) {
            case .success(let url): file = url
            case .failure(.absolute): throw fail("initrd module '\(name)' must be relative to the lesson's folder")
            case .failure(.outside), .failure(.symlinkOutside): throw fail("initrd module '\(name)' leads outside the content folder")
            case .failure(.missing):
                throw fail("initrd module '\(name)' not found (looked for \(DisplayPath.of(folder.appendingPathComponent(name))))")
            }
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: file.path, isDirectory: &isFolder), !isFolder.boolValue,
                let path = content.realRelativePath(of: file)
            else {
                throw fail("initrd module '\(name)' is not a readable file")
            }
            modules.append(KernelBoot.Module(file: file, contentPath: path, string: entry))
        }
        return modules
    }

    /// The key's lines for these options: none for the lesson machine's defaults, so the keys of
    /// exercises that use none of them are what they were before the options existed.
    var keyLines: [String] {
        var lines: [String] = []
        if machine != .lesson { lines.append("profile \(machine.rawValue)") }
        if cpus != 1 { lines.append("cpus \(cpus)") }
        if dirtyLog { lines.append("dirty-log true") }
        if let kernel {
            lines.append("kernel append \(kernel.appendText.debugDescription)")
            for module in kernel.modules {
                let digest = (try? TextFile.bytes(module.file)).map { SHA256.hash([UInt8]($0)) } ?? "missing"
                lines.append("kernel module \(module.string.debugDescription) \(module.contentPath) \(digest)")
            }
        }
        return lines
    }
}

extension ExerciseSpec {
    /// A bare word, `NAME=true` or `NAME=false`.
    static func flag(_ text: String?, name: String, _ fail: (String) -> ExerciseProblem) throws(ExerciseProblem) -> Bool {
        switch text {
        case nil: false
        case "", "true": true
        case "false": false
        default: throw fail("\(name) takes no value, or true or false, not '\(text!)'")
        }
    }
}
