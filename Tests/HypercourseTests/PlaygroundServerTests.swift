import Common
import Exercises
import Foundation
import Site
import Testing

@testable import hypercourse

/// The playground's run endpoint as `serve` wires it: the fixture course built with the real engine,
/// served by the real server, and every request real HTTP over a socket, as a page (or any other page
/// the student has open) would send it. One course and server serve every test (a build of the
/// fixture runs 14 guests; the suite runs beside timing-sensitive server tests); the server runs
/// until the test process ends, and its course is removed then (`Served.deinit` never runs).
@Suite(.serialized, .enabled(if: kvmPresent, "needs /dev/kvm: the fixture course builds by running its exercises"))
struct PlaygroundServerTests {
    static let shared = Task { try await Served.start() }
    /// A built course (the fixture unless given) and `serve`'s server with the playground, started on
    /// a free port.
    final class Served: @unchecked Sendable {
        // unchecked Sendable: every field is set once in `start` and only read afterwards.
        let course: FixtureCourse
        var server: DevServer!
        var origin: String { "http://127.0.0.1:\(server.port)" }

        init(course: FixtureCourse) { self.course = course }

        static func start(_ course: FixtureCourse = FixtureCourse()) async throws -> Served {
            let served = Served(course: course)
            atexit { ScratchCourses.removeAll() }
            ScratchCourses.add(served.course.root)
            let summary = try await served.course.build()
            let engine = BuildCommand.exerciseProvider(content: served.course.content.path).engine
            let playground = PlaygroundEndpoint(playground: PlaygroundAdapter(playground: Playground(engine: engine)))
            playground.serve(summary.served)
            served.server = DevServer(root: served.course.output, port: 0, endpoints: [playground.endpoint, playground.highlightEndpoint])
            try await served.server.start()
            return served
        }

        /// POSTs `body` to the run endpoint; each header can be left out or replaced.
        func post(
            _ body: String, token: String?? = .none, origin: String?? = .none, host: String? = nil, path: String = PlaygroundEndpoint.path
        ) async -> PlainHTTP.Reply? {
            var headers = ["Host: \(host ?? "127.0.0.1:\(server.port)")", "Content-Type: application/json"]
            if let origin = origin ?? self.origin { headers.append("Origin: \(origin)") }
            if let token = token ?? server.token { headers.append("\(PostEndpoint.tokenHeader): \(token)") }
            return await PlainHTTP.exchange(port: server.port, "POST \(path)", headers: headers, body: body)
        }

        func run(_ id: String, _ source: String, path: String = PlaygroundEndpoint.path) async -> PlainHTTP.Reply? {
            await post(
                String(decoding: try! JSONSerialization.data(withJSONObject: ["id": id, "source": source]), as: UTF8.self), path: path)
        }

