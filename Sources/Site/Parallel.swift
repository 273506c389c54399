import Common
import Foundation

/// Runs `body` for every index on all cores and returns the results in index order. Every
/// index runs even when some fail; the errors come back in index order, so a build reports all
/// its problems at once.
func parallelMap<T>(_ count: Int, _ body: @Sendable (Int) throws -> T) -> [Result<T, any Error>] {
    concurrentMap(count) { index in Result { try body(index) } }
}

/// Collects `SiteError`s (and `BuildFailure`s and `BodyFailure`s) from results; rethrows anything else.
func collectFailures<T>(_ results: [Result<T, any Error>]) throws -> (values: [T], errors: [SiteError]) {
    var values: [T] = []
    var errors: [SiteError] = []
    values.reserveCapacity(results.count)
    for result in results {
        switch result {
        case .success(let value): values.append(value)
        case .failure(let error): errors += try siteErrors(error)
        }
    }
    return (values, errors)
}

/// The author-facing errors an error carries; anything else (a bug) is rethrown.
func siteErrors(_ error: any Error) throws -> [SiteError] {
    switch error {
    case let error as SiteError: [error]
    case let failure as BuildFailure: failure.errors
    case let failure as BodyFailure: failure.errors
    default: throw error
    }
}
