import Foundation
import Testing
@testable import Site

@Suite struct ThemeTests {
    let scratch = Scratch()

    @Test func courseOverridesTemplatesAndAssetsByName() async throws {
        let content = scratch.write([
            "course.yml": "title: T\ntemplates: theme/\n",
            "theme/partials/footer.mustache": "<footer class=\"custom\">{{course.title}} custom footer</footer>\n",
            "theme/assets/style.css": "body { color: rebeccapurple; }\n",
            "theme/assets/extra.js": "// extra\n",
            "01-c/x.md": "---\ntitle: X\n---\n",
        ])
        _ = try await build(content, into: scratch)
        #expect(scratch.read("out/c/x.html").contains("<footer class=\"custom\">T custom footer</footer>"))
        #expect(scratch.read("out/assets/style.css") == "body { color: rebeccapurple; }\n")
        #expect(scratch.exists("out/assets/extra.js"))
        #expect(scratch.exists("out/assets/site.js"))  // not overridden: from the built-in theme
        // The theme folder is not a chapter.
        #expect(!scratch.exists("out/theme"))
    }

    /// The stylesheet is kept in parts by concern and served as one file: the parts joined in name
    /// order. A course replaces one part by name, or adds one, without copying the rest.
    @Test func stylesheetPartsAreJoinedIntoOneFile() async throws {
        let parts = try FileManager.default.contentsOfDirectory(atPath: Repo.templates.appendingPathComponent("assets/style").path)
            .filter { $0.hasSuffix(".css") }.sorted()
        #expect(parts.count >= 5)
        let plain = scratch.write(["01-c/x.md": "---\ntitle: X\n---\n"], in: "plain")
        _ = try await build(plain, into: scratch, out: "out-plain")
        let joined = try parts.map { try String(contentsOf: Repo.templates.appendingPathComponent("assets/style/\($0)"), encoding: .utf8) }.joined()
        #expect(scratch.read("out-plain/assets/style.css") == joined)
        #expect(!scratch.exists("out-plain/assets/style"))  // the parts themselves are not copied
        #expect(scratch.read("out-plain/c/x.html").components(separatedBy: "rel=\"stylesheet\"").count == 2)

        let content = scratch.write([
            "course.yml": "title: T\ntemplates: theme/\n",
            "theme/assets/style/40-exercise.css": "/* my cards */\n",
            "theme/assets/style/45-mine.css": "/* mine */",
            "01-c/x.md": "---\ntitle: X\n---\n",
        ])
        _ = try await build(content, into: scratch)
        let sheet = scratch.read("out/assets/style.css")
        #expect(sheet.contains("/* my cards */\n/* mine */\n") && !sheet.contains(".exercise-head {"))
        #expect(sheet.hasPrefix(try String(contentsOf: Repo.templates.appendingPathComponent("assets/style/10-base.css"), encoding: .utf8)))
        #expect(sheet.hasSuffix(try String(contentsOf: Repo.templates.appendingPathComponent("assets/style/90-print.css"), encoding: .utf8)))
    }

    @Test func templatesOptionLayersOnTop() async throws {
        let content = scratch.write([
            "course.yml": "title: T\ntemplates: theme/\n",
            "theme/partials/footer.mustache": "<footer>from course</footer>\n",
            "01-c/x.md": "---\ntitle: X\n---\n",
        ])
        let cli = scratch.write(["partials/footer.mustache": "<footer>from --templates</footer>\n"], in: "cli-theme")
        _ = try await build(content, into: scratch, templates: cli)
        #expect(scratch.read("out/c/x.html").contains("<footer>from --templates</footer>"))
    }

