import CCmarkGFM
import Foundation

/// A per-document allocator for libcmark-gfm. A parse makes a small allocation for every node,
/// text run, delimiter and buffer; through malloc, allocating and freeing them cost as much as the
/// parse itself. Here small blocks come from large chunks, freed small blocks are kept on per-size
/// lists for reuse (the inline parser frees most of what it allocates), and the whole document
/// goes at once when it is released.
///
/// libcmark-gfm's allocator hooks take no context argument, so the arena in use is a thread-local
/// set for the duration of each document call (`withArena`). Every libcmark-gfm call for a
/// document happens inside one, on whatever thread runs it; a hook called outside one is a bug and
/// stops the program rather than mixing allocators.
///
/// The hooks run millions of times per large document, so the state is a plain struct behind a
/// pointer: no reference counting and no dynamic exclusivity checks on the hot path.
final class CmarkArena {
    private let state: UnsafeMutablePointer<ArenaState>

    init() {
        // Unsafe: one ArenaState, owned by this arena alone and freed in deinit.
        state = .allocate(capacity: 1)
        state.initialize(to: ArenaState())
    }

    deinit {
        // Safe: no document call runs any more (the document holding this arena is gone), so no
        // hook can reach the state after this.
        state.pointee.releaseAll()
        state.deinitialize(count: 1)
        state.deallocate()
    }

    /// Runs `body` with this arena serving libcmark-gfm's allocations on this thread.
    func withArena<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        let previous = pthread_getspecific(Self.key)
        // Safe: the thread-local points at `state` only while `body` runs, and `self` (which owns
        // it) is alive for that whole call.
        pthread_setspecific(Self.key, UnsafeMutableRawPointer(state))
        defer { pthread_setspecific(Self.key, previous) }
        return try body()
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    @inline(__always) static var current: UnsafeMutablePointer<ArenaState> {
        guard let raw = pthread_getspecific(key) else {
            fatalError("libcmark-gfm allocated outside a document's arena")
        }
        // Safe: `withArena` is the only writer of this key and stores an ArenaState pointer.
        return raw.assumingMemoryBound(to: ArenaState.self)
    }

    /// The `cmark_mem` hooks.
    // nonisolated(unsafe): initialised once (a static let) and only read afterwards, by libcmark-gfm.
    nonisolated(unsafe) static let memory: UnsafeMutablePointer<cmark_mem> = {
        // Never freed: libcmark-gfm keeps this pointer in every parser for the program's lifetime.
        let mem = UnsafeMutablePointer<cmark_mem>.allocate(capacity: 1)
        mem.initialize(
            to: cmark_mem(
                calloc: { count, size in CmarkArena.current.pointee.allocate(count * size) },
                realloc: { pointer, size in CmarkArena.current.pointee.reallocate(pointer, size) },
                free: { pointer in CmarkArena.current.pointee.release(pointer) }
            ))
        return mem
    }()
}

struct ArenaState {
    private static let header = 16 // keeps 16-byte alignment; holds the block's usable size
    static let maxChunk = HugeChunk.size
    private static let smallLimit = 1024 // blocks up to this size are recycled by size class
    private static let classes = smallLimit / 16 + 1

    /// Chunks start small (most lessons need little) and double for big documents.
    private var chunkSize = 64 * 1024
    private var chunks: [UnsafeMutableRawPointer] = []
    /// Whether each chunk is a full-size (`maxChunk`) one, which can be pooled.
    private var fullSize: [Bool] = []
    private var cursor: UnsafeMutableRawPointer?
    private var remaining = 0
    /// The most recent bump allocation, which realloc can grow in place.
    private var last: UnsafeMutableRawPointer?
    /// Blocks too big for a shared chunk, each in its own chunk (user pointer → chunk index), so
    /// realloc can grow them with the system realloc as output buffers grow.
    private var large: [UnsafeMutableRawPointer: Int] = [:]
    /// Freed small blocks by size class (16-byte steps); the link lives in the block itself.
    private let freeLists: UnsafeMutablePointer<UnsafeMutableRawPointer?>

    init() {
        // Unsafe: one head per size class, freed in releaseAll.
        freeLists = .allocate(capacity: Self.classes)
        freeLists.initialize(repeating: nil, count: Self.classes)
    }

    func releaseAll() {
        for (index, chunk) in chunks.enumerated() {
            // Full-size chunks go back to the pool for the next document; the rest to malloc.
            if !fullSize[index] {
                free(chunk)
            } else if !ChunkPool.shared.give(chunk) {
                HugeChunk.release(chunk)
            }
        }
        freeLists.deallocate()
    }

    @inline(__always) private static func rounded(_ size: Int) -> Int { (size + 15) & ~15 }

