import Dispatch
import Foundation

/// A small HTTP/1.1 server for `hypercourse serve`: static files from the output folder, bound to
/// 127.0.0.1 only, with Server-Sent Events that tell open pages to reload after a rebuild. The
/// reload script is injected into HTML responses, so the built site itself stays clean.
public final class DevServer: @unchecked Sendable {
    public let root: URL
    public let port: UInt16
    private let listener: Int32
    private let lock = NSLock()
    private var clients: [Int32] = []
    /// The last build's failure until a build succeeds: shown to pages opened after it, too.
    private var failure: String?

    static let eventsPath = "/__hypercourse/events"
    static let reloadScript = """
        <script>(function(){if(!window.EventSource)return;var s=new EventSource("\(eventsPath)");\
        s.addEventListener("reload",function(){location.reload();});\
        s.addEventListener("failed",function(e){var d=document.getElementById("hc-build-error")||document.createElement("pre");\
        d.id="hc-build-error";d.style.cssText="position:fixed;left:1rem;right:1rem;bottom:1rem;z-index:99;max-height:40vh;overflow:auto;\
        margin:0;padding:1rem;background:#3a1717;color:#ffd7d7;border-radius:8px;font:13px/1.5 monospace;white-space:pre-wrap";\
        d.textContent=JSON.parse(e.data);document.body.appendChild(d);});})();</script>
        """

    /// Binds 127.0.0.1:`port` (0 picks a free port).
    public init(root: URL, port: UInt16) throws {
        self.root = root.standardizedFileURL
        signal(SIGPIPE, SIG_IGN)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SiteError("cannot create a socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw SiteError("cannot listen on 127.0.0.1:\(port): \(reason)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.port = UInt16(bigEndian: actual.sin_port)
        self.listener = fd
    }

    /// Starts accepting connections on a background thread.
    public func start() {
        let thread = Thread { [self] in
            while true {
                let client = accept(listener, nil, nil)
                if client < 0 {
                    if errno == EINTR { continue }
                    return
                }
                DispatchQueue.global().async { self.handle(client) }
            }
        }
        thread.start()
    }

    /// Tells every open page to reload (after a build succeeded).
    public func reload() {
        lock.withLock { failure = nil }
        broadcast(event: "reload", data: "1")
    }

    /// Shows a build failure on every open page, and on every page opened until a build succeeds.
    public func showFailure(_ message: String) {
        lock.withLock { failure = message }
        broadcast(event: "failed", data: SearchIndex.json(message))
    }

    /// One Server-Sent Events message.
    private static func frame(event: String, data: String) -> String { "event: \(event)\ndata: \(data)\n\n" }

    private func broadcast(event: String, data: String) {
        lock.lock()
        let current = clients
        lock.unlock()
        var dead: [Int32] = []
        for fd in current where !send(fd, Self.frame(event: event, data: data)) { dead.append(fd) }
        if !dead.isEmpty {
            lock.lock()
            clients.removeAll { dead.contains($0) }
            lock.unlock()
            dead.forEach { close($0) }
        }
    }

    // MARK: Requests

    private func handle(_ fd: Int32) {
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard let requestHead = readRequest(fd) else { close(fd); return }
        let lines = requestHead.split(whereSeparator: \.isNewline)
        let parts = (lines.first ?? "").split(separator: " ")
        guard parts.count >= 2 else { respond(fd, status: "400 Bad Request", type: "text/plain", body: Data("bad request\n".utf8)); return }
        // DNS rebinding: a page from evil.example whose name is made to resolve to 127.0.0.1 would
        // reach this server as same-origin. Its requests still carry its own name in Host.
        guard Self.isLoopbackHost(Self.header("Host", in: lines.dropFirst())) else {
            respond(fd, status: "421 Misdirected Request", type: "text/plain",
                    body: Data("this server answers only to localhost, 127.0.0.1 and [::1]\n".utf8))
            return
        }
        let method = String(parts[0])
        var target = String(parts[1])
        if let q = target.firstIndex(where: { $0 == "?" || $0 == "#" }) { target = String(target[..<q]) }
        guard method == "GET" || method == "HEAD" else {
            respond(fd, status: "405 Method Not Allowed", type: "text/plain", body: Data("only GET and HEAD\n".utf8))
            return
        }
        if target == Self.eventsPath {
            // Registered before the reply, so an event sent right after the client sees the
            // reply is not lost; the lock keeps a broadcast from interleaving with the header.
            lock.lock()
            defer { lock.unlock() }
            let pending = failure.map { Self.frame(event: "failed", data: SearchIndex.json($0)) } ?? ""
            guard send(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: keep-alive\r\n\r\n: connected\n\n" + pending) else {
                close(fd)
                return
            }
            clients.append(fd)
            return
        }
        let head = method == "HEAD"
        guard let path = target.removingPercentEncoding, path.hasPrefix("/"),
            !path.split(separator: "/").contains(where: { $0 == ".." }), !path.contains("\0")
        else {
            respond(fd, status: "400 Bad Request", type: "text/plain", body: Data("bad path\n".utf8))
            return
        }
        var file = root.appendingPathComponent(String(path.dropFirst()))
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: file.path, isDirectory: &isDir), isDir.boolValue {
            if !path.hasSuffix("/") {
                // Relative URLs in the page need the trailing slash.
                respond(fd, status: "301 Moved Permanently", type: "text/plain", body: Data(), extra: "Location: \(target)/\r\n")
                return
            }
            file = file.appendingPathComponent("index.html")
        }
        if let data = FileManager.default.contents(atPath: file.path) {
            respond(fd, status: "200 OK", type: Self.contentType(file.pathExtension), body: inject(data, file.pathExtension), head: head)
        } else if let page = FileManager.default.contents(atPath: root.appendingPathComponent("404.html").path) {
            respond(fd, status: "404 Not Found", type: "text/html; charset=utf-8", body: inject(page, "html"), head: head)
        } else {
            // No site yet: the first build failed. The page shows why and reloads once it builds.
            let waiting = lock.withLock { failure != nil }
            let page = "<!DOCTYPE html><html lang=\"en\"><meta charset=\"utf-8\"><title>\(waiting ? "Build failed" : "Not found")</title>"
                + "<body style=\"font:16px/1.5 system-ui,sans-serif;margin:2rem\"><h1>\(waiting ? "The build failed" : "Not found")</h1>"
                + "<p>\(waiting ? "Fix the error below and save: this page reloads when the site builds." : "There is no site here yet.")</p></body></html>\n"
            respond(fd, status: waiting ? "503 Service Unavailable" : "404 Not Found", type: "text/html; charset=utf-8",
                    body: inject(Data(page.utf8), "html"), head: head)
        }
    }

