import CCmarkGFM
import Common
import Foundation

/// Renders a large document on all cores. libcmark-gfm's HTML renderer walks one subtree with
/// state of its own, so consecutive top-level blocks are moved in groups under temporary document
/// nodes, each group is rendered on its own thread into its own arena, the blocks go back, and the
/// pieces are copied once into the result.
///
/// The joins write what one render would: every top-level block except a footnote definition
/// starts with the renderer's "new line unless at a line start" (`cmark_html_render_cr`), which a
/// group's empty buffer skips, so the join puts that newline back where the text before does not
/// end a line. Footnote definitions, whose list the renderer opens and closes with state of its
/// own, all stay in the last group (the parser moves them to the end of the document).
enum GroupedRender {
    /// Below this many top-level blocks one render costs less than the split; a lesson has about a
    /// hundred, and a site renders its lessons in parallel already.
    static let automaticMinimumBlocks = 2048
    /// Groups per core: more than one, so a core that another process slows does not hold the rest up.
    static let groupsPerCore = 4

    /// `root` as HTML. `blocksPerGroup` forces a split (tests); nil splits only large documents.
    /// `HTMLWriter` renders unless `libcmark` asks for libcmark-gfm's renderer (which writes the
    /// same bytes) or the document has footnotes, which only libcmark-gfm renders. `sourceBytes`
    /// (the Markdown's size) sizes HTMLWriter's buffers.
    static func html(
        _ root: OpaquePointer, parser: OpaquePointer, blocksPerGroup: Int? = nil, libcmark: Bool = false, sourceBytes: Int = 0
    ) throws(MarkdownError) -> String {
        let blocks = topLevelBlocks(root)
        let groups = split(blocks, blocksPerGroup: blocksPerGroup)
        // HTML is about 1.6 times its Markdown (tags around every block and inline); a little
        // more, so most buffers never grow (a copy of everything written so far, and fresh pages).
        let capacity = sourceBytes * 7 / 4 / groups.count + 4096
        if !libcmark, let html = ownHTML(blocks, groups: groups, capacity: capacity) { return html }
        guard groups.count > 1 else { return CmarkRuntime.render(root, parser: parser) }
        let holders = try move(blocks, into: groups, from: root)
        defer { restore(blocks, to: root, freeing: holders) }
        let pieces = renderInParallel(holders, extensions: cmark_parser_get_syntax_extensions(parser))
        return join(pieces, startsWithNewline: groups.map { cmark_node_get_type(blocks[$0.lowerBound]) != CMARK_NODE_FOOTNOTE_DEFINITION })
    }

    /// How many groups `root` is rendered in.
    static func groupCount(_ root: OpaquePointer, blocksPerGroup: Int? = nil) -> Int {
        split(topLevelBlocks(root), blocksPerGroup: blocksPerGroup).count
    }

    /// The groups: `blocksPerGroup` forces a size (tests); nil splits only large documents, into
    /// a few groups per core.
    private static func split(_ blocks: [OpaquePointer], blocksPerGroup: Int?) -> [Range<Int>] {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let perGroup: Int
        if let forced = blocksPerGroup {
            perGroup = max(1, forced)
        } else if cores > 1, blocks.count >= automaticMinimumBlocks {
            perGroup = (blocks.count + cores * groupsPerCore - 1) / (cores * groupsPerCore)
        } else {
            perGroup = Int.max
        }
        return ranges(of: blocks, perGroup: perGroup)
    }

    private static func topLevelBlocks(_ root: OpaquePointer) -> [OpaquePointer] {
        var blocks: [OpaquePointer] = []
        var child = cmark_node_first_child(root)
        while let block = child {
            blocks.append(block)
            child = cmark_node_next(block)
        }
        return blocks
    }

    /// Consecutive ranges of `perGroup` blocks; the footnote definitions at the end join the last.
    private static func ranges(of blocks: [OpaquePointer], perGroup: Int) -> [Range<Int>] {
        let firstFootnote = blocks.firstIndex { cmark_node_get_type($0) == CMARK_NODE_FOOTNOTE_DEFINITION } ?? blocks.count
        var starts = Array(stride(from: 0, to: firstFootnote, by: perGroup))
        if starts.isEmpty { starts = [0] }
        return starts.indices.map { i in starts[i]..<(i + 1 < starts.count ? starts[i + 1] : blocks.count) }
    }