    @Test func languageSelectsUIStringsWithEnglishFallback() async throws {
        let content = scratch.write([
            "course.yml": "title: 虚拟化\nlanguage: zh-Hans\ntemplates: theme/\n",
            "theme/i18n/zh.yml": "next: \"下一页\"\nprevious: \"上一页\"\non_this_page: \"本页内容\"\n",
            "01-c/x.md": "---\ntitle: 第一课\n---\n\n## 简介\n\n文字。\n",
            "01-c/y.md": "---\ntitle: 第二课\n---\n",
        ])
        let summary = try await build(content, into: scratch)
        let page = scratch.read("out/c/x.html")
        #expect(page.hasPrefix("<!DOCTYPE html>\n<html lang=\"zh-Hans\" dir=\"ltr\">"))
        #expect(page.contains("<span class=\"pager-label\">下一页 →</span>"))
        #expect(page.contains("<h2 id=\"hc-toc-title\" class=\"toc-title\">本页内容</h2>"))
        #expect(page.contains("Skip to content"))  // missing in zh.yml: English
        #expect(page.contains("<h2 id=\"简介\">"))
        #expect(summary.warnings.contains { $0.message.hasPrefix("missing UI strings (English used):") })
        let entries = try searchEntries(scratch.read("out/search-index.js"))
        #expect(entries.contains { $0["h"] == "简介" && $0["x"] == "文字。" && $0["u"] == "c/x.html#简介" })
    }

    /// The theme compiled into the program is `templates/` as it is now: the same files, byte for
    /// byte, so what an installed binary renders is what the repository's templates say.
    @Test func builtInThemeIsTheTemplatesFolder() throws {
        let onDisk = try Theme.listFiles(Repo.templates).sorted()
        #expect(onDisk.contains("layout.mustache") && onDisk.contains("i18n/en.yml") && onDisk.contains("assets/site.js"))
        #expect(BuiltInTheme.files.keys.sorted() == onDisk)
        for path in onDisk {
            let disk = try Data(contentsOf: Repo.templates.appendingPathComponent(path))
            #expect(BuiltInTheme.files[path] == disk, "\(path) differs from templates/\(path): rebuild")
        }
    }

    /// A file from the built-in theme is named as such in messages, never as a path on the machine
    /// that built the program.
    @Test func builtInFilesAreNamedInMessages() throws {
        var warnings: [SiteWarning] = []
        _ = try Theme(layers: [.builtIn], language: "xx", warnings: &warnings)
        #expect(warnings.map(\.file) == ["(built-in theme)"])
        #expect(ThemeFile.builtIn(path: "partials/toc.mustache", contents: Data()).displayPath == "(built-in theme)/partials/toc.mustache")
    }

    /// No English UI text is hard-coded: every string the theme shows is a key in en.yml.
    @Test func everyThemeStringComesFromTheStringsFile() throws {
        var warnings: [SiteWarning] = []
        let theme = try Theme(layers: [.builtIn], language: "en", warnings: &warnings)
        #expect(warnings.isEmpty)
        #expect(theme.strings["next"] == "Next")
        for key in ["heading_anchor", "footnotes_title", "footnote_back", "admonition_note", "admonition_tip", "admonition_important",
                    "admonition_warning", "admonition_caution", "print_title", "not_found_title"] {
            #expect(theme.strings[key] != nil, "\(key) missing from en.yml")
        }
    }
}

@Suite struct DevServerTests {
    let scratch = Scratch()

