import Common
import Foundation
import Hypervisor
import Multiboot

/// Exercises that are Multiboot kernels (`kernel`): the built image with its command line and
/// modules, checked the way the hypervisor will boot it, so a bad header or a module too large for
/// RAM is reported at the exercise's block when it is built, not when it runs.
extension GuestBuilder {
    func prepareKernel(_ spec: ExerciseSpec, _ built: BuiltGuest) throws(ExerciseFailure) -> BuiltGuest {
        guard let boot = spec.kernel else { return built }
        var modules: [MultibootKernel.Module] = []
        for module in boot.modules {
            guard let data = try? TextFile.bytes(module.file) else {
                throw ExerciseFailure([problem(spec, "cannot read the initrd module '\(module.contentPath)'")])
            }
            modules.append(MultibootKernel.Module(bytes: [UInt8](data), string: module.string))
        }
        let kernel = MultibootKernel(
            file: built.image, name: KernelBoot.fileName(id: spec.id, language: spec.language),
            appendText: boot.appendText, modules: modules)
        let header: MultibootHeader
        do {
            _ = try MultibootLoader.plan(kernel, ramBytes: spec.machineConfig.memoryBytes)
            guard let found = try MultibootHeader.find(in: built.image, name: kernel.name) else {
                throw BootError(.unsupported, "no Multiboot header")
            }
            header = found
        } catch {
            let hint = spec.language == .asm ? " (an asm kernel is a flat image: its header sets flag bit 16 and the address fields)" : ""
            throw ExerciseFailure([problem(spec, "cannot boot as a kernel: \(error)\(hint)")])
        }
        var prepared = built
        prepared.kernel = kernel
        prepared.imageBase = Self.imageBase(header)
        return prepared
    }

    /// Where the file's first byte lands: QEMU loads the file from `header offset − (header_addr −
    /// load_addr)` to `load_addr`. Without address fields (an ELF kernel), the image is the C
    /// runtime's flat one, linked at 1 MiB.
    static func imageBase(_ header: MultibootHeader) -> UInt64 {
        guard let fields = header.addresses else { return GuestMode.long.loadAddress }
        let textOffset = Int64(header.offset) - (Int64(fields.header) - Int64(fields.load))
        return UInt64(bitPattern: Int64(fields.load) - textOffset)
    }
}
