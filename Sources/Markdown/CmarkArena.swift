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
final class CmarkArena {
    private static let header = 16  // keeps 16-byte alignment; holds the block's usable size
    private static let maxChunk = 1024 * 1024
    private static let smallLimit = 1024  // blocks up to this size are recycled by size class
    /// Chunks start small (most lessons need little) and double for big documents.
    private var chunkSize = 64 * 1024
    private var chunks: [UnsafeMutableRawPointer] = []
    private var cursor: UnsafeMutableRawPointer?
    private var remaining = 0
    /// The most recent bump allocation, which realloc can grow in place.
    private var last: UnsafeMutableRawPointer?
    /// Blocks too big for a shared chunk, each in its own chunk (user pointer → chunk index), so
    /// realloc can grow them with the system realloc as output buffers grow.
    private var large: [UnsafeMutableRawPointer: Int] = [:]
    /// Freed small blocks by size class (16-byte steps); the link lives in the block itself.
    private var freeLists = [UnsafeMutableRawPointer?](repeating: nil, count: smallLimit / 16 + 1)

    deinit {
        for chunk in chunks { free(chunk) }
    }

    @inline(__always) private static func rounded(_ size: Int) -> Int { (size + 15) & ~15 }

    /// Zeroed memory for at least `size` bytes.
    func allocate(_ size: Int) -> UnsafeMutableRawPointer {
        let usable = Self.rounded(Swift.max(size, 16))
        if usable <= Self.smallLimit, let block = freeLists[usable / 16] {
            freeLists[usable / 16] = block.load(as: UnsafeMutableRawPointer?.self)
            memset(block, 0, usable)
            return block
        }
        let needed = usable + Self.header
        if needed > remaining {
            if needed > chunkSize / 4 {
                let chunk = calloc(1, needed)!
                chunks.append(chunk)
                chunk.storeBytes(of: usable, as: Int.self)
                let user = chunk + Self.header
                large[user] = chunks.count - 1
                return user
            }
            let chunk = calloc(1, chunkSize)!
            chunks.append(chunk)
            cursor = chunk
            remaining = chunkSize
            chunkSize = Swift.min(chunkSize * 2, Self.maxChunk)
        }
        let block = cursor!
        cursor = block + needed
        remaining -= needed
        block.storeBytes(of: usable, as: Int.self)
        last = block + Self.header
        return last!
    }

    func release(_ pointer: UnsafeMutableRawPointer?) {
        guard let pointer else { return }
        let usable = (pointer - Self.header).load(as: Int.self)
        guard usable <= Self.smallLimit, large[pointer] == nil else { return }  // big blocks go with the arena
        if pointer == last { last = nil }
        pointer.storeBytes(of: freeLists[usable / 16], as: UnsafeMutableRawPointer?.self)
        freeLists[usable / 16] = pointer
    }

    func reallocate(_ pointer: UnsafeMutableRawPointer?, _ size: Int) -> UnsafeMutableRawPointer {
        guard let pointer else { return allocate(size) }
        let oldSize = (pointer - Self.header).load(as: Int.self)
        if size <= oldSize { return pointer }
        if let index = large.removeValue(forKey: pointer) {
            // Grow by at least half again, so repeated growth of an output buffer stays cheap.
            let capacity = Self.rounded(Swift.max(size, oldSize + oldSize / 2))
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
                self.cursor = cursor + growth
                remaining -= growth
                (pointer - Self.header).storeBytes(of: Self.rounded(size), as: Int.self)
                return pointer
            }
        }
        let fresh = allocate(size)
        fresh.copyMemory(from: pointer, byteCount: oldSize)
        release(pointer)
        return fresh
    }

    // MARK: Thread-local current arena

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    static var current: CmarkArena {
        guard let raw = pthread_getspecific(key) else {
            fatalError("libcmark-gfm allocated outside a document's arena")
        }
        return Unmanaged<CmarkArena>.fromOpaque(raw).takeUnretainedValue()
    }

    /// Runs `body` with this arena serving libcmark-gfm's allocations on this thread.
    func withArena<R>(_ body: () throws -> R) rethrows -> R {
        let previous = pthread_getspecific(Self.key)
        pthread_setspecific(Self.key, Unmanaged.passUnretained(self).toOpaque())
        defer { pthread_setspecific(Self.key, previous) }
        return try body()
    }

    /// The `cmark_mem` hooks.
    nonisolated(unsafe) static let memory: UnsafeMutablePointer<cmark_mem> = {
        let mem = UnsafeMutablePointer<cmark_mem>.allocate(capacity: 1)
        mem.initialize(to: cmark_mem(
            calloc: { count, size in CmarkArena.current.allocate(count * size) },
            realloc: { pointer, size in CmarkArena.current.reallocate(pointer, size) },
            free: { pointer in CmarkArena.current.release(pointer) }
        ))
        return mem
    }()
}
