import Dispatch
import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// A Dispatch-based TCP listener. It accepts connections, hands each one a
/// delegate from `makeDelegate`, and can drain them all on shutdown.
/// Accepted connections go to the process's event loops in turn
/// (`EventLoop.shared`: a few serial queues, each watching its connections
/// through one epoll descriptor), not to a queue of their own.
///
/// `@unchecked Sendable`: `connections` and the counters are guarded by
/// `lock`; the listening source is created in `start` and only cancelled.
public final class TCPServer: @unchecked Sendable {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        public var maxConnections: Int
        public var limits: ConnectionLimits
        public var backlog: Int32 = 1024

        public init(host: String, port: Int, maxConnections: Int, limits: ConnectionLimits) {
            self.host = host
            self.port = port
            self.maxConnections = maxConnections
            self.limits = limits
        }
    }

    public let configuration: Configuration
    private let logger: Logger
    private let makeDelegate: @Sendable (Connection) -> any ConnectionDelegate
    /// Bytes sent to a connection refused for being over `maxConnections`.
    private let rejectionLine: [UInt8]
    private let acceptQueue = DispatchQueue(label: "profiles.accept")
    private let lock = NSLock()
    private var connections: [UInt64: Connection] = [:]
    private var nextID: UInt64 = 0
    private var acceptedTotal: UInt64 = 0
    private var listenFD: Int32 = -1
    private var listenSource: DispatchSourceRead?
    private var allClosed: DispatchGroup?
    public private(set) var boundAddress: SocketAddress?

    public init(configuration: Configuration, logger: Logger, rejectionLine: [UInt8],
                makeDelegate: @escaping @Sendable (Connection) -> any ConnectionDelegate) {
        self.configuration = configuration
        self.logger = logger
        self.rejectionLine = rejectionLine
        self.makeDelegate = makeDelegate
    }

    /// Binds and starts accepting. Returns the bound address (real port for 0).
    @discardableResult
    public func start() throws(SocketError) -> SocketAddress {
        let address = try SocketAddress.resolve(host: configuration.host, port: configuration.port)
        let fd = try Socket.makeListener(address: address, backlog: configuration.backlog)
        let bound = try SocketAddress.local(of: fd)
        listenFD = fd
        boundAddress = bound
        let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: acceptQueue)
        source.setEventHandler { [unowned self] in acceptPending() }
        source.setCancelHandler { close(fd) }
        listenSource = source
        source.resume()
        return bound
    }

    public var currentConnections: Int { lock.withLock { connections.count } }
    public var totalConnections: UInt64 { lock.withLock { acceptedTotal } }

    /// Stops accepting and drains every connection: what each one already
    /// received is answered, lines arriving within `grace` are refused by
    /// the delegate, and each closes once flushed. Returns false if some
    /// connection was still open when `timeout` passed.
    public func shutdown(grace: TimeInterval, timeout: TimeInterval) -> Bool {
        acceptQueue.sync {
            listenSource?.cancel()
            listenSource = nil
        }
        let group = DispatchGroup()
        let open: [Connection] = lock.withLock {
            allClosed = group
            for _ in connections { group.enter() }
            return Array(connections.values)
        }
        for connection in open { connection.drain(grace: grace) }
        if group.wait(timeout: .now() + timeout) == .success { return true }
        // Every connection has a close deadline, so this is a queue stuck in
        // a long call: close what is left, so that nothing still uses what
        // the caller tears down next.
        let left: [Connection] = lock.withLock { Array(connections.values) }
        logger.warning("connections still open after the drain timeout; closing them", metadata: ["open": "\(left.count)"])
        for connection in left { connection.forceClose() }
        _ = group.wait(timeout: .now() + 5)
        return false
    }

    private func acceptPending() {
        while true {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(listenFD, $0, &length) }
            }
            if fd < 0 {
                if errno == EINTR { continue }
                if errno != EAGAIN && errno != EWOULDBLOCK {
                    logger.warning("accept failed", metadata: ["errno": "\(errno)"])
                }
                return
            }
            Socket.setNonBlocking(fd)
            Socket.setNoDelay(fd)
            let peer = SocketAddress(storage: storage, length: length).description
            let admitted: UInt64? = lock.withLock {
                guard connections.count < configuration.maxConnections else { return nil }
                acceptedTotal += 1
                nextID += 1
                return nextID
            }
            guard let id = admitted else {
                reject(fd: fd, peer: peer)
                continue
            }
            let loops = EventLoop.shared
            let loop = loops[Int(id % UInt64(loops.count))]
            let connection = Connection(id: id, fd: fd, peer: peer, limits: configuration.limits, logger: logger,
                                        loop: loop) { [weak self] closed in
                self?.remove(closed)
            }
            lock.withLock { connections[id] = connection }
            connection.delegate = makeDelegate(connection)
            connection.start()
        }
    }

    /// Over the connection limit: one best-effort error line, then close.
    private func reject(fd: Int32, peer: String) {
        logger.warning("connection refused: limit reached", metadata: ["peer": "\(peer)", "max_connections": "\(configuration.maxConnections)"])
        _ = rejectionLine.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        Glibc.shutdown(fd, Int32(SHUT_WR))
        close(fd)
    }

    private func remove(_ connection: Connection) {
        lock.withLock {
            if connections.removeValue(forKey: connection.id) != nil, let group = allClosed { group.leave() }
        }
    }
}
