import Common
import Foundation

/// What the playground asks of the exercise side (the CLI wires the exercise engine in, as it does
/// for `ExerciseProvider`): run one block with the student's text in place of its shown source.
public protocol ExercisePlayground: Sendable {
    /// `course` holds every block of the course (a vmm's `guest=` names one of them).
    func tryOut(_ block: ExerciseBlock, shownSource: String, course: [ExerciseBlock]) async -> PlaygroundOutcome
}

public enum PlaygroundOutcome: Sendable {
    /// It ran: the card's new contents, as a build would show them.
    case ran(ExerciseView)
    /// It did not build or could not run.
    case failed([PlaygroundError])
}

/// Why a try failed: at a line of the student's text (`line`), somewhere they cannot edit
/// (`place`: an included file's `path:line`, a hidden line), or about the whole run.
public struct PlaygroundError: Sendable, Hashable, Encodable {
    public var line: Int?
    public var place: String?
    public var message: String

    public init(line: Int? = nil, place: String? = nil, message: String) {
        self.line = line
        self.place = place
        self.message = message
    }
}

/// The exercises of the site being served, and the theme their cards render with: a build's, kept
/// until the next build succeeds, so runs match the pages the server serves.
public struct ServedExercises: Sendable {
    let theme: Theme
    let blocks: [ExerciseBlock]

    /// The block whose `id=` is `id` (ids are unique in a course).
    func block(id: String) -> ExerciseBlock? { blocks.first { $0.option("id") == id } }
}

/// `POST /__hypercourse/run` on `serve`: `{"id": ID, "source": TEXT}` runs exercise ID with TEXT as its
/// shown source and answers `{"html": CARD}`, the card rendered by `partials/exercise` as the built
/// page renders it, or `{"errors": [{"line", "place", "message"}]}` (422). The `PostEndpoint` guard
/// (token, Origin, Host, size, bounded runs) stands in front of it.
public final class PlaygroundEndpoint: Sendable {
    public static let path = "/__hypercourse/run"
    let playground: any ExercisePlayground
    private let served = Locked<ServedExercises?>(nil)

    public init(playground: any ExercisePlayground) { self.playground = playground }

    /// The exercises of the site now being served (after each successful build).
    public func serve(_ exercises: ServedExercises?) { served.withLock { $0 = exercises } }

    /// The guarded endpoint for `DevServer(endpoints:)`.
    public var endpoint: PostEndpoint {
        var endpoint = PostEndpoint(path: Self.path) { [self] body in await self.answer(body) }
        // A build runs two guests per core; so does the playground, and a few more wait their turn.
        endpoint.concurrent = 2
        endpoint.queued = 8
        return endpoint
    }

    struct Request: Decodable {
        var id: String
        var source: String
    }

    func answer(_ body: Data) async -> PostEndpoint.Reply {
        guard let request = try? JSONDecoder().decode(Request.self, from: body) else {
            return Self.reply(400, ["error": "expected JSON {\"id\": EXERCISE, \"source\": TEXT}"])
        }
        guard let exercises = served.withLock({ $0 }) else {
            return Self.reply(503, ["error": "the site has not built yet"])
        }
        guard let block = exercises.block(id: request.id) else {
            return Self.reply(404, ["error": "no exercise '\(request.id)' on the site being served"])
        }
        switch await playground.tryOut(block, shownSource: request.source, course: exercises.blocks) {
        case .ran(var view):
            view.playgroundRun = true
            let html = ExerciseRenderer(theme: exercises.theme).html(for: view, block: block)
            return Self.reply(200, ["html": html, "end": view.end])
        case .failed(let errors):
            return Self.reply(422, Failure(errors: errors))
        }
    }

    struct Failure: Encodable {
        var errors: [PlaygroundError]
    }

    static func reply(_ status: Int, _ value: some Encodable) -> PostEndpoint.Reply {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return PostEndpoint.Reply(status: status, body: data)
    }
}
