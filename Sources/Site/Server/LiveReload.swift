import Common

/// The open pages' event streams (Server-Sent Events): "reload" after a build succeeds, "failed"
/// with the message after one fails. The last failure is kept until a build succeeds, so a page
/// opened after it shows it too.
final class LiveReload: Sendable {
    static let eventsPath = "/__hypercourse/events"

    private struct State {
        var failure: String?
        var streams: [Int: AsyncStream<String>.Continuation] = [:]
        var nextID = 0
    }

    let maxStreams: Int
    private let state = Locked(State())

    init(maxStreams: Int) { self.maxStreams = max(1, maxStreams) }

    /// The last build's failure, until a build succeeds.
    var failure: String? { state.withLock { $0.failure } }

    var openStreams: Int { state.withLock { $0.streams.count } }

    /// A new page's stream. It starts with a comment line (so a client knows it is connected) and,
    /// when the last build failed, that failure. Registered before the reply is sent, so an event
    /// sent as soon as the client sees the reply is not lost. Beyond `maxStreams` the oldest stream
    /// ends; its page's EventSource reconnects by itself.
    func subscribe() -> (id: Int, frames: AsyncStream<String>) {
        let (frames, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(16))
        let (id, evicted) = state.withLock { state -> (Int, AsyncStream<String>.Continuation?) in
            let id = state.nextID
            state.nextID += 1
            continuation.yield(": connected\n\n" + (state.failure.map { Self.frame(event: "failed", data: SearchIndex.json($0)) } ?? ""))
            state.streams[id] = continuation
            guard state.streams.count > maxStreams, let oldest = state.streams.keys.min() else { return (id, nil) }
            return (id, state.streams.removeValue(forKey: oldest))
        }
        evicted?.finish()
        return (id, frames)
    }

    func unsubscribe(_ id: Int) {
        state.withLock { $0.streams.removeValue(forKey: id) }?.finish()
    }

    /// Tells every open page to reload (after a build succeeded).
    func reload() {
        let streams = state.withLock { state in
            state.failure = nil
            return Array(state.streams.values)
        }
        streams.forEach { $0.yield(Self.frame(event: "reload", data: "1")) }
    }

    /// Shows a build failure on every open page, and on every page opened until a build succeeds.
    func showFailure(_ message: String) {
        let streams = state.withLock { state in
            state.failure = message
            return Array(state.streams.values)
        }
        streams.forEach { $0.yield(Self.frame(event: "failed", data: SearchIndex.json(message))) }
    }

    /// A comment line to every stream: writing it is how the server notices a page that is gone.
    func ping() {
        state.withLock { Array($0.streams.values) }.forEach { $0.yield(": ping\n\n") }
    }

    /// Ends every stream (the server is stopping).
    func finishAll() {
        state.withLock { state in
            defer { state.streams = [:] }
            return Array(state.streams.values)
        }.forEach { $0.finish() }
    }

    /// One Server-Sent Events message.
    static func frame(event: String, data: String) -> String { "event: \(event)\ndata: \(data)\n\n" }
}
