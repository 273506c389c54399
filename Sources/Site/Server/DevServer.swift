import Common
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// The server of `hypercourse serve`, on Hummingbird: the built site from the output folder, bound
/// to 127.0.0.1 and answering only to loopback names, with Server-Sent Events that tell open pages
/// to reload after a rebuild (the reload script is added to HTML responses, so the built site itself
/// stays clean). `ServerLimits` bounds what clients can hold; `PostEndpoint`s add guarded POST routes.
public final class DevServer: Sendable {
    public let root: URL
    /// Random for each server. The pages it serves carry it (`data-token` on the reload script);
    /// every `PostEndpoint` requires it, and no other origin can read it from them.
    public let token: String
    let limits: ServerLimits
    let live: LiveReload
    let ledger: ConnectionLedger
    private let endpoints: [PostEndpoint]
    private let requestedPort: UInt16
    private let running = Locked(Running())

    private struct Running {
        var port: UInt16 = 0
        var tasks: [Task<Void, Never>] = []
    }

    /// `port` 0 picks a free port; `start()` binds it.
    public init(root: URL, port: UInt16, limits: ServerLimits = .standard, endpoints: [PostEndpoint] = []) {
        self.root = root.standardizedFileURL
        self.requestedPort = port
        self.limits = limits
        self.endpoints = endpoints
        self.token = Self.randomToken()
        self.live = LiveReload(maxStreams: limits.maxEventStreams)
        self.ledger = ConnectionLedger(capacity: limits.maxConnections)
    }

    /// The port it listens on, once `start()` returned.
    public var port: UInt16 { running.withLock { $0.port } }

    /// Binds 127.0.0.1 and serves in the background until `stop()`; throws when it cannot listen.
    public func start() async throws {
        let port: UInt16
        do {
            port = try await listen()
        } catch {
            await stop()
            throw SiteError("cannot listen on 127.0.0.1:\(requestedPort): \(Self.reason(error))")
        }
        let ping = Task { [live, limits] in
            while (try? await Task.sleep(for: limits.eventStreamPing)) != nil { live.ping() }
        }
        running.withLock {
            $0.port = port
            $0.tasks.append(ping)
        }
    }

    /// Runs the application in a task; returns the port once it listens, or why it could not.
    private func listen() async throws -> UInt16 {
        // The first of "listening" and "ended" wins; what the stream is told after it finished is dropped.
        let (outcome, report) = AsyncThrowingStream.makeStream(of: UInt16.self)
        let app = makeApplication { channel in
            report.yield(UInt16(channel.localAddress?.port ?? 0))
            report.finish()
        }
        let server = Task {
            do {
                try await app.run()
                report.finish(throwing: SiteError("the server ended before it listened"))
            } catch {
                report.finish(throwing: error)
            }
        }
        running.withLock { $0.tasks.append(server) }
        for try await port in outcome { return port }
        throw SiteError("the server ended before it listened")
    }

    /// Stops listening and ends every connection.
    public func stop() async {
        let tasks = running.withLock { running in
            defer { running.tasks = [] }
            return running.tasks
        }
        live.finishAll()
        tasks.forEach { $0.cancel() }
        for task in tasks { await task.value }
    }

    /// Tells every open page to reload (after a build succeeded).
    public func reload() { live.reload() }

    /// Shows a build failure on every open page, and on every page opened until a build succeeds.
    public func showFailure(_ message: String) { live.showFailure(message) }

    // MARK: Assembly

    private func makeApplication(onRunning: @escaping @Sendable (any Channel) async -> Void) -> some ApplicationProtocol {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: LoopbackOnly())
        router.add(middleware: SiteFiles(root: root, live: live, snippet: Self.snippet(token: token)))
        router.get(RouterPath(LiveReload.eventsPath)) { [live] _, _ in Self.eventStream(live) }
        for endpoint in endpoints { add(endpoint, to: router) }
        var logger = Logger(label: "hypercourse.serve")
        // Client errors (a closed tab, a refused connection) are normal here; only failures count.
        logger.logLevel = .critical
        let ledger = ledger
        let http = HTTP1Channel.Configuration(
            additionalChannelHandlers: [ConnectionTracker(ledger: ledger)],
            idleTimeout: TimeAmount(limits.headerTimeout),
            httpDecoderConfiguration: .init(
                maxHeaderFieldSize: limits.maxHeaderBytes, maxHeaderListSize: limits.maxHeaderBytes, maxHeaderFieldCount: 100)
        )
        return Application(
            router: router,
            server: .http1(configuration: http),
            configuration: .init(address: .hostname("127.0.0.1", port: Int(requestedPort))),
            onServerRunning: onRunning,
            logger: logger
        )
    }

    private func add(_ endpoint: PostEndpoint, to router: Router<BasicRequestContext>) {
        let guarded = PostGuard<BasicRequestContext>(
            token: token, port: { [weak self] in self?.port ?? 0 }, maxBodyBytes: endpoint.maxBodyBytes,
            bodyTimeout: endpoint.bodyTimeout, gate: AdmissionGate(running: endpoint.concurrent, queued: endpoint.queued))
        let path = RouterPath(endpoint.path)
        router.group(path).add(middleware: guarded).post { request, _ in
            let body = try await request.body.collect(upTo: .max)
            let reply = await endpoint.handle(Data(buffer: body))
            let headers: HTTPFields = [.contentType: reply.contentType, .cacheControl: "no-store"]
            return Response(status: .init(code: reply.status), headers: headers, body: .init(byteBuffer: ByteBuffer(data: reply.body)))
        }
        for method: HTTPRequest.Method in [.get, .head, .put, .delete, .patch] {
            router.on(path, method: method) { _, _ in
                var refused = Response.plainText(.methodNotAllowed, "only POST\n")
                refused.headers[.allow] = "POST"
                return refused
            }
        }
    }

    /// A page's event stream: open until the page goes or the server stops.
    private static func eventStream(_ live: LiveReload) -> Response {
        let (id, frames) = live.subscribe()
        let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache"]
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                defer { live.unsubscribe(id) }
                for await frame in frames { try await writer.write(ByteBuffer(string: frame)) }
                try await writer.finish(nil)
            })
    }

    private static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in String(generator.next() as UInt64, radix: 16).leftPadded(to: 16) }.joined()
    }

    private static func reason(_ error: any Error) -> String {
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)) }
        return "\(error)"
    }

    static func snippet(token: String) -> String {
        """
        <script id="hc-live" data-token="\(token)">(function(){if(!window.EventSource)return;var s=new EventSource("\(LiveReload.eventsPath)");\
        s.addEventListener("reload",function(){location.reload();});\
        s.addEventListener("failed",function(e){var d=document.getElementById("hc-build-error")||document.createElement("pre");\
        d.id="hc-build-error";d.style.cssText="position:fixed;left:1rem;right:1rem;bottom:1rem;z-index:99;max-height:40vh;overflow:auto;\
        margin:0;padding:1rem;background:#3a1717;color:#ffd7d7;border-radius:8px;font:13px/1.5 monospace;white-space:pre-wrap";\
        d.textContent=JSON.parse(e.data);document.body.appendChild(d);});})();</script>
        """
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