        /// Every file under content/ and public/ with its bytes, to see that nothing changed.
        func files() -> [String: Data] {
            var found: [String: Data] = [:]
            for folder in [course.content, course.output] {
                let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)
                while let url = walker?.nextObject() as? URL {
                    if let data = FileManager.default.contents(atPath: url.path) { found[url.path] = data }
                }
            }
            return found
        }
    }

    static let protectedShown = "    mov al, 'P'\n    call putc\n    mov al, 10\n    call putc\n    hlt\n"

    @Test func anEditRunsWithItsHiddenLinesAndChangesNothingOnDisk() async throws {
        let served = try await Self.shared.value
        let before = served.files()
        // The hidden head (bits, org) and tail (%include of putc) go back around the edit.
        let edited = Self.protectedShown.replacingOccurrences(of: "'P'", with: "'<'")
        let reply = try #require(await served.run("fx-protected", edited))
        #expect(reply.status == 200, "\(reply.body)")
        let html = try #require(reply.json?["html"] as? String)
        #expect(html.contains("<samp>&lt;\n</samp>"), "the new output, escaped: \(html)")
        #expect(html.contains("id=\"exercise-fx-protected\""))
        #expect(html.contains("badge-playground"))
        #expect(
            html.contains("<span class=\"line\" id=\"exercise-fx-protected-L1\" data-line=\"1\">    <span class=\"k\">mov</span>"),
            "the edit, highlighted as the build highlights")
        #expect(reply.json?["end"] as? String == "halt")
        #expect(served.files() == before, "the playground wrote into content/ or public/")
    }

    @Test func theLessonsVersionGivesTheRecordedResultWithTraceAndSteps() async throws {
        let served = try await Self.shared.value
        // What Reset goes back to is the lesson's version: run as it is, it gives what the page shows.
        let figure = served.course.figure("fx-real")
        let shown =
            "    mov dx, 0x3f8        ; COM1\n    mov al, 'R'\n    out dx, al           ; one exit\n    mov al, 10\n    out dx, al\n    hlt\n"
        let reply = try #require(await served.run("fx-real", shown))
        #expect(reply.status == 200, "\(reply.body)")
        let html = try #require(reply.json?["html"] as? String)
        for part in [
            "<samp>R\n</samp>", "class=\"trace-table\"", "class=\"steps-table\"", "<td><code>io-out</code></td><td class=\"num\">2</td>"
        ] {
            #expect(html.contains(part), "\(part) in \(html)")
            #expect(figure.contains(part), "\(part) in the built card too")
        }
    }

    @Test func theEditorIsHighlightedAsTheBuiltCardAndCopiesTheWholeEdit() async throws {
        let served = try await Self.shared.value
        let shownC = "int main(void) {\n    outb(0x3f8, 'L');\n    printf(\"ong mode: %d + %d = %d\\n\", 2, 3, 2 + 3);\n    return 0;\n}\n"
        for (id, shown) in [("fx-protected", Self.protectedShown), ("fx-c-long", shownC)] {
            let reply = try #require(await served.run(id, shown, path: PlaygroundEndpoint.highlightPath))
            #expect(reply.status == 200, "\(reply.body)")
            let lines = try #require(reply.json?["lines"] as? [String])
            #expect(lines.count == shown.split(separator: "\n").count)
            let figure = served.course.figure(id)
            for (index, line) in lines.enumerated() {
                #expect(
                    figure.contains("data-line=\"\(index + 1)\">\(line)</span>"), "line \(index + 1) of \(id), \(line), as in \(figure)")
            }
            #expect(lines.joined().contains("<span class=\""), "highlighted: \(lines)")
        }
        // Copy all copies the edit with what the lesson hides put back, as a build would build it.
        let edited = shownC.replacingOccurrences(of: "return 0;", with: "return 7;")
        let reply = try #require(await served.run("fx-c-long", edited, path: PlaygroundEndpoint.highlightPath))
        #expect(reply.json?["program"] as? String == "// [hide]\n#include \"hypercourse.h\"\n// [show]\n" + edited)
        #expect(
            await served.post("{\"id\":\"fx-c-long\",\"source\":\"\"}", token: .some(nil), path: PlaygroundEndpoint.highlightPath)?.status
                == 403)
    }

    @Test func assemblerAndCompilerErrorsComeAtTheStudentsLine() async throws {
        let served = try await Self.shared.value
        let broken = Self.protectedShown.replacingOccurrences(of: "mov al, 10", with: "mov al, nowhere")
        let reply = try #require(await served.run("fx-protected", broken))
        #expect(reply.status == 422)
        let errors = try #require(reply.json?["errors"] as? [[String: Any]])
        #expect(errors.first?["line"] as? Int == 3, "\(errors)")
        #expect((errors.first?["message"] as? String)?.contains("nowhere") == true)

        // From a src= file with a hidden head: the line is still the student's.
        let long = "    mov dx, 0x3f8\n    bogus instruction\n"
        let fromFile = try #require(await served.run("fx-long", long))
        #expect(fromFile.status == 422)
        #expect((fromFile.json?["errors"] as? [[String: Any]])?.first?["line"] as? Int == 2, "\(fromFile.body)")

        let c = try #require(await served.run("fx-c-long", "int main(void) {\n    return undeclared;\n}\n"))
        #expect(c.status == 422)
        let cErrors = try #require(c.json?["errors"] as? [[String: Any]])
        #expect(cErrors.contains { $0["line"] as? Int == 2 && ($0["message"] as? String)?.contains("undeclared") == true }, "\(cErrors)")

        let marker = try #require(await served.run("fx-protected", "    hlt\n; [hide]\n"))
        #expect(marker.status == 422)
        #expect((marker.json?["errors"] as? [[String: Any]])?.first?["line"] as? Int == 2)
    }

    @Test func refusalsComeBeforeAnythingRuns() async throws {
        let served = try await Self.shared.value
        let body = "{\"id\":\"fx-real\",\"source\":\"hlt\\n\"}"
        #expect(await served.post(body, token: .some(nil))?.status == 403)
        #expect(await served.post(body, token: "0123")?.status == 403)
        #expect(await served.post(body, origin: "https://evil.example")?.status == 403)
        #expect(await served.post(body, origin: .some(nil))?.status == 403)
        #expect(await served.post(body, host: "evil.example")?.status == 421)
        // Refused from the head alone: the 300 kB are never sent (a socket closed on unread bytes is
        // reset, which could lose the answer).
        let oversized = await PlainHTTP.exchange(
            port: served.server.port, "POST \(PlaygroundEndpoint.path)",
            headers: ["Host: localhost", "Origin: \(served.origin)", "\(PostEndpoint.tokenHeader): \(served.server.token)"],
            body: "", declaredLength: 300_000)
        #expect(oversized?.status == 413)
        let get = await PlainHTTP.exchange(
            port: served.server.port, "GET \(PlaygroundEndpoint.path)", headers: ["Host: 127.0.0.1"], body: "")
        #expect(get?.status == 405)
        #expect(await served.post("not json")?.status == 400)
        #expect(await served.post("{\"id\":\"no-such\",\"source\":\"\"}")?.status == 404)
        // The token the pages carry is the one the endpoint wants.
        let page = await PlainHTTP.exchange(port: served.server.port, "GET /index.html", headers: ["Host: 127.0.0.1"], body: "")
        #expect(page?.body.contains("id=\"hc-live\" data-token=\"\(served.server.token)\"") == true)
    }

    @Test func aBurstOfAHundredRunsIsBoundedNotQueuedWithoutEnd() async throws {
        let served = try await Self.shared.value
        let statuses = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<100 {
                group.addTask { await served.run("fx-protected", Self.protectedShown)?.status ?? 0 }
            }
            return await group.reduce(into: [Int]()) { $0.append($1) }
        }
        let ran = statuses.filter { $0 == 200 }.count, refused = statuses.filter { $0 == 429 }.count
        #expect(ran + refused == 100, "every request answered with 200 or 429: \(statuses.sorted())")
        #expect(ran >= 2 && refused >= 50, "\(ran) ran, \(refused) refused")
        // And it still runs afterwards.
        #expect(await served.run("fx-protected", Self.protectedShown)?.status == 200)
    }
}

