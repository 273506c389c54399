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

    /// Tells every open page to reload.
    public func reload() { broadcast(event: "reload", data: "1") }

    /// Shows a build failure on every open page.
    public func showFailure(_ message: String) { broadcast(event: "failed", data: SearchIndex.json(message)) }

    private func broadcast(event: String, data: String) {
        lock.lock()
        let current = clients
        lock.unlock()
        var dead: [Int32] = []
        for fd in current where !send(fd, "event: \(event)\ndata: \(data)\n\n") { dead.append(fd) }
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
        guard let request = readRequest(fd) else { close(fd); return }
        let parts = request.split(separator: " ")
        guard parts.count >= 2 else { respond(fd, status: "400 Bad Request", type: "text/plain", body: Data("bad request\n".utf8)); return }
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
            guard send(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: keep-alive\r\n\r\n: connected\n\n") else {
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
        } else {
            let page = FileManager.default.contents(atPath: root.appendingPathComponent("404.html").path) ?? Data("not found\n".utf8)
            respond(fd, status: "404 Not Found", type: "text/html; charset=utf-8", body: inject(page, "html"), head: head)
        }
    }

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
            if let text = String(bytes: buffer[0..<received], encoding: .utf8), text.contains("\r\n\r\n") || text.contains("\n\n") {
                return text.split(whereSeparator: \.isNewline).first.map(String.init)
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
    public let folders: [URL]
    private var fingerprint: [String: Double]

    public init(folders: [URL]) {
        self.folders = folders
        self.fingerprint = Self.scan(folders)
    }

    /// True (once) when any file under the folders was added, removed or modified since last time.
    public mutating func changed() -> Bool {
        let now = Self.scan(folders)
        defer { fingerprint = now }
        return now != fingerprint
    }

    private static func scan(_ folders: [URL]) -> [String: Double] {
        var result: [String: Double] = [:]
        let fm = FileManager.default
        for folder in folders {
            guard let enumerator = fm.enumerator(at: folder, includingPropertiesForKeys: [.contentModificationDateKey, .fileSizeKey]) else { continue }
            for case let url as URL in enumerator {
                let values = try? url.resourceValues(forKeys: [.contentModificationDateKey, .fileSizeKey])
                result[url.path] = (values?.contentModificationDate?.timeIntervalSince1970 ?? 0) + Double(values?.fileSize ?? 0) * 1e-12
            }
        }
        return result
    }
}
