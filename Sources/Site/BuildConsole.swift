import Foundation

/// A build's progress and diagnostics on stderr, for the command line: one updating line on a
/// terminal, plain lines elsewhere (a CI log, a pipe). Events arrive from the render threads, so
/// every write holds the lock.
public final class BuildConsole: @unchecked Sendable {
    // unchecked Sendable: `lineOpen`, the only mutable field, and every write to `sink` are under `lock`.
    private let lock = NSLock()
    private let progress: Bool
    private let terminal: Bool
    private let sink: @Sendable (String) -> Void
    private var lineOpen = false

    /// `progress`: show `[done/total] page` lines. `sink` receives the text (stderr by default).
    public init(
        progress: Bool, terminal: Bool = isatty(STDERR_FILENO) == 1,
        sink: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }
    ) {
        self.progress = progress
        self.terminal = terminal
        self.sink = sink
    }

    public func report(_ event: BuildEvent) {
        lock.withLock {
            switch event {
            case .progress(let done, let total, let name):
                guard progress else { return }
                if terminal {
                    sink("\r\u{1B}[K[\(done)/\(total)] \(name)")
                    lineOpen = true
                } else {
                    sink("[\(done)/\(total)] \(name)\n")
                }
            case .warning(let warning):
                closeLine()
                sink("\(warning)\n")
            }
        }
    }

    /// Ends an open progress line, so what follows starts on a clean one.
    public func finishProgress() { lock.withLock { closeLine() } }

    public func error(_ text: String) {
        lock.withLock {
            closeLine()
            sink(text + "\n")
        }
    }

    private func closeLine() {
        if lineOpen { sink("\r\u{1B}[K") }
        lineOpen = false
    }
}
