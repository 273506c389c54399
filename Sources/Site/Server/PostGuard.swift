import Foundation
import HTTPTypes
import Hummingbird

/// The checks a `PostEndpoint` promises, as middleware in front of its handler (the Host check runs
/// earlier, for every request). The handler finds the body already read and checked, in memory.
/// Refusals are JSON `{"error": …}` and end the connection, so what is left of a refused body is
/// never read.
struct PostGuard<Context: RequestContext>: RouterMiddleware {
    let token: String
    /// The port the server listens on, known once it is bound.
    let port: @Sendable () -> UInt16
    let maxBodyBytes: Int
    let bodyTimeout: Duration
    let gate: AdmissionGate

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard LoopbackNames.isOwnOrigin(request.headers[.origin], port: port()) else {
            return Self.refusal(.forbidden, "cross-origin request refused: Origin must be this server's own pages")
        }
        guard let sent = request.headers[HTTPField.Name(PostEndpoint.tokenHeader)!], PostEndpoint.sameToken(sent, token) else {
            return Self.refusal(.forbidden, "missing or wrong \(PostEndpoint.tokenHeader)")
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBodyBytes {
            return Self.refusal(.contentTooLarge, "request body over \(maxBodyBytes) bytes")
        }
        var checked = request
        switch await Self.collect(request.body, limit: maxBodyBytes, timeout: bodyTimeout) {
        case .tooLarge: return Self.refusal(.contentTooLarge, "request body over \(maxBodyBytes) bytes")
        case .tooSlow: return Self.refusal(.requestTimeout, "request body not received in time")
        case .body(let buffer): checked.body = RequestBody(buffer: buffer)
        }
        guard await gate.enter() else {
            var busy = Self.refusal(.tooManyRequests, "too many requests at once; try again")
            busy.headers[.retryAfter] = "1"
            return busy
        }
        defer { gate.leave() }
        // The handler reads the body already collected here, from memory.
        return try await next(checked, context)
    }

    enum Collected {
        case body(ByteBuffer)
        case tooLarge
        case tooSlow
    }

    /// Reads the whole body, counting as it goes (a chunked body has no length to check first).
    static func collect(_ body: RequestBody, limit: Int, timeout: Duration) async -> Collected {
        await withTaskGroup(of: Collected?.self) { group in
            group.addTask {
                var collected = ByteBuffer()
                do {
                    for try await var buffer in body {
                        guard collected.readableBytes + buffer.readableBytes <= limit else { return .tooLarge }
                        collected.writeBuffer(&buffer)
                    }
                } catch {
                    return .tooSlow
                }
                return .body(collected)
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return Task.isCancelled ? nil : .tooSlow
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? .tooSlow
        }
    }

    static func refusal(_ status: HTTPResponse.Status, _ message: String) -> Response {
        let json = "{\"error\":\(SearchIndex.json(message))}\n"
        let headers: HTTPFields = [.contentType: "application/json", .cacheControl: "no-store", .connection: "close"]
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: json)))
    }
}

extension PostEndpoint {
    /// Compares without stopping at the first difference, so timing tells nothing about the token.
    static func sameToken(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
