import Foundation
import Hummingbird
import NIOPosix

/// The built site, for every GET or HEAD that no route took: files from the output folder, the
/// live-reload script added to each HTML page (so the built site itself stays clean), the site's
/// 404 page, and while there is no site yet a page saying why.
struct SiteFiles<Context: RequestContext>: RouterMiddleware {
    let root: URL
    let live: LiveReload
    /// What every HTML page gets before `</body>`: the reload script (and the server's token).
    let snippet: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            guard request.method == .get || request.method == .head else {
                return .plainText(.methodNotAllowed, "only GET and HEAD\n")
            }
            return try await serve(request)
        }
    }

    private func serve(_ request: Request) async throws -> Response {
        let target = request.uri.path
        guard let path = target.removingPercentEncoding, path.hasPrefix("/"), !path.contains("\0"),
            !path.split(separator: "/").contains("..")
        else { return .plainText(.badRequest, "bad path\n") }
        let head = request.method == .head
        switch try await Self.look(at: root.path + path, under: root) {
        case .file(let data):
            return page(.ok, type: Self.contentType((path as NSString).pathExtension), data, head: head)
        case .folder where !path.hasSuffix("/"):
            // Relative URLs in the page need the trailing slash.
            return Response(status: .movedPermanently, headers: [.location: target + "/", .contentLength: "0", .cacheControl: "no-store"])
        case .folder:
            if case .file(let data) = try await Self.look(at: root.path + path + "index.html", under: root) {
                return page(.ok, type: Self.contentType("html"), data, head: head)
            }
            return try await notFound(head: head)
        case .missing:
            return try await notFound(head: head)
        }
    }

    private func notFound(head: Bool) async throws -> Response {
        if case .file(let data) = try await Self.look(at: root.appendingPathComponent("404.html").path, under: root) {
            return page(.notFound, type: Self.contentType("html"), data, head: head)
        }
        // No site yet: the first build failed. The page shows why and reloads once it builds.
        let waiting = live.failure != nil
        let text =
            "<!DOCTYPE html><html lang=\"en\"><meta charset=\"utf-8\"><title>\(waiting ? "Build failed" : "Not found")</title>"
            + "<body style=\"font:16px/1.5 system-ui,sans-serif;margin:2rem\"><h1>\(waiting ? "The build failed" : "Not found")</h1>"
            + "<p>\(waiting ? "Fix the error below and save: this page reloads when the site builds." : "There is no site here yet.")</p></body></html>\n"
        return page(waiting ? .serviceUnavailable : .notFound, type: Self.contentType("html"), Data(text.utf8), head: head)
    }

    private func page(_ status: HTTPResponse.Status, type: String, _ data: Data, head: Bool) -> Response {
        let body = type.hasPrefix("text/html") ? inject(data) : data
        let headers: HTTPFields = [
            .contentType: type, .contentLength: String(body.count), .cacheControl: "no-store",
            .init("X-Content-Type-Options")!: "nosniff"
        ]
        return Response(status: status, headers: headers, body: head ? .init() : .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    private func inject(_ data: Data) -> Data {
        guard var html = String(data: data, encoding: .utf8) else { return data }
        if let end = html.range(of: "</body>", options: .backwards) {
            html.replaceSubrange(end, with: snippet + "\n</body>")
        } else {
            html += snippet
        }
        return Data(html.utf8)
    }

    enum Found {
        case file(Data)
        case folder
        case missing
    }

    /// What is at `path` under `root` now. One open file per answer, read through that descriptor: a
    /// build that swaps in a new site meanwhile never mixes two sites' bytes (or a size from one and
    /// bytes from the other). A symlink that leads out of the site is not followed there. Blocking
    /// reads run on NIO's thread pool, not on the async tasks' few threads.
    static func look(at path: String, under root: URL) async throws -> Found {
        try await NIOThreadPool.singleton.runIfActive {
            guard let real = realpath(path, nil) else { return .missing }
            defer { free(real) }
            let resolved = String(cString: real)
            let base = root.resolvingSymlinksInPath().path
            guard resolved == base || resolved.hasPrefix(base == "/" ? "/" : base + "/") else { return .missing }
            // O_NONBLOCK: opening a FIFO someone left in the output folder must not hang.
            let fd = open(resolved, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW)
            guard fd >= 0 else { return .missing }
            let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
            var info = stat()
            guard fstat(fd, &info) == 0 else { return .missing }
            switch info.st_mode & S_IFMT {
            case S_IFDIR: return .folder
            case S_IFREG: return .file(try handle.readToEnd() ?? Data())
            default: return .missing
            }
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
