/// HTML escaping on UTF-8 bytes. Everything that reaches a page from outside the author's own
/// Markdown (guest output, code, file names) goes through here.
public enum HTMLEscaping {
    /// Escapes `&`, `<`, `>`, `"` and `'`, so the result is safe in text and in quoted attributes.
    public static func escape(_ text: String) -> String {
        var needs = false
        for byte in text.utf8 where byte == 0x26 || byte == 0x3C || byte == 0x3E || byte == 0x22 || byte == 0x27 {
            needs = true
            break
        }
        guard needs else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 32)
        appendEscaped(Array(text.utf8)[...], to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    @inline(__always)
    static func appendEscaped(_ byte: UInt8, to out: inout [UInt8]) {
        switch byte {
        case 0x26: out.append(contentsOf: [0x26, 0x61, 0x6D, 0x70, 0x3B]) // &amp;
        case 0x3C: out.append(contentsOf: [0x26, 0x6C, 0x74, 0x3B]) // &lt;
        case 0x3E: out.append(contentsOf: [0x26, 0x67, 0x74, 0x3B]) // &gt;
        case 0x22: out.append(contentsOf: [0x26, 0x71, 0x75, 0x6F, 0x74, 0x3B]) // &quot;
        case 0x27: out.append(contentsOf: [0x26, 0x23, 0x33, 0x39, 0x3B]) // &#39;
        default: out.append(byte)
        }
    }

    /// Copies runs without special characters in one go; most code and text has few of them.
    static func appendEscaped(_ bytes: ArraySlice<UInt8>, to out: inout [UInt8]) {
        bytes.withUnsafeBufferPointer { appendEscaped($0, to: &out) }
    }

    static func appendEscaped(_ buffer: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        var start = 0
        for i in 0..<buffer.count {
            let byte = buffer[i]
            guard byte == 0x26 || byte == 0x3C || byte == 0x3E || byte == 0x22 || byte == 0x27 else { continue }
            if i > start { out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[start..<i])) }
            appendEscaped(byte, to: &out)
            start = i + 1
        }
        if buffer.count > start { out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[start..<buffer.count])) }
    }
}
