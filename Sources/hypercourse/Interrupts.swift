import Exercises
import Foundation

/// Ctrl-C, SIGTERM and SIGHUP during a command: remove this process's scratch folders, then die of
/// the same signal, so the shell sees an interrupted command. The output folder needs nothing: a
/// build writes beside it and swaps only at the end, and the next build removes a half-written one.
///
/// The handler only notes the signal and writes its number to a pipe (all a handler may safely
/// do); a thread reads it and does the work. Meanwhile the rest of the build may trip over the
/// vanishing scratch files, so their messages go to /dev/null, and a normal exit waits for the
/// signal instead of reporting a misleading failure. Handled signals return to their defaults in
/// child processes at `exec`, so nasm and clang still die of a Ctrl-C as before.
enum Interrupts {
    nonisolated(unsafe) private static var pipeFDs: [Int32] = [-1, -1]
    nonisolated(unsafe) private static var installed = false
    nonisolated(unsafe) fileprivate static var received: Int32 = 0

    static func install() {
        guard !installed, pipe(&pipeFDs) == 0 else { return }
        installed = true
        atexit {
            // Exiting normally while the interrupt is handled: wait to die of the signal instead.
            while Interrupts.received != 0 { pause() }
        }
        let thread = Thread {
            var number: UInt8 = 0
            while read(pipeFDs[0], &number, 1) != 1 {}
            let null = open("/dev/null", O_WRONLY)
            if null >= 0 {
                dup2(null, STDOUT_FILENO)
                dup2(null, STDERR_FILENO)
            }
            ScratchFolders.removeAll()
            signal(Int32(number), SIG_DFL)
            // This thread may have inherited a mask that blocks the signal (threads of Swift's
            // concurrency pool block signals), and a blocked signal raised here would be lost.
            var only = sigset_t()
            sigemptyset(&only)
            sigaddset(&only, Int32(number))
            pthread_sigmask(SIG_UNBLOCK, &only, nil)
            raise(Int32(number))
        }
        thread.start()
        for number in [SIGINT, SIGTERM, SIGHUP] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signalNumber in
                Interrupts.received = signalNumber
                var byte = UInt8(truncatingIfNeeded: signalNumber)
                _ = write(Interrupts.pipeFDs[1], &byte, 1)
            }
            action.sa_flags = SA_RESTART
            sigemptyset(&action.sa_mask)
            sigaction(number, &action, nil)
        }
    }
}
