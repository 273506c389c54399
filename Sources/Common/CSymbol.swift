import Foundation

/// C library functions Swift's Glibc module does not import (`renameat2`, `pipe2`, `prlimit`, `syscall`, …),
/// looked up by name at run time.
public enum CSymbol {
    /// `name` as a function of `type`, or nil when this C library does not have it. `type` must be
    /// the function's real C signature: the cast cannot check it.
    public static func lookup<Function>(_ name: String, as type: Function.Type) -> Function? {
        // RTLD_DEFAULT (a null handle): search the libraries the process has already loaded.
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        // Unchecked by nature: the caller vouches that `type` is the symbol's C signature.
        return unsafeBitCast(symbol, to: type)
    }
}