/// HTTP/1.1 over a plain socket, written byte for byte: the tests above send what no client library
/// would (a foreign Host, no Origin). One request per connection, read to the close.
enum PlainHTTP {
    struct Reply: Sendable {
        var status: Int
        var body: String
        var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] }
    }

    /// `declaredLength`, when given, is the Content-Length sent instead of the body's.
    static func exchange(port: UInt16, _ requestLine: String, headers: [String], body: String, declaredLength: Int? = nil) async -> Reply? {
        let length = declaredLength ?? body.utf8.count
        let request = ([requestLine + " HTTP/1.1"] + headers + ["Connection: close", "Content-Length: \(length)", "", body]).joined(
            separator: "\r\n")
        return await withCheckedContinuation { continuation in
            // Blocking socket calls on a thread of their own: the server answers on the cooperative threads.
            Thread { continuation.resume(returning: roundTrip(port: port, Array(request.utf8))) }.start()
        }
    }

    private static func roundTrip(port: UInt16, _ request: [UInt8]) -> Reply? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        // connect() takes the sockaddr_in as the generic sockaddr, reading only its own size.
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        var timeout = timeval(tv_sec: 120, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var sent = 0
        while sent < request.count {
            // A refusal may close the connection before the whole body is sent: then stop and read it.
            let n = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }
            sent += n
        }
        var received = [UInt8](), buffer = [UInt8](repeating: 0, count: 65536)
        while case let n = recv(fd, &buffer, buffer.count, 0), n > 0 { received += buffer[0..<n] }
        let text = String(decoding: received, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n"), let status = Int(text.split(separator: " ").dropFirst().first ?? "") else {
            return nil
        }
        return Reply(status: status, body: String(text[split.upperBound...]))
    }
}

/// The shared server's course folders, removed when the test process exits.
enum ScratchCourses {
    static let folders = Locked<[URL]>([])
    static func add(_ url: URL) { folders.withLock { $0.append(url) } }
    static func removeAll() {
        for url in folders.withLock({ $0 }) { try? FileManager.default.removeItem(at: url) }
    }
}
