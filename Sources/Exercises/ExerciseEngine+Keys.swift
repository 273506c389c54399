import Common
import Foundation

/// The record key an exercise would get now, found without running it.
enum CurrentRecordKey: Sendable {
    case known(String)
    /// The tools cannot be asked, so nobody can tell.
    case unknown
    /// The guest does not build: why.
    case broken([ExerciseProblem])
}

extension ExerciseEngine {
    /// For a build without KVM, which shows the records: each recorded exercise's record key as
    /// its source builds now, to tell whether the record still belongs to it. From this machine's
    /// cache where the same inputs were built before, else by building the guest (on all cores;
    /// nothing runs).
    func currentRecordKeys(
        _ recorded: [(slot: Int, spec: ExerciseSpec, includes: [String])], builder: GuestBuilder,
        tools: ToolIdentities, cache: ResultCache
    ) -> [Int: CurrentRecordKey] {
        let found = Locked<[Int: CurrentRecordKey]>([:])
        let pool = WorkPool()
        var building = false
        for (slot, spec, includes) in recorded {
            guard let inputs = tools.inputsKey(spec, includes: includes) else {
                found.withLock { $0[slot] = .unknown }
                continue
            }
            if let key = cache.recordKey(forInputs: inputs) {
                found.withLock { $0[slot] = .known(key) }
                continue
            }
            building = true
            pool.submit {
                let key: CurrentRecordKey
                switch Result(catching: { () throws(ExerciseFailure) -> BuiltGuest in try builder.build(spec, slot: slot) }) {
                case .success(let built):
                    let keys = tools.keys(spec, built: built)
                    cache.store(recordKey: keys.record, forInputs: keys.inputs)
                    key = keys.record.isEmpty ? .unknown : .known(keys.record)
                case .failure(let failure):
                    key = .broken(failure.problems)
                }
                found.withLock { $0[slot] = key }
            }
        }
        if building { pool.drain(threads: settings.threads) }
        return found.withLock { $0 }
    }
}
