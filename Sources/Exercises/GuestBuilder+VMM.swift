import Common
import Foundation
import Hypervisor

/// vmm exercises: the guest it names is built first (its image beside the program), then the
/// Swift toolchain's clang compiles the program for the host against the system's C library and
/// `<linux/kvm.h>`, statically linked.
extension GuestBuilder {
    func buildVMM(_ spec: ExerciseSpec, _ files: GuestFiles) throws(ExerciseFailure) -> BuiltGuest {
        let work = files.work
        guard let clang = toolchain.clang else { throw ExerciseFailure([problem(spec, Toolchain.missingClangMessage)]) }
        let support: URL
        switch ensureVMMSupport(clang: clang) {
        case .success(let url): support = url
        case .failure(let error): throw ExerciseFailure([problem(spec, error.message)])
        }
        // The program's own folder, all it may read at run time besides /dev/kvm: the program and
        // the guest's image, readable by the unprivileged user it runs as.
        let folder = work.appendingPathComponent("run")
        do {
            try ScratchFolders.makeDirectory(folder, permissions: 0o755)
        } catch {
            throw ExerciseFailure([problem(spec, "cannot create a scratch folder: \(error.localizedDescription)")])
        }
        var guestIncludes: [String] = []
        var guestImage: URL?
        if let guestSpec = spec.guest?.spec {
            let guest = try build(guestSpec, slot: "\(work.lastPathComponent)-guest")
            let image = folder.appendingPathComponent("guest.bin")
            guard FileManager.default.createFile(atPath: image.path, contents: Data(guest.image), attributes: [.posixPermissions: 0o644])
            else {
                throw ExerciseFailure([problem(spec, "cannot write the guest's image to scratch")])
            }
            guestIncludes = guest.includes
            guestImage = image
        }
        let program = folder.appendingPathComponent("vmm"), deps = work.appendingPathComponent("vmm.d"),
            object = work.appendingPathComponent("vmm.o")
        let ignoring = [support.path, toolchainRoot] + Self.systemHeaderFolders
        let compiler = CCompilation(
            builder: self, spec: spec, clang: clang, flags: VMMSupport.compileFlags, files: files,
            headers: support, headersName: "hypercourse-vmm/", ignoring: ignoring,
            jail: confinement(spec, tool: clang, work: work, also: [support.path] + Self.systemHeaderFolders))
        try compiler.checkInlineAssembly()
        let warnings = try compiler.compile(["-MD", "-MF", deps.path, "-c", compiler.name, "-o", object.path])
        let includes = try compiler.includes(listedIn: deps)
        // Linked apart from compiling: in one step clang would want a temporary file outside the
        // folders its confinement allows.
        let link = try run(
            spec, "clang (link)", clang,
            VMMSupport.linkFlags + CCompilation.linkerFlags.map { "-Wl,\($0)" } + [object.path, "-o", program.path],
            confinement: confinement(spec, tool: clang, work: work, also: Self.systemHeaderFolders, content: false))
        guard link.status == 0 else { throw ExerciseFailure([problem(spec, "link error: \(Self.linkErrors(link.output))")]) }
        return BuiltGuest(
            image: [], includes: Array(Set(includes + guestIncludes)).sorted(), symbols: .none, warnings: warnings,
            program: HostProgram(
                executable: program, guestImage: guestImage, launcher: support.appendingPathComponent(VMMSupport.launcherName)))
    }

    /// Where the host's C headers and libraries are: their identity enters the key as the digests of
    /// `<linux/kvm.h>` and the static C library (`vmmSystemIdentity`).
    static let systemHeaderFolders = ["/usr/include", "/usr/local/include", "/usr/lib/gcc", "/usr/lib/x86_64-linux-gnu"]

    /// What a vmm's build and run depend on besides the toolchain: the kernel's KVM header, by
    /// content, and the C library it is linked with (libc6-dev is always the installed glibc's
    /// version); the header and launcher, by hash.
    static func vmmSystemIdentity() -> Result<String, ExerciseBuildError> {
        let header = "/usr/include/linux/kvm.h", library = "/usr/lib/x86_64-linux-gnu/libc.a"
        guard let data = FileManager.default.contents(atPath: header), FileManager.default.fileExists(atPath: library) else {
            return .failure(
                ExerciseBuildError(
                    "\(header) or \(library) is missing: vmm exercises need the C library and the kernel headers (apt-get install libc6-dev linux-libc-dev)"
                ))
        }
        return .success(
            ["\(header): \(SHA256.hash([UInt8](data)))", "glibc: \(glibcVersion)", "vmm support: \(VMMSupport.hash)"].joined(
                separator: "\n"))
    }

    private static let glibcVersion: String = {
        var buffer = [CChar](repeating: 0, count: 64)
        let length = confstr(Int32(_CS_GNU_LIBC_VERSION), &buffer, buffer.count)
        return length > 0 ? String(cString: buffer) : "unknown"
    }()

    /// The header and the compiled launcher, once per support and clang version.
    func ensureVMMSupport(clang: String) -> Result<URL, ExerciseBuildError> {
        ensure(.vmm, clang: clang, memo: \.vmmSupport) { staging, _ throws(ExerciseBuildError) in
            try compileLauncher(clang: clang, in: staging)
        }
    }

    private func compileLauncher(clang: String, in staging: URL) throws(ExerciseBuildError) {
        let jail = confine ? Confinement(readable: toolReadable(clang) + Self.systemHeaderFolders, writable: [staging.path]) : nil
        let object = staging.appendingPathComponent(VMMSupport.launcherName + ".o").path
        for arguments in [
            VMMSupport.compileFlags + ["-c", staging.appendingPathComponent(VMMSupport.launcherName + ".c").path, "-o", object],
            VMMSupport.linkFlags + [object, "-o", staging.appendingPathComponent(VMMSupport.launcherName).path]
        ] {
            let outcome: Subprocess.Outcome
            do {
                outcome = try Subprocess.run(clang, arguments, limits: Subprocess.Limits(timeout: toolTimeout), confinement: jail)
            } catch {
                throw ExerciseBuildError(error.description)
            }
            guard outcome.status == 0 else {
                throw ExerciseBuildError(
                    "the vmm launcher does not build with \(clang) (are libc6-dev and linux-libc-dev installed?): \(outcome.output)")
            }
        }
    }
}

/// A vmm exercise's built program, with what it runs.
struct HostProgram: Sendable {
    var executable: URL
    /// The image of the guest it names (`guest=ID`), passed as argv[1].
    var guestImage: URL?
    var launcher: URL
}
