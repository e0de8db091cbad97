import CProfilesEpoll
import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A serial queue and the connections it owns, watched by one epoll
/// descriptor of its own. A single `DispatchSourceRead` observes that
/// descriptor; its handler takes every ready connection at once (each reads
/// until the kernel has nothing more, answers its lines and sends once), so
/// one wake-up serves many requests, and no source is armed or disarmed per
/// connection or per request. Connections are registered edge-triggered for
/// input and output once, for their whole life.
///
/// The loops are shared by every server of the process (`EventLoop.shared`,
/// about one per core); a server spreads its connections over them in turn.
///
/// `@unchecked Sendable`: `connections` and the buffers are touched only on
/// `queue` (the source's handler runs there, and `register`/`unregister`
/// must be called there).
final class EventLoop: @unchecked Sendable {
    let queue: DispatchQueue
    private let epollFD: Int32
    private var source: DispatchSourceRead?
    /// By a key of this loop's own: connection ids are per server, and
    /// every server of the process (the metrics listener too) shares the loops.
    private var connections: [UInt64: Connection] = [:]
    private var nextKey: UInt64 = 0
    private let keys: UnsafeMutablePointer<UInt64>
    private let events: UnsafeMutablePointer<UInt32>
    /// Where every connection of this loop reads into: the bytes are copied
    /// into the connection's framer at once, so one buffer serves them all.
    let readBuffer: UnsafeMutableRawBufferPointer
    static let readBufferSize = 64 * 1024

    /// About one loop per core, at least two; created on first use and kept
    /// for the life of the process.
    static let shared: [EventLoop] = {
        let count = max(2, ProcessInfo.processInfo.activeProcessorCount)
        return (0..<count).map { EventLoop(index: $0) }
    }()

    /// Marks each loop's queue, so code can tell it runs there.
    static let queueKey = DispatchSpecificKey<ObjectIdentifier>()

    /// Whether the caller runs on this loop's queue.
    var isCurrent: Bool { DispatchQueue.getSpecific(key: Self.queueKey) == ObjectIdentifier(self) }

    private init(index: Int) {
        queue = DispatchQueue(label: "profiles.loop.\(index)")
        epollFD = cprofiles_epoll_create()
        precondition(epollFD >= 0, "epoll_create1 failed: errno \(errno)")
        let max = Int(CPROFILES_EPOLL_MAX_EVENTS)
        keys = .allocate(capacity: max)
        events = .allocate(capacity: max)
        readBuffer = .allocate(byteCount: Self.readBufferSize, alignment: 16)
        queue.setSpecific(key: Self.queueKey, value: ObjectIdentifier(self))
        let source = DispatchSource.makeReadSource(fileDescriptor: epollFD, queue: queue)
        source.setEventHandler { [unowned self] in poll() }
        self.source = source
        source.resume()
    }

    /// Starts watching `connection`'s socket; returns the key to unregister
    /// it with, or nil if epoll refused it. On `queue`.
    func register(_ connection: Connection, fd: Int32) -> UInt64? {
        dispatchPrecondition(condition: .onQueue(queue))
        nextKey += 1
        guard cprofiles_epoll_add(epollFD, fd, nextKey) == 0 else { return nil }
        connections[nextKey] = connection
        return nextKey
    }

    /// Stops watching; call before closing the socket. On `queue`.
    func unregister(key: UInt64, fd: Int32) {
        dispatchPrecondition(condition: .onQueue(queue))
        if connections.removeValue(forKey: key) != nil {
            _ = cprofiles_epoll_remove(epollFD, fd)
        }
    }

    /// Every ready connection, until epoll reports none. A connection closed
    /// by an earlier one's handling in the same turn is no longer in
    /// `connections`, and its event is skipped.
    private func poll() {
        let max = Int32(CPROFILES_EPOLL_MAX_EVENTS)
        while true {
            let n = cprofiles_epoll_poll(epollFD, keys, events)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return }
            for i in 0..<Int(n) {
                connections[keys[i]]?.handle(events: events[i])
            }
            if n < max { return }
        }
    }
}
