import Common
import Exercises
import Foundation
import Site

/// The playground's seam joined: Site's endpoint asks for a try, the engine's `Playground` runs it,
/// and its outcome comes back as the `ExerciseView` a build would show. Mapping only.
struct PlaygroundAdapter: ExercisePlayground {
    let playground: Playground

    func tryOut(_ block: ExerciseBlock, shownSource: String, course: [ExerciseBlock]) async -> PlaygroundOutcome {
        switch await playground.tryOut(block, shownSource: shownSource, course: course) {
        case .ran(let outcome): .ran(ExerciseAdapter.view(outcome))
        case .failed(let problems): .failed(problems.map { PlaygroundError(line: $0.shownLine, place: $0.place, message: $0.message) })
        }
    }

    func wholeSource(_ block: ExerciseBlock, shownSource: String) -> String? {
        guard let spec = playground.edited(block, shownSource: shownSource) else { return nil }
        return ExerciseAdapter.program(spec, includes: [])?.text
    }
}
