import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Reads a text file an author wrote (a lesson, an include, an exercise's `src=`): only a regular
/// file, opened without blocking so a FIFO or a device named like a lesson cannot hang the build,
/// no larger than a limit (judged by its size before any of it is read, so a 2 GB file is not
/// loaded to be refused), and only UTF-8, with the line of the first byte that is not.
public enum TextFile {
    public enum Problem: Error, Sendable, Equatable {
        /// open(2) or read(2) failed: the system's reason.
        case unreadable(String)
        /// Exists but is not a regular file: what it is (`a folder`, `a FIFO`, ...).
        case notAFile(String)
        /// Not UTF-8: the 1-based line and column (in bytes) of the first bad byte, and the byte.
        case invalidUTF8(line: Int, column: Int, byte: UInt8)
        /// A regular file over the caller's limit: its size in bytes.
        case tooLarge(Int64)

        /// The problem in words, for an error about `name`.
        public func message(_ name: String) -> String {
            switch self {
            case .unreadable(let reason): "cannot read '\(name)': \(reason)"
            case .notAFile(let kind): "'\(name)' is \(kind), not a file"
            case .invalidUTF8(_, let column, let byte):
                "'\(name)' is not valid UTF-8 text: byte 0x\(String(byte, radix: 16, uppercase: true)) at column \(column) of this line (save the file as UTF-8)"
            case .tooLarge(let size): "'\(name)' is \(FileSize.mebibytes(size)), too large"
            }
        }
    }

    /// The file as text, if it is at most `limit` bytes.
    public static func read(_ url: URL, limit: Int = FileSize.maxText) throws(Problem) -> String {
        let data = try bytes(url, limit: Int64(limit))
        if let text = String(validating: data, as: UTF8.self) { return text }
        throw invalidUTF8(in: data)
    }

    /// The file's bytes, for any file an author names (binary too: an image, a module): open with
    /// O_NONBLOCK (a FIFO without a writer opens at once instead of waiting), then fstat the open
    /// file, so what is checked (its kind, its size against `limit` when there is one) is what is read.
    public static func bytes(_ url: URL, limit: Int64? = nil) throws(Problem) -> Data {
        let fd = open(url.path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw .unreadable(String(cString: strerror(errno))) }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .unreadable(String(cString: strerror(errno))) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .notAFile(kind(of: info.st_mode)) }
        if let limit, Int64(info.st_size) > limit { throw .tooLarge(Int64(info.st_size)) }
        do {
            return try handle.readToEnd() ?? Data()
        } catch {
            throw .unreadable(error.localizedDescription)
        }
    }

    static func kind(of mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: "a folder"
        case S_IFIFO: "a FIFO (named pipe)"
        case S_IFCHR, S_IFBLK: "a device"
        case S_IFSOCK: "a socket"
        default: "not a regular file"
        }
    }

    /// Where the first invalid sequence starts. Only called for data that failed to decode.
    static func invalidUTF8(in data: Data) -> Problem {
        let bytes = [UInt8](data)
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        decoding: while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded): offset += encoded.count
            case .emptyInput: break decoding
            case .error: break decoding
            }
        }
        let bad = min(offset, max(bytes.count - 1, 0))
        let lineStart = bytes[..<bad].lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
        let line = bytes[..<bad].reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
        return .invalidUTF8(line: line, column: bad - lineStart + 1, byte: bytes.isEmpty ? 0 : bytes[bad])
    }
}