    /// A temporary document per group holding that group's blocks (in the caller's arena).
    private static func move(
        _ blocks: [OpaquePointer], into groups: [Range<Int>], from root: OpaquePointer
    ) throws(MarkdownError)
        -> [OpaquePointer]
    {
        var holders: [OpaquePointer] = []
        do {
            for group in groups {
                let holder = CmarkRuntime.node(CMARK_NODE_DOCUMENT)
                holders.append(holder)
                for block in blocks[group] { try CmarkTree.appendChild(block, to: holder) }
            }
        } catch {
            // Put back what moved: the document must stay whole for the next render.
            restore(blocks, to: root, freeing: holders)
            throw error
        }
        return holders
    }

    /// Appends every block back to `root`, in order, and frees the empty holders.
    private static func restore(_ blocks: [OpaquePointer], to root: OpaquePointer, freeing holders: [OpaquePointer]) {
        // Appending in order rebuilds the original order; a document takes every block kind.
        for block in blocks { cmark_node_append_child(root, block) }
        for holder in holders where cmark_node_first_child(holder) == nil { cmark_node_free(holder) }
    }

    /// One group's HTML, in the arena (libcmark-gfm's renderer) or the HTMLBytes (ours) that
    /// holds it until the join has copied it.
    struct Piece {
        let arena: CmarkArena?
        let bytes: UnsafeBufferPointer<UInt8>
        var owner: HTMLBytes?
    }

    private static func renderInParallel(_ holders: [OpaquePointer], extensions: UnsafeMutablePointer<cmark_llist>?) -> [Piece] {
        // Each iteration reads only its own subtree (the renderer never writes to the tree), so
        // these are shared across threads without a lock.
        nonisolated(unsafe) let roots = holders
        nonisolated(unsafe) let extensionList = extensions
        return concurrentMap(holders.count) { i in
            let arena = CmarkArena()
            let bytes = arena.withArena { () -> UnsafeBufferPointer<UInt8> in
                // The renderer and its iterator allocate through the hooks, so into this thread's arena.
                guard let html = cmark_render_html_with_mem(roots[i], CmarkRuntime.options, extensionList, CmarkArena.memory) else {
                    return UnsafeBufferPointer(start: nil, count: 0)
                }
                // Safe: a NUL-terminated buffer in `arena`, which the piece keeps alive.
                return UnsafeBufferPointer(start: UnsafeRawPointer(html).assumingMemoryBound(to: UInt8.self), count: strlen(html))
            }
            return Piece(arena: arena, bytes: bytes)
        }
    }

    /// `HTMLWriter`'s rendering, each group on its own thread; nil at a footnote.
    private static func ownHTML(_ blocks: [OpaquePointer], groups: [Range<Int>], capacity: Int) -> String? {
        if groups.count == 1 {
            return HTMLWriter.render(blocks[...], capacity: capacity).map { String(decoding: $0.written, as: UTF8.self) }
        }
        // HTMLWriter only reads the tree, so the blocks are shared across threads without a lock.
        nonisolated(unsafe) let shared = blocks
        let results = concurrentMap(groups.count) { i in HTMLWriter.render(shared[groups[i]], capacity: capacity) }
        var pieces: [Piece] = []
        for result in results {
            guard let piece = result else { return nil }
            pieces.append(Piece(arena: nil, bytes: piece.written, owner: piece))
        }
        // Groups end before the footnote definitions, so every group starts with a plain block.
        return join(pieces, startsWithNewline: groups.map { _ in true })
    }

    /// The pieces back to back, with the newline each group's first block would have written.
    private static func join(_ pieces: [Piece], startsWithNewline: [Bool]) -> String {
        let capacity = pieces.reduce(pieces.count) { $0 + $1.bytes.count }
        // Unsafe for speed (megabytes of HTML): `n` never passes `capacity`, which counts every
        // piece's bytes plus one possible newline per piece.
        return String(unsafeUninitializedCapacity: capacity) { out in
            var n = 0
            for (index, piece) in pieces.enumerated() {
                if index > 0, startsWithNewline[index], n > 0, out[n - 1] != 0x0A {
                    out[n] = 0x0A
                    n += 1
                }
                if let base = piece.bytes.baseAddress {
                    UnsafeMutableRawPointer(out.baseAddress! + n).copyMemory(from: base, byteCount: piece.bytes.count)
                    n += piece.bytes.count
                }
            }
            return n
        }
    }
}
