import Foundation
import Testing

@testable import Site

/// Starts a server on a free port for `body`, and stops it afterwards even when `body` throws.
func withServer<T>(
    root: URL, limits: ServerLimits = .standard, endpoints: [PostEndpoint] = [],
    _ body: (DevServer, RawHTTP) async throws -> T
) async throws -> T {
    let server = DevServer(root: root, port: 0, limits: limits, endpoints: endpoints)
    try await server.start()
    do {
        let result = try await body(server, RawHTTP(port: server.port))
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}

@Suite struct DevServerTests {
    let scratch = Scratch()

    @Test func servesTheSiteOnLoopbackWithReload() async throws {
        _ = try await build(Repo.fixture, into: scratch)
        try await withServer(root: scratch.url.appendingPathComponent("out")) { server, http in
            let page = try #require(await http.get("/foundations/what-is-a-vm.html"))
            #expect(page.status == 200)
            #expect(page.header("Content-Type") == "text/html; charset=utf-8")
            #expect(page.body.contains("What is a virtual machine?"))
            #expect(page.body.contains("new EventSource(\"/__hypercourse/events\")"))
            #expect(page.body.contains("data-token=\"\(server.token)\""))
            #expect(page.header("Content-Length") == String(page.body.utf8.count))
            #expect(await http.get("/foundations/")?.body.contains("<h1 id=\"hc-page-title\">Foundations</h1>") == true)
            let redirect = try #require(await http.get("/foundations"))
            #expect(redirect.status == 301 && redirect.header("Location") == "/foundations/")
            #expect(await http.get("/assets/style.css")?.header("Content-Type")?.hasPrefix("text/css") == true)
            let missing = try #require(await http.get("/nope.html"))
            #expect(missing.status == 404 && missing.body.contains("Page not found"))
            #expect(await http.get("/../../etc/passwd")?.status == 400)
            #expect(await http.get("/%2e%2e/%2e%2e/etc/passwd")?.status == 400)
            #expect(await http.get("/foundations/%00x")?.status == 400)
            let head = try #require(await http.get("/foundations/what-is-a-vm.html", method: "HEAD"))
            #expect(head.status == 200 && head.body.isEmpty && head.header("Content-Length") == page.header("Content-Length"))
            #expect(await http.get("/", method: "DELETE")?.status == 405)
        }
    }

    /// The site is read where the build left it, never from elsewhere through a link in it.
    @Test func aSymlinkOutOfTheSiteIsNotFollowedOutward() async throws {
        _ = try await build(Repo.fixture, into: scratch)
        let out = scratch.url.appendingPathComponent("out")
        let secret = scratch.write(["secret.txt": "top secret"], in: "elsewhere").appendingPathComponent("secret.txt")
        try FileManager.default.createSymbolicLink(at: out.appendingPathComponent("leak.txt"), withDestinationURL: secret)
        try await withServer(root: out) { _, http in
            let reply = try #require(await http.get("/leak.txt"))
            #expect(reply.status == 404 && !reply.body.contains("top secret"))
        }
    }

    @Test func openPagesHearReloadAndFailureEvents() async throws {
        _ = try await build(Repo.fixture, into: scratch)
        try await withServer(root: scratch.url.appendingPathComponent("out")) { server, http in
            // A long receive timeout: it bounds only a failing run, and the server tests run beside
            // 300 trickling connections on two cores, where 5 s was once not enough for an event.
            let fd = RawHTTP.connect(to: server.port, timeout: 30)
            defer { close(fd) }
            RawHTTP.send(fd, "GET /__hypercourse/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(await RawHTTP.text(from: fd, until: ": connected").lowercased().contains("content-type: text/event-stream"))
            server.reload()
            #expect(await RawHTTP.text(from: fd, until: "data: 1").contains("event: reload"))
            server.showFailure("x.md:3: error: <broken>")
            #expect(await RawHTTP.text(from: fd, until: "broken").contains("event: failed\ndata: \"x.md:3: error: \\u003cbroken"))
        }
    }

    /// A failure stays on show for pages opened after it, until a build succeeds; before the first
    /// successful build there is no site, and every URL explains that.
    @Test func aFailureIsShownToPagesOpenedLaterUntilABuildSucceeds() async throws {
        try await withServer(root: scratch.url.appendingPathComponent("not-built-yet")) { server, http in
            #expect(await http.get("/")?.status == 404)
            server.showFailure("x.md:3: error: <broken>")
            let waiting = try #require(await http.get("/"))
            #expect(waiting.status == 503 && waiting.body.contains("The build failed") && waiting.body.contains("new EventSource("))
            #expect(await firstEvent(server.port, until: "broken").contains("event: failed\ndata: \"x.md:3: error: \\u003cbroken"))
            server.reload()
            #expect(await !firstEvent(server.port, seconds: 1).contains("event: failed"))
            #expect(await http.get("/")?.status == 404)
        }
    }

    /// What an events connection receives until `marker` arrives, or in `seconds`.
    func firstEvent(_ port: UInt16, until marker: String? = nil, seconds: Int = 5) async -> String {
        let fd = RawHTTP.connect(to: port, timeout: seconds)
        defer { close(fd) }
        RawHTTP.send(fd, "GET /__hypercourse/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        return await RawHTTP.text(from: fd, until: marker)
    }

    /// DNS rebinding: a page whose own name resolves to 127.0.0.1 reaches the server with that name
    /// in Host; only loopback names are answered.
    @Test func onlyLoopbackHostsAreAnswered() async throws {
        _ = try await build(Repo.fixture, into: scratch)
        try await withServer(root: scratch.url.appendingPathComponent("out")) { server, http in
            let port = server.port
            for host in ["localhost", "127.0.0.1", "localhost:\(port)", "127.0.0.1:\(port)", "[::1]:\(port)", "LOCALHOST", "127.1.2.3"] {
                #expect(await http.get("/", host: host)?.status == 200, "\(host)")
            }
            let foreign: [String?] = [
                "evil.example", "evil.example:\(port)", "localhost.evil.example", "127.0.0.1.evil.example", "[::2]", nil, "",
                "localhost:99999", "[::1]x", "127.0.0.1:", "127.0.0.256"
            ]
            for host in foreign {
                let refused = await http.get("/", host: host)
                // No Host at all is malformed HTTP/1.1: the library may refuse it (400) before our check (421).
                #expect(refused.map { [400, 421].contains($0.status) && !$0.body.contains("<html") } == true, "\(host ?? "no Host")")
            }
            #expect(await http.get("/__hypercourse/events", host: "evil.example")?.status == 421)
        }
    }

    /// A build swaps the whole output folder in at once; every answer is one site's file, whole.
    @Test func answersDuringSwapsAreOneSitesFileWhole() async throws {
        let out = scratch.url.appendingPathComponent("out")
        let old = String(repeating: "old ", count: 5_000), new = String(repeating: "new ", count: 7_000)
        scratch.write(["page.html": old], in: "out")
        scratch.write(["page.html": new], in: "next")
        try await withServer(root: out) { _, http in
            let next = scratch.url.appendingPathComponent("next")
            // The build's own swap: both folders exchanged in one step, over and over.
            try #require(OutputFolder.exchange(out, next))
            let swapper = Task.detached {
                for _ in 0..<400 { _ = OutputFolder.exchange(out, next) }
            }
            var seen = Set<String>()
            for _ in 0..<60 {
                let reply = try #require(await http.get("/page.html"))
                #expect(reply.status == 200)
                let text = reply.body.components(separatedBy: "<script id=\"hc-live\"").first ?? ""
                #expect(text == old || text == new)
                seen.insert(String(text.prefix(3)))
            }
            await swapper.value
            #expect(!seen.isEmpty)
        }
    }
}

@Suite struct ChangeWatcherTests {
    let scratch = Scratch()

    /// A file rewritten within the same modification time but with another size is a change: the
    /// fingerprint keeps both exactly (summed in one Double, the size would vanish).
    @Test func watcherNoticesASameTimeSizeChange() throws {
        let content = scratch.write(["a/x.md": "one"])
        let file = content.appendingPathComponent("a/x.md")
        let stamp = Date(timeIntervalSince1970: 1_700_000_000)
        try FileManager.default.setAttributes([.modificationDate: stamp], ofItemAtPath: file.path)
        var watcher = ChangeWatcher(folders: [content])
        let handle = try FileHandle(forWritingTo: file)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("!".utf8))
        try handle.close()
        try FileManager.default.setAttributes([.modificationDate: stamp], ofItemAtPath: file.path)
        let changed = watcher.changed()
        #expect(changed)
    }

    /// The build's own writes (exercise records beside the lessons) do not start another build.
    @Test func watcherAbsorbsTheBuildsOwnWrites() throws {
        let content = scratch.write(["a/x.md": "one"])
        var watcher = ChangeWatcher(folders: [content])
        let record = scratch.write(["a/x.exercises.json": "{}"]).appendingPathComponent("a/x.exercises.json")
        watcher.absorb([record])
        var changed = watcher.changed()
        #expect(!changed)
        try "{\"v\": 2}".write(to: record, atomically: true, encoding: .utf8)
        watcher.absorb([record])
        changed = watcher.changed()
        #expect(!changed)
        // An author's edit at the same time is still seen.
        try "{\"v\": 3}".write(to: record, atomically: true, encoding: .utf8)
        scratch.write(["a/x.md": "two"])
        watcher.absorb([record])
        changed = watcher.changed()
        #expect(changed)
    }

    @Test func watcherNoticesEdits() throws {
        let content = scratch.write(["a/x.md": "one"])
        var watcher = ChangeWatcher(folders: [content])
        var changed = watcher.changed()
        #expect(!changed)
        try "two!".write(to: content.appendingPathComponent("a/x.md"), atomically: true, encoding: .utf8)
        changed = watcher.changed()
        #expect(changed)
        changed = watcher.changed()
        #expect(!changed)
        scratch.write(["a/y.md": "new"])
        changed = watcher.changed()
        #expect(changed)
    }
}