    /// The value of header `name` (case-insensitive), or nil.
    static func header(_ name: String, in lines: ArraySlice<Substring>) -> String? {
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            if line[..<colon].trimmingCharacters(in: .whitespaces).lowercased() == name.lowercased() {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    /// Whether a Host header names this machine's loopback: `localhost`, an IPv4 address in
    /// 127.0.0.0/8 or `[::1]`, with or without a port. No Host at all is refused too: HTTP/1.1
    /// requires it, and every browser sends it.
    static func isLoopbackHost(_ host: String?) -> Bool {
        guard var host = host?.lowercased(), !host.isEmpty else { return false }
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return false }
            let rest = host[host.index(after: close)...]
            return host[...close] == "[::1]" && (rest.isEmpty || isPort(rest.dropFirst()) && rest.first == ":")
        }
        if let colon = host.lastIndex(of: ":") {
            guard isPort(host[host.index(after: colon)...]) else { return false }
            host = String(host[..<colon])
        }
        if host == "localhost" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { $0.count <= 3 && UInt8($0) != nil }
    }

    private static func isPort(_ text: Substring) -> Bool { !text.isEmpty && text.count <= 5 && UInt16(text) != nil }

    private func inject(_ data: Data, _ ext: String) -> Data {
        guard ext == "html", var html = String(data: data, encoding: .utf8) else { return data }
        if let r = html.range(of: "</body>", options: .backwards) {
            html.replaceSubrange(r, with: Self.reloadScript + "\n</body>")
        } else {
            html += Self.reloadScript
        }
        return Data(html.utf8)
    }

