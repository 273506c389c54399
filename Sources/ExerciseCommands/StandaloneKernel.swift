import Common
import Exercises
import Foundation
import Hypervisor
import Multiboot

/// `hypercourse run` with a Multiboot kernel: a file with a Multiboot header boots as QEMU's
/// `-kernel` boots it, with `--append` and `--initrd` as `-append` and `-initrd`.
extension StandaloneRun {
    /// RAM for a kernel unless `--memory` says otherwise: QEMU's default.
    public static let kernelMemoryMiB = MachineConfig.defaultKernelMemoryMiB

    /// The machine for `image`, from the options and the image's kind.
    func machineConfig(for image: GuestImage) -> MachineConfig {
        let kernel: Bool
        if case .multiboot = image { kernel = true } else { kernel = false }
        return MachineConfig(
            mode: kernel ? .protected : mode ?? defaultMode,
            memoryMiB: memoryMiB ?? (kernel ? Self.kernelMemoryMiB : MachineConfig.defaultMemoryMiB),
            timeout: MachineConfig.timeout(seconds: timeoutSeconds) ?? MachineConfig.defaultTimeout,
            outputLimit: outputLimit, exitLimit: exitLimit, trace: trace, steps: steps,
            machine: machine ?? (kernel ? .pc : .lesson), cpus: cpus, cpu: cpu, dirtyLog: dirtyLog,
            // `--repeat` times the VM's life: reading KVM's statistics in every run would add its own cost.
            kvmStatistics: json && repeatCount == 1)
    }

    /// The loaded file as a flat image or a kernel (with its modules read), or why it cannot run.
    func guest(_ image: [UInt8]) -> Result<GuestImage, Failure> {
        guard MultibootKernel.isKernel(image) else {
            if ELFFile.hasMagic(image) {
                return .failure(
                    Failure(
                        message: "\(file): error: an ELF file without a Multiboot header in its first 8 KiB; "
                            + "only Multiboot kernels boot from ELF", code: RunSummary.codeBadInput))
            }
            if appendText != nil || !initrds.isEmpty {
                return .failure(
                    Failure(
                        message: "\(file): error: --append and --initrd are for Multiboot kernels; "
                            + "this is a flat image", code: RunSummary.codeBadInput))
            }
            return .success(.flat(image))
        }
        if let mode {
            return .failure(
                Failure(
                    message: "\(file): error: --mode \(mode) does not apply to a Multiboot kernel, which "
                        + "starts in 32-bit protected mode", code: RunSummary.codeBadInput))
        }
        var modules: [MultibootKernel.Module] = []
        for argument in initrds {
            let path = MultibootKernel.Module.fileName(of: argument)
            var data: Data?
            do {
                if !path.isEmpty {
                    data = try TextFile.bytes(URL(fileURLWithPath: path), limit: Int64(MachineConfig.memoryRangeMiB.upperBound) << 20)
                }
            } catch {
                if case .tooLarge(let size) = error {
                    return .failure(
                        Failure(
                            message: "\(path): error: the module is \(FileSize.mebibytes(size)), more than the largest guest RAM "
                                + "(\(MachineConfig.memoryRangeMiB.upperBound) MiB)", code: RunSummary.codeBadInput))
                }
            }
            guard let data else {
                return .failure(
                    Failure(
                        message: "\(path.isEmpty ? "--initrd" : path): error: cannot read the module "
                            + "(--initrd \"\(argument)\")", code: RunSummary.codeBadInput))
            }
            modules.append(MultibootKernel.Module(bytes: [UInt8](data), string: argument))
        }
        let kernel = MultibootKernel(file: image, name: file, appendText: appendText ?? "", modules: modules)
        return .success(.multiboot(kernel))
    }
}
