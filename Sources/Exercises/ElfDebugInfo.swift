import Common
import Foundation

/// A C guest's ELF and what finding its source lines needs. The disassembly, the slow half of a
/// lookup (llvm-objdump is a large program to start), can begin as soon as the ELF is linked, so it
/// runs beside the image's flattening and the guest's run instead of after them.
final class ElfDebugInfo: Sendable {
    let elf: URL
    /// The exercise's own source as the debug information names it.
    let source: String
    let runtimeDirectory: String
    private let listing: Locked<BackgroundResult<String?>?>

    init(elf: URL, source: String, runtimeDirectory: String) {
        self.elf = elf
        self.source = source
        self.runtimeDirectory = runtimeDirectory
        listing = Locked(nil)
    }

    /// Starts the disassembly on a thread of its own, once.
    func startDisassembly(toolchain: Toolchain) {
        _ = disassembly(toolchain: toolchain)
    }

    /// `llvm-objdump -d`'s listing (waiting for it when it is still running), or nil when it failed.
    func disassemblyListing(toolchain: Toolchain) -> String? { disassembly(toolchain: toolchain).value }

    private func disassembly(toolchain: Toolchain) -> BackgroundResult<String?> {
        listing.withLock { started in
            if let started { return started }
            let elf = self.elf
            let job = BackgroundResult<String?> {
                guard let objdump = toolchain.objdump,
                    let listed = try? Subprocess.run(objdump, ["-d", "-M", "intel", "--no-show-raw-insn", elf.path]),
                    listed.status == 0
                else { return nil }
                return listed.output
            }
            started = job
            return job
        }
    }
}

/// A value computed on a thread of its own, started at once; `value` waits for it.
final class BackgroundResult<Value: Sendable>: Sendable {
    private let result = Locked<Value?>(nil)
    private let done = DispatchSemaphore(value: 0)

    init(_ work: @escaping @Sendable () -> Value) {
        let thread = Thread { [result, done] in
            let value = work()
            result.withLock { $0 = value }
            done.signal()
        }
        thread.start()
    }

    /// The value, once computed (every caller gets it).
    var value: Value {
        if let ready = result.withLock({ $0 }) { return ready }
        done.wait()
        // Let the next waiter through too.
        done.signal()
        return result.withLock { $0! }
    }
}