    /// Zeroed memory for at least `size` bytes.
    mutating func allocate(_ size: Int) -> UnsafeMutableRawPointer {
        let usable = Self.rounded(Swift.max(size, 16))
        if usable <= Self.smallLimit, let block = freeLists[usable / 16] {
            // Safe: a freed block of this class holds the next link in its first 8 bytes (`release`)
            // and has `usable` bytes after its header.
            freeLists[usable / 16] = block.load(as: UnsafeMutableRawPointer?.self)
            memset(block, 0, usable)
            return block
        }
        let needed = usable + Self.header
        if needed > remaining {
            if needed > chunkSize / 4 {
                // Out of memory is fatal, as it is for libcmark-gfm's own allocator.
                let chunk = calloc(1, needed)!
                chunks.append(chunk)
                fullSize.append(false)
                // Safe: the chunk has room for the header and `usable` bytes after it.
                chunk.storeBytes(of: usable, as: Int.self)
                let user = chunk + Self.header
                large[user] = chunks.count - 1
                return user
            }
            let chunk: UnsafeMutableRawPointer
            if chunkSize == Self.maxChunk {
                if let pooled = ChunkPool.shared.take() {
                    memset(pooled, 0, chunkSize)
                    chunk = pooled
                } else {
                    chunk = HugeChunk.allocate()
                }
            } else {
                chunk = calloc(1, chunkSize)!
            }
            chunks.append(chunk)
            fullSize.append(chunkSize == Self.maxChunk)
            cursor = chunk
            remaining = chunkSize
            chunkSize = Swift.min(chunkSize * 2, Self.maxChunk)
        }
        // Safe: `needed <= remaining` here, so a chunk is current and the block fits in its rest.
        let block = cursor.unsafelyUnwrapped
        cursor = block + needed
        remaining -= needed
        block.storeBytes(of: usable, as: Int.self)
        let user = block + Self.header
        last = user
        return user
    }

    mutating func release(_ pointer: UnsafeMutableRawPointer?) {
        guard let pointer else { return }
        // Safe: every pointer libcmark-gfm frees came from `allocate`, with its size in the header.
        let usable = (pointer - Self.header).load(as: Int.self)
        // Big blocks stay until the arena goes; a large block's size is always above the limit.
        guard usable <= Self.smallLimit else { return }
        if pointer == last { last = nil }
        // Safe: a block is at least 16 bytes, room for the free-list link.
        pointer.storeBytes(of: freeLists[usable / 16], as: UnsafeMutableRawPointer?.self)
        freeLists[usable / 16] = pointer
    }

    mutating func reallocate(_ pointer: UnsafeMutableRawPointer?, _ size: Int) -> UnsafeMutableRawPointer {
        guard let pointer else { return allocate(size) }
        // Safe: the pointer came from `allocate`, with its size in the header.
        let oldSize = (pointer - Self.header).load(as: Int.self)
        if size <= oldSize { return pointer }
        if oldSize > Self.smallLimit, let index = large.removeValue(forKey: pointer) {
            // Grow by at least half again, so repeated growth of an output buffer stays cheap.
            let capacity = Self.rounded(Swift.max(size, oldSize + oldSize / 2))
            // Safe: a large block is the whole of its own chunk, so the system realloc can move it.
            let chunk = realloc(chunks[index], capacity + Self.header)!
            chunks[index] = chunk
            chunk.storeBytes(of: capacity, as: Int.self)
            let user = chunk + Self.header
            large[user] = index
            return user
        }
        // The newest bump block grows into the rest of its chunk.
        if pointer == last, let cursor {
            let growth = Self.rounded(size) - oldSize
            if growth <= remaining {
                // Safe: the newest block ends at `cursor`, and the chunk has `remaining` bytes after it.
                self.cursor = cursor + growth
                remaining -= growth
                (pointer - Self.header).storeBytes(of: Self.rounded(size), as: Int.self)
                return pointer
            }
        }
        let fresh = allocate(size)
        // Safe: both blocks have at least `oldSize` bytes, and a fresh block never overlaps a live one.
        fresh.copyMemory(from: pointer, byteCount: oldSize)
        release(pointer)
        return fresh
    }
}

/// Full-size arena chunks kept between documents. Zeroing a reused chunk is several times cheaper
/// than the page faults of fresh memory, which dominate big documents. Bounded, so a burst of
/// large documents does not keep memory forever.
final class ChunkPool: @unchecked Sendable {
    // unchecked Sendable: `chunks`, the only mutable field, is read and written only under `lock`.
    static let shared = ChunkPool()
    private static let limit = 32 // chunks (64 MB)
    private let lock = NSLock()
    private var chunks: [UnsafeMutableRawPointer] = []

    func take() -> UnsafeMutableRawPointer? {
        lock.lock()
        defer { lock.unlock() }
        return chunks.popLast()
    }

    func give(_ chunk: UnsafeMutableRawPointer) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard chunks.count < Self.limit else { return false }
        chunks.append(chunk)
        return true
    }
}

/// Full-size chunks: 2 MiB, aligned to 2 MiB and marked for transparent huge pages, so a big
/// document takes one page fault per chunk instead of 512 (page faults were 15% of the Markdown
/// benchmark). Fresh anonymous memory is zeroed by the kernel, as `calloc` would.
enum HugeChunk {
    static let size = 2 * 1024 * 1024

    static func allocate() -> UnsafeMutableRawPointer {
        // Twice the size, then the unaligned ends are given back.
        let span = size * 2
        guard let raw = mmap(nil, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), raw != MAP_FAILED else {
            fatalError("out of memory: cannot map \(span) bytes for Markdown parsing")
        }
        let start = Int(bitPattern: raw)
        let aligned = (start + size - 1) & ~(size - 1)
        // Safe: both trims lie inside the span just mapped and outside the aligned chunk kept.
        if aligned > start { munmap(raw, aligned - start) }
        let end = start + span, alignedEnd = aligned + size
        if end > alignedEnd { munmap(UnsafeMutableRawPointer(bitPattern: alignedEnd), end - alignedEnd) }
        let chunk = UnsafeMutableRawPointer(bitPattern: aligned)!
        // Advice only: without huge pages (THP off) the chunk still works, with small pages.
        _ = madvise(chunk, size, MADV_HUGEPAGE)
        return chunk
    }

    /// Safe only for a chunk from `allocate`, which maps exactly `size` bytes there.
    static func release(_ chunk: UnsafeMutableRawPointer) { munmap(chunk, size) }
}
