import Common
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What a confined tool may touch: read and execute beneath `readable`, and also write, create and
/// delete beneath `writable`. Everything else on the file system cannot be opened at all (stat still
/// works: Landlock governs opening, not looking).
struct Confinement: Sendable, Hashable {
    var readable: [String]
    var writable: [String]
    /// Device files it may open, read, write and (ABI 5) ioctl: `/dev/kvm` for a vmm exercise.
    var devices: [String] = []
    /// Whether `/dev/null` may be opened (where tools send what they throw away).
    var nullDevice = true

    /// Where a dynamically linked tool finds its loader and libraries. Distribution files, readable by
    /// anyone; the dependency checks (nasm -M, clang -MD, the inline-asm scan) still refuse them as includes.
    static let systemLibraries = ["/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib", "/etc/ld.so.cache", "/etc/ld.so.preload"]
}

/// Linux Landlock (5.13+), used to confine the tools that read guest sources: a source can name any
/// file (`%include "/etc/shadow"`, a token-pasted `incbin`, an inline-asm `.incbin` in C), and what the
/// tool reads ends up in the public site. Under Landlock, such a read fails inside the tool.
///
/// A Landlock domain applies to the thread that takes it on and everything that thread starts
/// afterwards, and can never be lifted; `Subprocess` therefore takes it on in a thread made for one
/// spawn. No process of this package is ever confined, only the tools.
///
/// The system calls have no glibc wrappers; they go through `syscall(2)`, looked up by name and
/// called with a fixed argument list (on x86-64, glibc's `syscall` is a register shuffle that ignores
/// the variadic convention's vector count, so this is sound there).
enum Landlock {
    /// The kernel's Landlock ABI version, or why there is none.
    static let support: Result<Int, LandlockError> = {
        #if !arch(x86_64)
            return .failure(LandlockError(errno: ENOSYS, "Landlock is only wired up for x86-64 hosts"))
        #endif
        let version = call(Number.createRuleset, 0, 0, 1 /* LANDLOCK_CREATE_RULESET_VERSION */)
        guard version > 0 else {
            let error = Glibc.errno
            switch error {
            case ENOSYS:
                return .failure(LandlockError(errno: error, "this kernel has no Landlock (Linux 5.13 or later, CONFIG_SECURITY_LANDLOCK)"))
            case EOPNOTSUPP:
                return .failure(
                    LandlockError(
                        errno: error, "Landlock is built into this kernel but not enabled (add landlock to the lsm= boot parameter)"))
            default: return .failure(LandlockError(errno: error, "Landlock does not answer: \(String(cString: strerror(error)))"))
            }
        }
        return .success(version)
    }()

    static var isAvailable: Bool { (try? support.get()) != nil }

    /// Why tools run unconfined, or nil when they do not.
    static var unavailableReason: String? {
        if case .failure(let error) = support { return error.message }
        return nil
    }

    /// Confines the calling thread, and everything it starts from now on, to `confinement`. For good.
    static func restrictThisThread(_ confinement: Confinement) throws(LandlockError) {
        let ruleset = try makeRuleset(confinement)
        defer { close(ruleset) }
        try restrict(to: ruleset)
    }

    /// A ruleset for `confinement`, as a descriptor: `restrict(to:)` takes it on here, or a child
    /// process inherits it and takes it on itself (the vmm launcher, after its own setup).
    /// `denyNetwork` also handles TCP bind and connect (ABI 4) with no rule allowing either, and
    /// scopes abstract UNIX sockets and signals to the domain (ABI 6), where the kernel knows them.
    static func makeRuleset(_ confinement: Confinement, denyNetwork: Bool = false) throws(LandlockError) -> Int32 {
        let version = try support.get()
        let handled = Access.handled(abi: version)
        // struct landlock_ruleset_attr: handled_access_fs, then (ABI 4) handled_access_net, then (ABI 6) scoped.
        var attribute: [UInt64] = [handled]
        if denyNetwork && version >= 4 { attribute.append(Access.bindTCP | Access.connectTCP) }
        if denyNetwork && version >= 6 { attribute.append(Access.scopeAbstractUnixSocket | Access.scopeSignal) }
        let ruleset = Int32(
            truncatingIfNeeded: attribute.withUnsafeBytes {
                call(Number.createRuleset, Int(bitPattern: $0.baseAddress), $0.count, 0)
            })
        guard ruleset >= 0 else { throw LandlockError(errno: Glibc.errno, "cannot create a Landlock ruleset") }
        do throws(LandlockError) {
            let read = Access.execute | Access.readFile | Access.readDirectory
            for path in confinement.readable { try allow(path, read & handled, in: ruleset) }
            for path in confinement.writable { try allow(path, handled, in: ruleset) }
            for path in confinement.devices {
                try allow(path, (Access.readFile | Access.writeFile | Access.ioctlDevice) & handled, in: ruleset)
            }
            // The child's stdin, opened after the fork, and where tools send what they throw away.
            if confinement.nullDevice {
                try allow("/dev/null", (Access.readFile | Access.writeFile | Access.ioctlDevice | Access.truncate) & handled, in: ruleset)
            }
        } catch {
            close(ruleset)
            throw error
        }
        return ruleset
    }

