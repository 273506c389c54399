import Common
import Foundation

/// What the playground asks of the exercise side (the CLI wires the exercise engine in, as it does
/// for `ExerciseProvider`): run one block with the student's text in place of its shown source.
public protocol ExercisePlayground: Sendable {
    /// `course` holds every block of the course (a vmm's `guest=` names one of them).
    func tryOut(_ block: ExerciseBlock, shownSource: String, course: [ExerciseBlock]) async -> PlaygroundOutcome
    /// The whole source as a build would build it with `shownSource` in place of the shown lines, or
    /// nil when it cannot be (the edit has a marker line) or the card offers no whole program.
    func wholeSource(_ block: ExerciseBlock, shownSource: String) -> String?
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

    public static let highlightPath = "/__hypercourse/highlight"

    /// `POST /__hypercourse/highlight`: `{"id": ID, "source": TEXT}` answers `{"lines": [HTML]}`, TEXT
    /// highlighted as exercise ID's card highlights its source, so the editor shows what the built
    /// page would, and `"program"`: the whole source with TEXT in it, which Copy all copies while the
    /// editor is open. Behind the same guard as a run; it builds nothing, so more may run at once.
    public var highlightEndpoint: PostEndpoint {
        var endpoint = PostEndpoint(path: Self.highlightPath) { [self] body in self.highlight(body) }
        endpoint.concurrent = 4
        endpoint.queued = 16
        return endpoint
    }

    func highlight(_ body: Data) -> PostEndpoint.Reply {
        guard let request = try? JSONDecoder().decode(Request.self, from: body) else {
            return Self.reply(400, ["error": "expected JSON {\"id\": EXERCISE, \"source\": TEXT}"])
        }
        guard let block = served.withLock({ $0 })?.block(id: request.id) else {
            return Self.reply(404, ["error": "no exercise '\(request.id)' on the site being served"])
        }
        var text = request.source
        if text.hasSuffix("\n") { text.removeLast() }
        let program = playground.wholeSource(block, shownSource: request.source)
        return Self.reply(200, Highlighted(lines: ExerciseRenderer.highlightedLines(text, language: block.language), program: program))
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
        let profile = PhaseTimer(label: "profile playground answer \(request.id)")
        defer { profile.report() }
        let trial = await playground.tryOut(block, shownSource: request.source, course: exercises.blocks)
        profile.mark("try")
        switch trial {
        case .ran(var view):
            view.playgroundRun = true
            let html = ExerciseRenderer(theme: exercises.theme).html(for: view, block: block)
            profile.mark("render")
            return Self.reply(200, ["html": html, "end": view.end])
        case .failed(let errors):
            return Self.reply(422, Failure(errors: errors))
        }
    }

    struct Highlighted: Encodable {
        var lines: [String]
        var program: String?
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
