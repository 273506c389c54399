import Common
import Foundation
import Testing

/// HTTP/1.1 over a plain socket, byte for byte what the test writes: the server's answers to
/// malformed, slow, foreign or oversized requests are what these tests are about, so no client
/// library sits in between to tidy the requests up. The socket calls block, so async code runs
/// them through `onItsOwnThread`: the server under test answers from the same few cooperative threads.
struct RawHTTP: Sendable {
    struct Reply: Sendable {
        var status: Int
        var head: String
        var body: String

        /// The value of header `name`, case-insensitive.
        func header(_ name: String) -> String? {
            for line in head.split(separator: "\r\n").dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                if line[..<colon].lowercased() == name.lowercased() {
                    return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
            }
            return nil
        }
    }

    let port: UInt16

    /// A socket connected to 127.0.0.1:`port` with a receive timeout, or -1.
    static func connect(to port: UInt16, timeout seconds: Int = 10) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        // The sockaddr_in is read as the generic sockaddr that connect() takes, for its own size only.
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            close(fd)
            return -1
        }
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    @discardableResult
    static func send(_ fd: Int32, _ text: String) -> Bool { send(fd, Array(text.utf8)) }

    @discardableResult
    static func send(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    /// Reads until `done` says the bytes so far are enough, the peer closes, or the receive times out.
    static func receive(_ fd: Int32, until done: ([UInt8]) -> Bool = { _ in false }) -> [UInt8] {
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !done(data) {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            data += buffer[0..<n]
        }
        return data
    }

    /// What `fd` receives until `marker` appears (all of it when nil), the peer closes, or the
    /// receive times out.
    static func text(from fd: Int32, until marker: String?) async -> String {
        await onItsOwnThread {
            let bytes = receive(fd) { data in marker.map { String(decoding: data, as: UTF8.self).contains($0) } ?? false }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    static func closed(_ fd: Int32) async -> Bool { await onItsOwnThread { closedByServer(fd) } }

    /// Whether the server closed `fd` (a read sees the end, or the connection was reset) within
    /// its receive timeout. Whatever the server sent first is skipped.
    static func closedByServer(_ fd: Int32) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n == 0 { return true }
            if n < 0 { return errno == ECONNRESET }
        }
    }

    /// Sends `request` as it is on a new connection and reads one response: the head, then
    /// Content-Length bytes (or up to the close). nil when the server closed without answering.
    func exchange(_ request: String, head: Bool = false) async -> Reply? {
        await onItsOwnThread { [port] in
            let fd = Self.connect(to: port)
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            Self.send(fd, request)
            return Self.readReply(fd, head: head)
        }
    }

    /// One response from `fd`.
    static func readReply(_ fd: Int32, head isHead: Bool = false) -> Reply? {
        let bytes = receive(fd) { data in
            guard let end = headEnd(data) else { return false }
            if isHead { return true }
            let head = String(decoding: data[..<end], as: UTF8.self)
            guard let length = Reply(status: 0, head: head, body: "").header("Content-Length").flatMap(Int.init) else {
                return false
            }
            return data.count - end - 4 >= length
        }
        guard let end = headEnd(bytes) else { return nil }
        let head = String(decoding: bytes[..<end], as: UTF8.self)
        let status = head.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return Reply(status: status, head: head, body: String(decoding: bytes[(end + 4)...], as: UTF8.self))
    }

    private static func headEnd(_ data: [UInt8]) -> Int? {
        guard data.count >= 4 else { return nil }
        return (0...(data.count - 4)).first { data[$0] == 13 && data[$0 + 1] == 10 && data[$0 + 2] == 13 && data[$0 + 3] == 10 }
    }

    /// A GET for `path` with `Host` set to `host` (no Host header at all when nil).
    func get(_ path: String, host: String? = "localhost", method: String = "GET") async -> Reply? {
        await exchange("\(method) \(path) HTTP/1.1\r\n" + (host.map { "Host: \($0)\r\n" } ?? "") + "\r\n", head: method == "HEAD")
    }
}
