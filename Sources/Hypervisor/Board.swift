import Synchronization

/// What a run's vCPUs share: the devices, output and exit counts (`ExitDispatcher`), the trace, the
/// dirty log's checkpoints, and how the run ended. One lock orders everything, so output from several
/// vCPUs is one stream in arrival order and exit numbers are global.
final class Board: Sendable {
    struct State {
        var dispatcher: ExitDispatcher
        var trace: Trace
        var checkpoints: [Checkpoint] = []
        var end: EndReason?
        var endedBy: Int?
        /// A host-side failure on a vCPU thread, thrown from the run once every thread is back.
        var failure: KVMError?
        /// Per vCPU: how many probes in a row found it idle (halted with interrupts off, or waiting
        /// for INIT and SIPI). Any exit of its own resets it.
        var idleProbes: [Int]
    }

    private let state: Mutex<State>
    let dirtyLog: DirtyLog?
    /// Probes in a row that must find every vCPU idle before the run ends as `halt`: a vCPU found idle
    /// once may have been woken since by another's IPI, which the next probe would see.
    static let idleConfirmations = 2

    init(dispatcher: ExitDispatcher, trace: Trace, cpus: Int, dirtyLog: DirtyLog?) {
        state = Mutex(State(dispatcher: dispatcher, trace: trace, idleProbes: Array(repeating: 0, count: cpus)))
        self.dirtyLog = dirtyLog
    }

    /// The state when every vCPU is back: for the result.
    var final: State { state.withLock { $0 } }

    /// Dispatches one exit of vCPU `cpu`; returns what to do and the exit's number in the run, or nil
    /// when the run is already over (the exit is then neither counted nor handled).
    func dispatch(_ exit: VMExit, cpu: Int, accesses: inout [Access]) throws(KVMError) -> (action: DispatchAction, number: Int)? {
        let dirtyLog = self.dirtyLog
        return try state.withLock { (state: inout State) throws(KVMError) -> (action: DispatchAction, number: Int)? in
            guard state.end == nil, state.failure == nil else { return nil }
            state.idleProbes[cpu] = 0
            var action = state.dispatcher.dispatch(exit, accesses: &accesses)
            let number = state.dispatcher.counts.total - 1
            if case .checkpoint(let value) = action {
                if let dirtyLog {
                    state.checkpoints.append(try dirtyLog.checkpoint(value, cpu: cpu, exitNumber: number))
                }
                action = state.dispatcher.counts.total >= state.dispatcher.exitLimit ? .end(.exitLimit) : .resume
            }
            return (action, number)
        }
    }

    var traceIsFull: Bool { state.withLock { $0.trace.isFull } }

    func markTraceTruncated() { state.withLock { $0.trace.truncated = true } }

    func appendTrace(_ entries: [(Int) -> TraceEntry]) {
        state.withLock { state in for entry in entries { state.trace.append(entry) } }
    }

    /// Records the end, if no vCPU has ended the run yet; returns whether this call did.
    @discardableResult
    func finish(_ reason: EndReason, by cpu: Int?) -> Bool {
        state.withLock { state in
            guard state.end == nil else { return false }
            state.end = reason
            state.endedBy = cpu
            return true
        }
    }

    /// A host-side failure on a vCPU thread: the run is over, and the error is thrown from it.
    func fail(_ error: KVMError) {
        state.withLock { state in
            if state.failure == nil { state.failure = error }
        }
    }

    /// The host-side failure of a vCPU thread, if any (without copying the rest of the state).
    var failure: KVMError? { state.withLock { $0.failure } }

    /// Whether the run is over: a vCPU ended it, or failed on the host side.
    var isOver: Bool { state.withLock { $0.end != nil || $0.failure != nil } }

    /// A probe found vCPU `cpu` idle or not; returns how many probes in a row have found every vCPU
    /// idle (the fewest of any vCPU). At `idleConfirmations` the run can end as `halt`.
    func reportProbe(cpu: Int, idle: Bool) -> Int {
        state.withLock { state in
            state.idleProbes[cpu] = idle ? state.idleProbes[cpu] + 1 : 0
            return state.idleProbes.min() ?? 0
        }
    }
}
