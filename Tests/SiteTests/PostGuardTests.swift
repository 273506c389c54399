import Common
import Foundation
import Testing

@testable import Site

/// The guard in front of every POST endpoint (the playground's run endpoint will be one), with
/// real HTTP requests as any web page the student visits could send them to 127.0.0.1.
@Suite struct PostGuardTests {
    let scratch = Scratch()

    /// Counts the handler's runs, and the most that ever ran at once.
    final class Load: Sendable {
        private let state = Locked((now: 0, peak: 0, runs: 0))
        func enter() {
            state.withLock {
                $0.now += 1; $0.peak = max($0.peak, $0.now); $0.runs += 1
            }
        }
        func leave() { state.withLock { $0.now -= 1 } }
        var peak: Int { state.withLock { $0.peak } }
        var runs: Int { state.withLock { $0.runs } }
    }

    /// An endpoint that answers with what it received, after `delay`.
    static func echo(_ load: Load, delay: Duration = .zero, configure: (inout PostEndpoint) -> Void = { _ in }) -> PostEndpoint {
        var endpoint = PostEndpoint(path: "/__hypercourse/echo") { body in
            load.enter()
            defer { load.leave() }
            try? await Task.sleep(for: delay)
            return .init(contentType: "text/plain", body: Data("got ".utf8) + body)
        }
        configure(&endpoint)
        return endpoint
    }

    /// A POST as a browser page would send it, each part replaceable.
    static func post(
        port: UInt16, token: String?, origin: String?, host: String = "localhost", body: String = "hello",
        extraHeaders: String = ""
    ) -> String {
        var request = "POST /__hypercourse/echo HTTP/1.1\r\nHost: \(host)\r\nContent-Type: text/plain\r\n"
        if let origin { request += "Origin: \(origin)\r\n" }
        if let token { request += "\(PostEndpoint.tokenHeader): \(token)\r\n" }
        return request + extraHeaders + "Content-Length: \(body.utf8.count)\r\n\r\n" + body
    }

    @Test func aRequestFromTheServersOwnPageIsHandled() async throws {
        let load = Load()
        try await withServer(root: scratch.url, endpoints: [Self.echo(load)]) { server, http in
            let own = "http://127.0.0.1:\(server.port)"
            let reply = try #require(await http.exchange(Self.post(port: server.port, token: server.token, origin: own)))
            #expect(reply.status == 200 && reply.body == "got hello")
            #expect(reply.header("Cache-Control") == "no-store")
            let local = await http.exchange(Self.post(port: server.port, token: server.token, origin: "http://localhost:\(server.port)"))
            #expect(local?.status == 200)
            #expect(load.runs == 2)
        }
    }

    @Test func withoutTheTokenOrWithAnotherItIsRefused() async throws {
        let load = Load()
        try await withServer(root: scratch.url, endpoints: [Self.echo(load)]) { server, http in
            let own = "http://127.0.0.1:\(server.port)"
            let oneDigitOff = (server.token.first == "0" ? "1" : "0") + server.token.dropFirst()
            for token: String? in [nil, "", oneDigitOff, server.token + "0", String(server.token.prefix(8))] {
                let reply = try #require(await http.exchange(Self.post(port: server.port, token: token, origin: own)))
                #expect(reply.status == 403 && reply.body.contains("X-Hypercourse-Token"), "token \(token ?? "none")")
            }
            #expect(load.runs == 0)
        }
    }

    /// Tokens differ between servers, and the pages a server serves carry its own.
    @Test func eachServerHasItsOwnTokenInItsPages() async throws {
        scratch.write(["index.html": "<html><body>home</body></html>"], in: "site")
        let root = scratch.url.appendingPathComponent("site")
        let first = try await withServer(root: root) { server, http in
            #expect(await http.get("/")?.body.contains("data-token=\"\(server.token)\"") == true)
            return server.token
        }
        let second = try await withServer(root: root) { server, _ in server.token }
        #expect(first != second && first.count == 64 && second.count == 64)
    }

    @Test func aForeignOrMissingOriginIsRefused() async throws {
        let load = Load()
        try await withServer(root: scratch.url, endpoints: [Self.echo(load)]) { server, http in
            let port = server.port
            let foreign: [String?] = [
                nil, "null", "http://evil.example", "http://evil.example:\(port)", "https://127.0.0.1:\(port)",
                "http://127.0.0.1:\(port &+ 1)", "http://127.0.0.1", "http://localhost.evil.example:\(port)", "file://"
            ]
            for origin in foreign {
                let reply = try #require(await http.exchange(Self.post(port: port, token: server.token, origin: origin)))
                #expect(reply.status == 403 && reply.body.contains("Origin"), "\(origin ?? "no Origin")")
            }
            #expect(load.runs == 0)
        }
    }