    /// A socket connected to 127.0.0.1:`port`, or -1.
    static func connected(to port: UInt16) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            return -1
        }
        return fd
    }

    func get(_ port: UInt16, _ path: String, host: String? = "localhost") throws -> (status: Int, headers: String, body: String) {
        let fd = Self.connected(to: port)
        defer { close(fd) }
        #expect(fd >= 0)
        let request = "GET \(path) HTTP/1.1\r\n" + (host.map { "Host: \($0)\r\n" } ?? "") + "\r\n"
        _ = request.withCString { Glibc.send(fd, $0, strlen($0), 0) }
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            data += buffer[0..<n]
        }
        let text = String(decoding: data, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        let status = Int(parts[0].split(separator: " ")[1]) ?? 0
        return (status, parts[0], parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    @Test func servesTheSiteOnLoopbackWithReload() async throws {
        _ = try await build(Repo.fixture, into: scratch)
        let server = try DevServer(root: scratch.url.appendingPathComponent("out"), port: 0)
        server.start()
        let page = try get(server.port, "/foundations/what-is-a-vm.html")
        #expect(page.status == 200)
        #expect(page.headers.contains("Content-Type: text/html; charset=utf-8"))
        #expect(page.body.contains("What is a virtual machine?"))
        #expect(page.body.contains("new EventSource(\"/__hypercourse/events\")"))
        #expect(try get(server.port, "/foundations/").body.contains("<h1 id=\"hc-page-title\">Foundations</h1>"))
        let redirect = try get(server.port, "/foundations")
        #expect(redirect.status == 301 && redirect.headers.contains("Location: /foundations/"))
        #expect(try get(server.port, "/assets/style.css").headers.contains("text/css"))
        let missing = try get(server.port, "/nope.html")
        #expect(missing.status == 404 && missing.body.contains("Page not found"))
        #expect(try get(server.port, "/../../etc/passwd").status == 400)
        #expect(try get(server.port, "/%2e%2e/%2e%2e/etc/passwd").status == 400)
    }

    @Test func openPagesHearReloadAndFailureEvents() async throws {
        _ = try await build(Repo.fixture, into: scratch)
        let server = try DevServer(root: scratch.url.appendingPathComponent("out"), port: 0)
        server.start()
        let fd = Self.connected(to: server.port)
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = "GET /__hypercourse/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".withCString { Glibc.send(fd, $0, strlen($0), 0) }
        func read(until marker: String) -> String {
            var text = ""
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !text.contains(marker) {
                let n = recv(fd, &buffer, buffer.count, 0)
                if n <= 0 { break }
                text += String(decoding: buffer[0..<n], as: UTF8.self)
            }
            return text
        }
        #expect(read(until: ": connected").contains("Content-Type: text/event-stream"))
        server.reload()
        #expect(read(until: "data: 1").contains("event: reload"))
        server.showFailure("x.md:3: error: <broken>")
        #expect(read(until: "broken").contains("event: failed\ndata: \"x.md:3: error: \\u003cbroken"))
    }

    /// A failure stays on show for pages opened after it, until a build succeeds; before the first
    /// successful build there is no site, and every URL explains that.
    @Test func aFailureIsShownToPagesOpenedLaterUntilABuildSucceeds() async throws {
        let server = try DevServer(root: scratch.url.appendingPathComponent("not-built-yet"), port: 0)
        server.start()
        #expect(try get(server.port, "/").status == 404)
        server.showFailure("x.md:3: error: <broken>")
        let waiting = try get(server.port, "/")
        #expect(waiting.status == 503 && waiting.body.contains("The build failed") && waiting.body.contains("new EventSource("))
        #expect(firstEvent(server.port, until: "broken").contains("event: failed\ndata: \"x.md:3: error: \\u003cbroken"))
        server.reload()
        #expect(!firstEvent(server.port, seconds: 1).contains("event: failed"))
        #expect(try get(server.port, "/").status == 404)
    }

    /// What an events connection receives until `marker` arrives, or in `seconds`.
    func firstEvent(_ port: UInt16, until marker: String? = nil, seconds: Int = 5) -> String {
        let fd = Self.connected(to: port)
        defer { close(fd) }
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = "GET /__hypercourse/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".withCString { Glibc.send(fd, $0, strlen($0), 0) }
        var text = ""
        var buffer = [UInt8](repeating: 0, count: 4096)
        while marker.map({ !text.contains($0) }) ?? true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            text += String(decoding: buffer[0..<n], as: UTF8.self)
        }
        return text
    }

    /// DNS rebinding: a page whose own name resolves to 127.0.0.1 reaches the server with that name
    /// in Host; only loopback names are answered.
    @Test func onlyLoopbackHostsAreAnswered() async throws {
        _ = try await build(Repo.fixture, into: scratch)
        let server = try DevServer(root: scratch.url.appendingPathComponent("out"), port: 0)
        server.start()
        for host in ["localhost", "127.0.0.1", "localhost:\(server.port)", "127.0.0.1:\(server.port)", "[::1]:\(server.port)", "LOCALHOST", "127.1.2.3"] {
            #expect(try get(server.port, "/", host: host).status == 200, "\(host)")
        }
        for host: String? in ["evil.example", "evil.example:\(server.port)", "localhost.evil.example", "127.0.0.1.evil.example", "[::2]", nil, "", "localhost:99999"] {
            let refused = try get(server.port, "/", host: host)
            #expect(refused.status == 421 && !refused.body.contains("<html"), "\(host ?? "no Host")")
        }
        #expect(try get(server.port, "/__hypercourse/events", host: "evil.example").status == 421)
    }

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
