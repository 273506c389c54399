import Common
import Foundation
import Testing

@testable import Exercises

/// C functions looked up by name: a missing one is a value to handle, not a crash (they were
/// force-unwrapped, so a C library without one killed the process at the first tool run).
@Suite struct CSymbolTests {
    typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32

    @Test func aMissingSymbolIsNil() {
        #expect(CSymbol.lookup("hypercourse_no_such_function", as: Pipe2.self) == nil)
        #expect(CSymbol.lookup("pipe2", as: Pipe2.self) != nil)
        #expect(Subprocess.missingSymbol == nil) // this glibc has them all
    }

    @Test func withoutSyscallLandlockReadsAsUnavailable() {
        let result = Landlock.call(444, 0, 0, 1, through: nil)
        #expect(result == -1 && errno == ENOSYS)
    }
}
