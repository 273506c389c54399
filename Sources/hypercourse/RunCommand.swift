import ArgumentParser
import ExerciseCommands
import Exercises
import Foundation
import Hypervisor

/// `hypercourse run`: runs one guest on the built-in hypervisor. Wiring only: the options' limits,
/// the run and its report are `Exercises.StandaloneRun`.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one guest program on the built-in KVM hypervisor.",
        discussion: """
            FILE is a .asm or .c file, built as an exercise's source is built (nasm -f bin; C with the Swift \
            toolchain's clang and the guest runtime, in long mode unless --mode user), a flat binary image, or a \
            Multiboot kernel (an ELF file, or any file, with a Multiboot header in its first 8 KiB), which boots \
            as qemu -kernel boots it, with --append and --initrd as qemu's -append and -initrd. A source file's \
            %include, incbin and #include look in its own folder, then in --content DIR (a course's content \
            folder, so "shared/..." resolves as in a lesson), and must stay inside that folder (the file's own \
            folder without --content). The guest's output goes to stdout and a one-line summary to stderr; with \
            --trace and --steps, the exit timeline and the step rows go to stderr too, between the two (with \
            source lines for a source file). With --json, one JSON object goes to stdout instead. The guest \
            machine is described in docs/guest-machine.md.

            Examples:
              hypercourse run hello.asm
              hypercourse run --trace --steps 10 hello.asm
              hypercourse run --mode user --trace hello.c
              hypercourse run --content ~/course/content --trace copied-exercise.asm
              hypercourse run --mode long --trace --json hello64.asm
              hypercourse run --mode user --timeout 0.3 spin.asm
              hypercourse run --repeat 200 --json hello.bin
              hypercourse run --append "verbose" --initrd "data.bin size=4" kernel.elf

            Limits: --memory 1 to 1024 MiB; --cpus 1 to 8; --timeout 0.001 to 600 s; --output-limit 0 to 16 MiB; \
            --exit-limit 1 to 100000000; --steps 0 to 1000; --repeat 1 to 100000 (the same limits as \
            an exercise's options).

            Exit codes:
            \(RunSummary.exitCodeTable)
            """
    )

    @Option(help: "CPU mode a flat image starts in: real (the default), protected, long or user; a .c file long (the default) or user.")
    var mode: GuestMode?

    @Option(
        help: ArgumentHelp(
            "The content folder a .asm or .c file's includes resolve in and must stay inside (default: the file's folder).",
            valueName: "dir"))
    var content: String?

    @Option(help: "Guest RAM in MiB, 1 to 1024 (default 16, or 128 for a Multiboot kernel).")
    var memory: Int?

    @Option(
        help:
            "The machine: lesson (one vCPU, no interrupt controller; the default for flat images) or pc (in-kernel PICs, IOAPIC, local APICs and PIT, fw_cfg, several vCPUs; the default for Multiboot kernels)."
    )
    var machine: MachineProfile?

    @Option(help: "vCPUs on the pc machine, 1 to 8; application processors wait for INIT-SIPI-SIPI.")
    var cpus: Int = 1

    @Option(
        help:
            "The pc machine's CPU model: hypercourse64 (fixed, qemu64-like; the default) or host (KVM's supported CPUID, as qemu -cpu host)."
    )
    var cpu: CPUModel = .hypercourse64

    @Flag(
        help: "Log the pages the guest writes; a write of a number to port 0x508 records a checkpoint (pages written since the last one).")
    var dirtyLog = false

    @Option(help: "A Multiboot kernel's command line, after its file name (as qemu's -append).")
    var append: String?

    @Option(
        help: ArgumentHelp(
            "A module for a Multiboot kernel, \"FILE [ARGS]\"; repeat for more (as one entry of qemu's -initrd).",
            valueName: "file [args]"))
    var initrd: [String] = []

    @Option(help: "Wall-clock limit in seconds, 0.001 to 600; fractions allowed (e.g. 0.3).")
    var timeout: Double = MachineConfig.defaultTimeout.seconds

    @Option(help: "Most output bytes kept before the run ends as output-limit (0 to 16 MiB).")
    var outputLimit: Int = MachineConfig.defaultOutputLimit

    @Option(help: "Most VM exits before the run ends as exit-limit (1 to 100000000).")
    var exitLimit: Int = MachineConfig.defaultExitLimit

    @Flag(help: "Record the VM exits in order (a table on stderr, or in the JSON).")
    var trace = false

    @Option(help: "Single-step the first N instructions, 0 to 1000 (a table on stderr, or in the JSON).")
    var steps: Int = 0

    @Flag(help: "Print one JSON object (output, end, exitCounts, registers, timing[, trace, steps]).")
    var json = false

    @Option(help: "Run the guest N times (1 to 100000), each on a fresh VM; the report describes the last run.")
    var `repeat`: Int = 1

    @Option(help: "The KVM device to open.")
    var kvmDevice: String = KVMSystem.defaultDevicePath

    @Argument(help: "The guest: a .asm or .c file, a flat .bin image, or a Multiboot kernel.")
    var file: String

    var request: StandaloneRun {
        var run = StandaloneRun(file: file)
        run.mode = mode
        run.memoryMiB = memory
        run.appendText = append
        run.initrds = initrd
        run.machine = machine
        run.cpus = cpus
        run.cpu = cpu
        run.dirtyLog = dirtyLog
        run.timeoutSeconds = timeout
        run.outputLimit = outputLimit
        run.exitLimit = exitLimit
        run.trace = trace
        run.steps = steps
        run.json = json
        run.repeatCount = `repeat`
        run.kvmDevice = kvmDevice
        run.content = content
        return run
    }

    func validate() throws {
        if let problem = request.invalidOption() { throw ValidationError(problem) }
    }

    func run() throws {
        Interrupts.install()
        let outcome = request.perform()
        for write in outcome.writes {
            (write.stream == .standardOutput ? FileHandle.standardOutput : FileHandle.standardError).write(write.data)
        }
        if outcome.exitCode != 0 { throw ExitCode(outcome.exitCode) }
    }
}

extension GuestMode: ExpressibleByArgument {}
extension MachineProfile: ExpressibleByArgument {}
extension CPUModel: ExpressibleByArgument {}
