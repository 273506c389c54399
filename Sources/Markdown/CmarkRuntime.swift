import CCmarkGFM
import Foundation

/// Everything that touches libcmark-gfm's global state lives here.
enum CmarkRuntime {
    static let extensionNames = ["table", "strikethrough", "autolink", "tagfilter", "tasklist"]

    private static let registered: Bool = {
        cmark_gfm_core_extensions_ensure_registered()
        return true
    }()

    /// libcmark-gfm 0.29 keeps the inline parser's special-character table in a global that every
    /// parse fills with its extensions' characters at the start of inline parsing and clears at the
    /// end (github/cmark-gfm#176, unmerged). Two concurrent inline phases would clear each other's
    /// `~` and `:`, so the inline phase is serialised; block parsing and rendering stay parallel.
    private static let inlinePhase = NSLock()

    static var options: Int32 { CMARK_OPT_UNSAFE | CMARK_OPT_FOOTNOTES }

    /// A parser whose memory comes from the calling thread's current arena.
    static func makeParser(smart: Bool) -> OpaquePointer {
        precondition(registered)
        let opts = options | (smart ? CMARK_OPT_SMART : 0)
        let parser = cmark_parser_new_with_mem(opts, CmarkArena.memory)!
        for name in extensionNames {
            // The core extensions are registered above, so a miss (or a refusal) is a broken
            // libcmark-gfm install, not something a document can cause.
            guard let ext = cmark_find_syntax_extension(name), cmark_parser_attach_syntax_extension(parser, ext) != 0 else {
                fatalError("libcmark-gfm cannot use its '\(name)' extension; reinstall libcmark-gfm-extensions")
            }
        }
        return parser
    }

    static func finish(_ parser: OpaquePointer) -> OpaquePointer {
        inlinePhase.lock()
        defer { inlinePhase.unlock() }
        return cmark_parser_finish(parser)!
    }

    /// HTML for `node` with the parser's extensions (so tables, task lists and the tag filter
    /// render). The buffer is in the document's arena, which frees it with the document.
    static func render(_ node: OpaquePointer, parser: OpaquePointer) -> String {
        guard let cString = cmark_render_html_with_mem(node, options, cmark_parser_get_syntax_extensions(parser), CmarkArena.memory) else {
            return ""
        }
        return String(cString: cString)
    }

    /// A new node allocated in the current arena, like the parser's own.
    static func node(_ type: cmark_node_type) -> OpaquePointer {
        cmark_node_new_with_mem(type, CmarkArena.memory)!
    }
}
