import Foundation

/// A POST endpoint on the development server, for what runs code on the student's request (the
/// playground's run endpoint). Any web page the student visits can send requests to 127.0.0.1, so
/// before `handle` runs the server has checked, in this order (each a test in `PostGuardTests`):
/// the Host is a loopback name (421), the Origin is one of this server's own pages (403), the
/// request carries the server's random token in `X-Hypercourse-Token` (403; the server puts it into
/// the pages it serves, which no other origin can read), the body is at most `maxBodyBytes` (413)
/// and arrived within `bodyTimeout` (408); then it waits for one of `concurrent` slots behind at
/// most `queued` others, and is refused with 429 when the queue is full.
public struct PostEndpoint: Sendable {
    public struct Reply: Sendable {
        public var status: Int
        public var contentType: String
        public var body: Data

        public init(status: Int = 200, contentType: String = "application/json", body: Data) {
            self.status = status
            self.contentType = contentType
            self.body = body
        }
    }

    /// The URL path, for example `/__hypercourse/run`.
    public var path: String
    public var maxBodyBytes = 256 * 1024
    public var bodyTimeout: Duration = .seconds(10)
    /// Requests handled at once.
    public var concurrent = 2
    /// Requests waiting for a slot; one more is refused with 429.
    public var queued = 8
    /// Gets the request's body once every check passed.
    public var handle: @Sendable (Data) async -> Reply

    public init(path: String, handle: @escaping @Sendable (Data) async -> Reply) {
        self.path = path
        self.handle = handle
    }

    /// The header that carries the server's token.
    public static let tokenHeader = "X-Hypercourse-Token"
}
