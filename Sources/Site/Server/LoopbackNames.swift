import Hummingbird

/// The names this server answers to. DNS rebinding: a page from evil.example whose name is made to
/// resolve to 127.0.0.1 reaches the server as same-origin, but its requests still carry its own
/// name in Host, and its own origin in Origin.
enum LoopbackNames {
    /// Whether a Host header names this machine's loopback: `localhost`, an IPv4 address in
    /// 127.0.0.0/8 or `[::1]`, with or without a port. No Host at all is refused too: HTTP/1.1
    /// requires it, and every browser sends it.
    static func isLoopbackHost(_ host: String?) -> Bool {
        guard let host, let (name, _) = split(host) else { return false }
        return isLoopbackName(name)
    }

    /// Whether an Origin header is one of this server's own pages: `http://` and a loopback name
    /// with exactly `port`. `null` (sandboxed frames, `file://`) and every other origin are not.
    static func isOwnOrigin(_ origin: String?, port: UInt16) -> Bool {
        guard let origin = origin?.lowercased(), origin.hasPrefix("http://") else { return false }
        guard let (name, originPort) = split(String(origin.dropFirst("http://".count))) else { return false }
        return isLoopbackName(name) && (originPort ?? 80) == port
    }

    /// `name[:port]` or `[v6]:port`, lowercased; nil when the port is not a number in 0...65535.
    private static func split(_ authority: String) -> (name: String, port: UInt16?)? {
        let text = authority.lowercased()
        guard !text.isEmpty else { return nil }
        var name = text
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            name = String(text[...close])
            let rest = text[text.index(after: close)...]
            guard rest.isEmpty || rest.first == ":" else { return nil }
            portText = rest.isEmpty ? nil : rest.dropFirst()
        } else if let colon = text.lastIndex(of: ":") {
            name = String(text[..<colon])
            portText = text[text.index(after: colon)...]
        }
        guard let portText else { return (name, nil) }
        guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy(\.isASCIIDigit), let port = UInt16(portText) else {
            return nil
        }
        return (name, port)
    }

    private static func isLoopbackName(_ name: String) -> Bool {
        if name == "localhost" || name == "[::1]" { return true }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127"
            && octets.allSatisfy { $0.count <= 3 && $0.allSatisfy(\.isASCIIDigit) && UInt8($0) != nil }
    }
}

/// Answers 421 to every request whose Host is not a loopback name, before anything else runs.
struct LoopbackOnly<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard LoopbackNames.isLoopbackHost(request.head.authority) else {
            return .plainText(.misdirectedRequest, "this server answers only to localhost, 127.0.0.1 and [::1]\n")
        }
        return try await next(request, context)
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

extension Response {
    /// A short plain-text answer: a refusal (wrong Host, method or path) or the reason for one.
    static func plainText(_ status: HTTPResponse.Status, _ text: String) -> Response {
        let headers: HTTPFields = [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"]
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
