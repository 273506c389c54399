import Common
import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Every open connection of one server, oldest first, and whether a request is in progress on it:
/// the connection cap needs to know which connection to give up when a new one arrives.
final class ConnectionLedger: Sendable {
    struct Counts: Sendable, Equatable {
        var open = 0
        /// The most connections that were ever open at once.
        var peak = 0
        /// Idle connections closed to make room for a new one.
        var evicted = 0
        /// New connections closed because every open one had a request in progress.
        var refused = 0
    }

    private struct Entry {
        let channel: any Channel
        var requestsInProgress = 0
    }

    private struct State {
        /// In the order they were opened; the first idle one is the one that waited longest.
        var entries: [ObjectIdentifier: Entry] = [:]
        var order: [ObjectIdentifier] = []
        var counts = Counts()
    }

    let capacity: Int
    private let state = Locked(State())

    init(capacity: Int) { self.capacity = max(1, capacity) }

    var counts: Counts { state.withLock { $0.counts } }

    /// Records a new connection. Returns the connection to close to stay within the cap: the oldest
    /// idle one, or the new one itself when none is idle.
    func open(_ channel: any Channel) -> (any Channel)? {
        let id = ObjectIdentifier(channel)
        return state.withLock { state in
            state.entries[id] = Entry(channel: channel)
            state.order.append(id)
            guard state.order.count > capacity else {
                state.counts.open = state.order.count
                state.counts.peak = max(state.counts.peak, state.counts.open)
                return nil
            }
            let victim = state.order.first { $0 != id && state.entries[$0]?.requestsInProgress == 0 } ?? id
            if victim == id { state.counts.refused += 1 } else { state.counts.evicted += 1 }
            let channel = state.entries[victim]?.channel
            Self.remove(victim, from: &state)
            return channel
        }
    }

    func closed(_ channel: any Channel) {
        state.withLock { Self.remove(ObjectIdentifier(channel), from: &$0) }
    }

    /// A request head arrived (+1) or its response ended (-1).
    func adjust(_ channel: any Channel, by delta: Int) {
        state.withLock { $0.entries[ObjectIdentifier(channel)]?.requestsInProgress += delta }
    }

    private static func remove(_ id: ObjectIdentifier, from state: inout State) {
        guard state.entries.removeValue(forKey: id) != nil else { return }
        state.order.removeAll { $0 == id }
        state.counts.open = state.order.count
    }
}

/// Keeps the ledger up to date for one connection, and closes the connection after a response
/// that says `Connection: close` (an oversized or too slow request body is not read to its end).
final class ConnectionTracker: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let ledger: ConnectionLedger
    private var closeAfterResponse = false

    init(ledger: ConnectionLedger) { self.ledger = ledger }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        let ledger = ledger
        channel.closeFuture.whenComplete { _ in ledger.closed(channel) }
        // Channel.close is safe from any thread; the victim may live on another event loop.
        ledger.open(channel)?.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) { ledger.adjust(context.channel, by: 1) }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head):
            closeAfterResponse = head.headerFields[.connection]?.lowercased() == "close"
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            ledger.adjust(context.channel, by: -1)
            guard closeAfterResponse else { return context.write(data, promise: promise) }
            context.writeAndFlush(data, promise: promise)
            context.close(promise: nil)
        }
    }
}