    /// Takes on `ruleset` for the calling thread and what it starts from now on.
    static func restrict(to ruleset: Int32) throws(LandlockError) {
        // Without no_new_privs only a CAP_SYS_ADMIN thread may take on a domain; it also keeps a
        // setuid program from being started with more rights than the thread has.
        guard call(Number.prctl, 38 /* PR_SET_NO_NEW_PRIVS */, 1, 0, 0) == 0 else {
            throw LandlockError(errno: Glibc.errno, "cannot set no_new_privs")
        }
        guard call(Number.restrictSelf, Int(ruleset), 0, 0) == 0 else {
            throw LandlockError(errno: Glibc.errno, "cannot enforce the Landlock ruleset")
        }
    }

    /// One path-beneath rule. A missing path is skipped (there is nothing to read there anyway); a
    /// file gets only the rights that apply to files.
    private static func allow(_ path: String, _ access: UInt64, in ruleset: Int32) throws(LandlockError) {
        let fd = open(path, Self.openPath | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT || errno == ENOTDIR { return }
            throw LandlockError(errno: Glibc.errno, "cannot open \(path) for a Landlock rule")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw LandlockError(errno: Glibc.errno, "cannot stat \(path)") }
        let isDirectory = info.st_mode & S_IFMT == S_IFDIR
        let allowed = isDirectory ? access : access & Access.fileRights
        // struct landlock_path_beneath_attr is packed: u64 allowed_access, then s32 parent_fd.
        var rule = [UInt8](repeating: 0, count: 12)
        withUnsafeBytes(of: allowed.littleEndian) { rule.replaceSubrange(0..<8, with: $0) }
        withUnsafeBytes(of: fd.littleEndian) { rule.replaceSubrange(8..<12, with: $0) }
        let added = rule.withUnsafeBytes {
            call(Number.addRule, Int(ruleset), 1 /* LANDLOCK_RULE_PATH_BENEATH */, Int(bitPattern: $0.baseAddress), 0)
        }
        guard added == 0 else { throw LandlockError(errno: Glibc.errno, "cannot add a Landlock rule for \(path)") }
    }

    /// O_PATH (Glibc's module does not export it): a descriptor that names a file without opening it.
    private static let openPath: Int32 = 0o10000000

    /// x86-64 system call numbers.
    private enum Number {
        static let prctl = 157
        static let createRuleset = 444
        static let addRule = 445
        static let restrictSelf = 446
    }

    /// LANDLOCK_ACCESS_FS_* bits.
    enum Access {
        static let execute: UInt64 = 1 << 0
        static let writeFile: UInt64 = 1 << 1
        static let readFile: UInt64 = 1 << 2
        static let readDirectory: UInt64 = 1 << 3
        static let refer: UInt64 = 1 << 13 // ABI 2
        static let truncate: UInt64 = 1 << 14 // ABI 3
        static let ioctlDevice: UInt64 = 1 << 15 // ABI 5
        /// LANDLOCK_ACCESS_NET_* (ABI 4) and LANDLOCK_SCOPE_* (ABI 6).
        static let bindTCP: UInt64 = 1 << 0
        static let connectTCP: UInt64 = 1 << 1
        static let scopeAbstractUnixSocket: UInt64 = 1 << 0
        static let scopeSignal: UInt64 = 1 << 1
        /// The rights a rule on a file (not a folder) may carry.
        static let fileRights = execute | writeFile | readFile | truncate | ioctlDevice

        /// Every file system right the kernel's ABI knows, so none is left unrestricted.
        static func handled(abi: Int) -> UInt64 {
            var rights: UInt64 = (1 << 13) - 1 // ABI 1: execute … make_sym
            if abi >= 2 { rights |= refer }
            if abi >= 3 { rights |= truncate }
            if abi >= 5 { rights |= ioctlDevice }
            return rights
        }
    }

    typealias Syscall = @convention(c) (Int, Int, Int, Int, Int, Int) -> Int
    private static let syscallFunction = CSymbol.lookup("syscall", as: Syscall.self)

    /// Unused arguments are passed as zero: prctl, for one, insists on it. Without `syscall(2)` in the
    /// C library every call fails with ENOSYS, which reads as "no Landlock" (tools run unconfined,
    /// with the warning that says so) rather than a crash.
    static func call(
        _ number: Int, _ a: Int, _ b: Int, _ c: Int, _ d: Int = 0, _ e: Int = 0,
        through function: Syscall? = syscallFunction
    ) -> Int {
        guard let function else {
            errno = ENOSYS
            return -1
        }
        return function(number, a, b, c, d, e)
    }
}

struct LandlockError: Error, Sendable, CustomStringConvertible {
    var errno: Int32
    var message: String
    init(errno: Int32, _ message: String) {
        self.errno = errno
        self.message = message
    }
    var description: String { "\(message) (\(String(cString: strerror(errno))))" }
}
