import CCmarkGFM
import Foundation

/// A change to the parsed document that libcmark-gfm refused. `line` is 1-based in the text that
/// was parsed (0 when the node has no position).
public struct MarkdownError: Error, Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var message: String

    public init(line: Int, message: String) {
        self.line = line
        self.message = message
    }

    public var description: String { line > 0 ? "line \(line): \(message)" : message }
}

/// Every edit of a libcmark-gfm tree. Each edit returns 0 when libcmark-gfm refuses it (a container
/// that cannot hold the node's type, say: a table cell takes only some inline types; a setter
/// called on a node of another type), and a refused edit leaves the tree as it was. So an edit is
/// never assumed: callers either get `false` and keep the original node (a decoration is lost,
/// never content), or a `MarkdownError` naming the node and its line.
enum CmarkTree {
    /// Puts `replacement` where `node` is and detaches `node`. False, with the tree unchanged and
    /// `node` still in place, when `node`'s parent cannot hold `replacement`.
    static func replace(_ node: OpaquePointer, with replacement: OpaquePointer) -> Bool {
        cmark_node_replace(node, replacement) != 0
    }

    /// Like `replace`, for edits without which the page would be wrong.
    static func replaceOrThrow(_ node: OpaquePointer, with replacement: OpaquePointer) throws(MarkdownError) {
        guard replace(node, with: replacement) else {
            throw refused("put a \(typeName(replacement)) in place of", node)
        }
    }

    /// Moves every child of `source`, in order, to the end of `target`.
    static func moveChildren(of source: OpaquePointer, to target: OpaquePointer) throws(MarkdownError) {
        while let child = cmark_node_first_child(source) {
            // A refused append leaves the child where it was: stop rather than loop on it.
            guard cmark_node_append_child(target, child) != 0 else {
                throw refused("move a \(typeName(child)) into a \(typeName(target)) from", source)
            }
        }
    }

    static func appendChild(_ child: OpaquePointer, to parent: OpaquePointer) throws(MarkdownError) {
        guard cmark_node_append_child(parent, child) != 0 else {
            throw refused("append a \(typeName(child)) to", parent)
        }
    }

    /// The HTML a custom block or inline writes when entered (before its children).
    static func setOnEnter(_ node: OpaquePointer, _ html: String) throws(MarkdownError) {
        guard cmark_node_set_on_enter(node, html) != 0 else { throw refused("set the opening HTML of", node) }
    }

    /// The HTML a custom block or inline writes when left (after its children).
    static func setOnExit(_ node: OpaquePointer, _ html: String) throws(MarkdownError) {
        guard cmark_node_set_on_exit(node, html) != 0 else { throw refused("set the closing HTML of", node) }
    }

    /// `setOnEnter` from bytes that end with a NUL (built in a reused buffer on the hot path).
    static func setOnEnter(_ node: OpaquePointer, nulTerminated bytes: [UInt8]) throws(MarkdownError) {
        guard withCString(bytes, { cmark_node_set_on_enter(node, $0) }) != 0 else { throw refused("set the opening HTML of", node) }
    }

    /// `setOnExit` from bytes that end with a NUL.
    static func setOnExit(_ node: OpaquePointer, nulTerminated bytes: [UInt8]) throws(MarkdownError) {
        guard withCString(bytes, { cmark_node_set_on_exit(node, $0) }) != 0 else { throw refused("set the closing HTML of", node) }
    }

    /// The text of a text, code or HTML node, from bytes that end with a NUL.
    static func setLiteral(_ node: OpaquePointer, nulTerminated bytes: [UInt8]) throws(MarkdownError) {
        guard withCString(bytes, { cmark_node_set_literal(node, $0) }) != 0 else { throw refused("set the text of", node) }
    }

    static func setLiteral(_ node: OpaquePointer, _ text: String) throws(MarkdownError) {
        guard cmark_node_set_literal(node, text) != 0 else { throw refused("set the text of", node) }
    }

    static func setURL(_ node: OpaquePointer, _ url: String) throws(MarkdownError) {
        guard cmark_node_set_url(node, url) != 0 else { throw refused("set the destination of", node) }
    }

    /// libcmark-gfm copies the string during the call, so the pointer need not outlive it.
    private static func withCString(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>?) -> Int32) -> Int32 {
        precondition(bytes.last == 0, "a C string must end with NUL")
        return bytes.withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { body($0.baseAddress) } }
    }

    private static func refused(_ what: String, _ node: OpaquePointer) -> MarkdownError {
        let parent = cmark_node_parent(node).map { " (inside a \(typeName($0)))" } ?? ""
        return MarkdownError(
            line: Int(cmark_node_get_start_line(node)),
            message: "libcmark-gfm refused to \(what) a \(typeName(node))\(parent); the page cannot be rendered as written")
    }

    /// A node's literal text as bytes, without copying; nil when it has none.
    static func literalBytes(_ node: OpaquePointer) -> UnsafeBufferPointer<UInt8>? {
        guard let literal = cmark_node_get_literal(node) else { return nil }
        // Safe: libcmark-gfm's literal is a NUL-terminated string that lives as long as the node;
        // callers use the buffer only while they hold the tree, never after an edit of this node.
        return UnsafeBufferPointer(start: UnsafeRawPointer(literal).assumingMemoryBound(to: UInt8.self), count: strlen(literal))
    }

    /// The bytes of a NUL-terminated string libcmark-gfm returned (empty for nil), without a copy.
    static func bytes(_ text: UnsafePointer<CChar>?) -> UnsafeBufferPointer<UInt8> {
        guard let text else { return UnsafeBufferPointer(start: nil, count: 0) }
        // Safe: the string belongs to a node that outlives the caller's use of it (see literalBytes).
        return UnsafeBufferPointer(start: UnsafeRawPointer(text).assumingMemoryBound(to: UInt8.self), count: strlen(text))
    }

    static func typeName(_ node: OpaquePointer) -> String {
        cmark_node_get_type_string(node).map { String(cString: $0) } ?? "node"
    }
}