    /// DNS rebinding: the page's own name, resolved to 127.0.0.1, is still in Host.
    @Test func aForeignHostIsRefused() async throws {
        let load = Load()
        try await withServer(root: scratch.url, endpoints: [Self.echo(load)]) { server, http in
            let own = "http://127.0.0.1:\(server.port)"
            let reply = try #require(
                await http.exchange(Self.post(port: server.port, token: server.token, origin: own, host: "evil.example:\(server.port)")))
            #expect(reply.status == 421)
            #expect(load.runs == 0)
        }
    }

    @Test func anOversizedBodyIsRefusedWithoutReadingIt() async throws {
        let load = Load()
        let endpoint = Self.echo(load) { $0.maxBodyBytes = 1000 }
        try await withServer(root: scratch.url, endpoints: [endpoint]) { server, http in
            let own = "http://127.0.0.1:\(server.port)"
            let fits = await http.exchange(
                Self.post(port: server.port, token: server.token, origin: own, body: String(repeating: "x", count: 1000)))
            #expect(fits?.status == 200)
            // Declared too large: refused from the head alone, and the connection is closed.
            let declared = try #require(
                await http.exchange(
                    Self.post(port: server.port, token: server.token, origin: own, body: String(repeating: "x", count: 1001))))
            #expect(declared.status == 413 && declared.header("Connection") == "close")
            // Chunked, with no length to check first: counted as it arrives.
            var chunked = Self.post(
                port: server.port, token: server.token, origin: own, body: "", extraHeaders: "Transfer-Encoding: chunked\r\n")
            chunked = chunked.replacingOccurrences(of: "Content-Length: 0\r\n", with: "")
            let chunk = String(repeating: "y", count: 600)
            chunked += "258\r\n\(chunk)\r\n258\r\n\(chunk)\r\n0\r\n\r\n"
            #expect(await http.exchange(chunked)?.status == 413)
            #expect(load.runs == 1)
        }
    }

    @Test func aBodyThatDoesNotArriveInTimeIsRefused() async throws {
        let load = Load()
        let endpoint = Self.echo(load) { $0.bodyTimeout = .seconds(1) }
        try await withServer(root: scratch.url, endpoints: [endpoint]) { server, _ in
            let fd = RawHTTP.connect(to: server.port, timeout: 10)
            defer { close(fd) }
            // Announces 100 bytes, sends 5.
            let request = Self.post(port: server.port, token: server.token, origin: "http://127.0.0.1:\(server.port)", body: "hello")
            RawHTTP.send(fd, request.replacingOccurrences(of: "Content-Length: 5", with: "Content-Length: 100"))
            let reply = await onItsOwnThread { RawHTTP.readReply(fd) }
            #expect(reply?.status == 408)
            #expect(load.runs == 0)
        }
    }

    @Test func onlyPostIsAccepted() async throws {
        let load = Load()
        try await withServer(root: scratch.url, endpoints: [Self.echo(load)]) { _, http in
            let reply = try #require(await http.get("/__hypercourse/echo"))
            #expect(reply.status == 405 && reply.header("Allow") == "POST")
            #expect(load.runs == 0)
        }
    }

    /// A flood: 40 requests at once against 2 slots and 3 places in the queue. Never more than 2
    /// run at once, the queue is served, and what does not fit is refused with 429 at once.
    @Test func aFloodIsRefusedWith429NotQueuedWithoutEnd() async throws {
        let load = Load()
        let endpoint = Self.echo(load, delay: .milliseconds(1500)) {
            $0.concurrent = 2
            $0.queued = 3
        }
        try await withServer(root: scratch.url, endpoints: [endpoint]) { server, http in
            let request = Self.post(port: server.port, token: server.token, origin: "http://127.0.0.1:\(server.port)")
            let statuses = await withTaskGroup(of: Int.self) { group in
                for _ in 0..<40 { group.addTask { await http.exchange(request)?.status ?? 0 } }
                return await group.reduce(into: [Int]()) { $0.append($1) }
            }
            let served = statuses.filter { $0 == 200 }.count, refused = statuses.filter { $0 == 429 }.count
            #expect(served + refused == 40, "\(statuses)")
            #expect(served >= 5 && refused >= 1, "\(served) served, \(refused) refused")
            #expect(load.peak <= 2)
        }
    }
}

@Suite struct PostGuardUnitTests {
    @Test func originsOfThisServerOnly() {
        #expect(LoopbackNames.isOwnOrigin("http://127.0.0.1:8000", port: 8000))
        #expect(LoopbackNames.isOwnOrigin("http://localhost:8000", port: 8000))
        #expect(LoopbackNames.isOwnOrigin("http://[::1]:8000", port: 8000))
        #expect(LoopbackNames.isOwnOrigin("http://localhost", port: 80))
        #expect(!LoopbackNames.isOwnOrigin("http://localhost", port: 8000))
        #expect(!LoopbackNames.isOwnOrigin("http://127.0.0.1:8001", port: 8000))
        #expect(!LoopbackNames.isOwnOrigin("http://127.0.0.1:8000/", port: 8000))
        #expect(!LoopbackNames.isOwnOrigin("http://evil.example:8000", port: 8000))
        #expect(!LoopbackNames.isOwnOrigin("null", port: 8000))
        #expect(!LoopbackNames.isOwnOrigin(nil, port: 8000))
    }

    @Test func tokensCompareWhole() {
        #expect(PostEndpoint.sameToken("abc", "abc"))
        #expect(!PostEndpoint.sameToken("abc", "abd"))
        #expect(!PostEndpoint.sameToken("abc", "abcd"))
        #expect(!PostEndpoint.sameToken("", "a"))
    }

    @Test func theGateAdmitsRunningPlusQueuedThenRefuses() async {
        let gate = AdmissionGate(running: 2, queued: 1)
        #expect(await gate.enter())
        #expect(await gate.enter())
        let waiter = Task { await gate.enter() }
        while gate.load.waiting == 0 { await Task.yield() }
        #expect(await gate.enter() == false)
        gate.leave()
        #expect(await waiter.value)
        #expect(gate.load == (running: 2, waiting: 0))
        gate.leave()
        gate.leave()
        #expect(gate.load == (running: 0, waiting: 0))
    }
}
