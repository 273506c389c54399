import Foundation

/// What one `hypercourse serve` allows a client. Every number bounds something a client (any local
/// process, or any web page the student visits, through the browser) could otherwise hold without end.
public struct ServerLimits: Sendable {
    /// Time a connection may take to send a complete request head, and may stay idle between
    /// requests. A client that trickles a header byte at a time is closed when it runs out, however
    /// busy it keeps the socket.
    public var headerTimeout: Duration = .seconds(10)
    /// Connections open at once. When a new one would pass it, the one that has waited longest
    /// without a request in progress is closed to make room (a slow client loses, a new client is
    /// served); when every connection has a request in progress, the new one is refused.
    public var maxConnections = 128
    /// Open pages listening for reload events; the oldest is ended beyond it (its page reconnects).
    public var maxEventStreams = 64
    /// Bytes in a request head (request line and headers).
    public var maxHeaderBytes = 16 * 1024
    /// How often an idle event stream gets a comment line, so streams of closed pages are noticed.
    public var eventStreamPing: Duration = .seconds(20)

    public init() {}

    public static let standard = ServerLimits()
}