    private func readRequest(_ fd: Int32) -> String? {
        let capacity = 16384
        var buffer = [UInt8](repeating: 0, count: capacity)
        var received = 0
        while received < capacity {
            let offset = received
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + offset, capacity - offset, 0) }
            if n <= 0 { return nil }
            received += n
            if let text = String(bytes: buffer[0..<received], encoding: .utf8), let end = text.range(of: "\r\n\r\n") ?? text.range(of: "\n\n") {
                return String(text[..<end.lowerBound])
            }
        }
        return nil
    }

    private func respond(_ fd: Int32, status: String, type: String, body: Data, head: Bool = false, extra: String = "") {
        let header = "HTTP/1.1 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(body.count)\r\nCache-Control: no-store\r\n\(extra)Connection: close\r\n\r\n"
        if send(fd, header), !head { _ = send(fd, body) }
        close(fd)
    }

    @discardableResult
    private func send(_ fd: Int32, _ text: String) -> Bool { send(fd, Data(text.utf8)) }

    private func send(_ fd: Int32, _ data: Data) -> Bool {
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
    }

    static func contentType(_ ext: String) -> String {
        switch ext.lowercased() {
        case "html": return "text/html; charset=utf-8"
        case "css": return "text/css; charset=utf-8"
        case "js": return "text/javascript; charset=utf-8"
        case "svg": return "image/svg+xml"
        case "png": return "image/png"
        case "jpg", "jpeg": return "image/jpeg"
        case "gif": return "image/gif"
        case "webp": return "image/webp"
        case "json": return "application/json"
        case "txt", "asm", "c", "h", "inc", "s", "md", "yml", "yaml": return "text/plain; charset=utf-8"
        case "pdf": return "application/pdf"
        default: return "application/octet-stream"
        }
    }
}

/// Notices edits by polling modification times (no inotify dependency; cheap for course-sized trees).
public struct ChangeWatcher: Sendable {
    /// What identifies a file's version: modification time to the nanosecond, size and inode (an
    /// editor's save-by-rename changes the inode even within one mtime tick). Integers, so nothing is
    /// lost: a Double holding an epoch mtime cannot also hold the size.
    struct Stamp: Hashable, Sendable {
        var seconds: Int
        var nanoseconds: Int
        var size: Int64
        var inode: UInt64
        var isFolder: Bool
    }

    public let folders: [URL]
    private var fingerprint: [String: Stamp]

    public init(folders: [URL]) {
        self.folders = folders
        self.fingerprint = Self.scan(folders)
    }

    /// Watches what a build with `options` reads: the content folder, `--templates` and the theme.
    public init(watching options: BuildOptions) {
        var folders = [options.contentDirectory]
        if let templates = options.templatesDirectory { folders.append(templates) }
        if let theme = options.themeDirectory { folders.append(theme) }
        self.init(folders: folders)
    }

    /// True (once) when any file under the folders was added, removed or modified since last time.
    public mutating func changed() -> Bool {
        let now = Self.scan(folders)
        defer { fingerprint = now }
        return now != fingerprint
    }

    /// Takes `files` as they are now without calling it a change: the build's own writes (the
    /// exercise records it keeps beside the lessons) must not start another build. Other edits made
    /// meanwhile are still noticed.
    public mutating func absorb(_ files: [URL]) {
        for file in files {
            let path = file.standardizedFileURL.path
            fingerprint[path] = Self.stamp(path)
        }
    }

    static func scan(_ folders: [URL]) -> [String: Stamp] {
        var result: [String: Stamp] = [:]
        for folder in folders {
            guard let enumerator = FileManager.default.enumerator(atPath: folder.standardizedFileURL.path) else { continue }
            let base = folder.standardizedFileURL.path
            for case let relative as String in enumerator {
                let path = base + "/" + relative
                // Files only: a folder's mtime moves whenever a file in it is added, which would make
                // an absorbed write count after all; added and removed files change the keys anyway.
                if let stamp = stamp(path), !stamp.isFolder { result[path] = stamp }
            }
        }
        return result
    }

    static func stamp(_ path: String) -> Stamp? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return Stamp(seconds: Int(info.st_mtim.tv_sec), nanoseconds: Int(info.st_mtim.tv_nsec), size: Int64(info.st_size),
                     inode: UInt64(info.st_ino), isFolder: info.st_mode & S_IFMT == S_IFDIR)
    }
}
