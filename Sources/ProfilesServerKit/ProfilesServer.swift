import Foundation
import Logging
import ProfilesBus
import Prometheus
import ProfilesProtocol
import ProfilesPostgres
import ProfilesSQLite
import ProfilesStore
import ProfilesTransport

/// The whole service in one object: the database, the bus with every
/// handler, and the TCP transport in front of them.
public final class ProfilesServer: Sendable {
    public static let version = "0.1.0"

    public let configuration: ServerConfiguration
    /// The store the bus runs on: SQLite (the default) or PostgreSQL.
    public let store: any ProfileStore
    /// The SQLite store, for what only it has (its file, its pragmas);
    /// a SQLite-only caller's mistake to ask it of a PostgreSQL server.
    public var database: ProfilesDatabase {
        guard let database = store as? ProfilesDatabase else { preconditionFailure("this server runs on PostgreSQL, not SQLite") }
        return database
    }
    public let bus: CommandBus
    /// Nil unless `configuration.metricsPort` is set.
    public let metrics: ServerMetrics?
    private let transport: TCPServer
    private let metricsListener: TCPServer?
    private let pruner: JournalPruner
    private let logger: Logger
    /// Held until `shutdown`: no second server serves the same file
    /// (nil with PostgreSQL, which many nodes share).
    private let fileLock: DatabaseFileLock?

    /// `metricsRegistry`: where the metrics go when `metricsPort` is set
    /// (the executable passes the one it bootstrapped `MetricsSystem`
    /// with); nil: a registry of this server's own.
    public init(configuration: ServerConfiguration, logger: Logger,
                metricsRegistry: PrometheusCollectorRegistry? = nil) throws {
        self.configuration = configuration
        self.logger = logger
        let tokens = try configuration.tokensPath.map { try TokenFile(path: $0) }
        if tokens == nil && !configuration.insecure {
            // Protected mode: an open server is only reachable from this host.
            let address = try SocketAddress.resolve(host: configuration.host, port: configuration.port)
            guard address.isLoopback else { throw ProtectedModeError(host: configuration.host) }
        }
        let authRequired = tokens != nil
        let store: any ProfileStore
        if let url = configuration.postgresURL {
            fileLock = nil
            store = try PostgresStore(url: url, logger: logger)
        } else {
            fileLock = try DatabaseFileLock(databasePath: configuration.databasePath)
            store = try ProfilesDatabase(path: configuration.databasePath, synchronous: configuration.synchronous, logger: logger)
        }
        self.store = store
        pruner = JournalPruner(store: store, retention: configuration.eventsRetention, logger: logger)

        let limits = ConnectionLimits(maxLineBytes: configuration.maxLineBytes, maxOutputBytes: configuration.maxOutputBytes,
                                      idleTimeout: configuration.idleTimeout, closeTimeout: configuration.closeTimeout)
        let rejection = Envelope.encodeLine(Response(id: .null, error: .overloaded(
            "too many connections (limit \(configuration.maxConnections)); try again later")))
        // The bus and the transport refer to each other (stats reads the
        // connection counts), so the transport is built first and the bus
        // is captured by the delegate factory through a box.
        let busBox = BusBox()
        let transport = TCPServer(
            configuration: .init(host: configuration.host, port: configuration.port,
                                 maxConnections: configuration.maxConnections, limits: limits),
            logger: logger, rejectionLine: rejection
        ) { connection in
            RPCConnection(connection: connection, processor: RequestProcessor(bus: busBox.bus!, maxBatch: configuration.maxBatch),
                          authRequired: authRequired,
                          maxPushBacklog: configuration.maxOutputBytes, logger: logger)
        }
        self.transport = transport
        let info = ServerInfo(version: Self.version, authRequired: authRequired) { [weak transport] in
            (transport?.currentConnections ?? 0, transport?.totalConnections ?? 0)
        }
        let metrics = configuration.metricsPort.map { _ in ServerMetrics(registry: metricsRegistry ?? PrometheusCollectorRegistry()) }
        self.metrics = metrics
        metricsListener = metrics.map { metrics in
            var listenerLogger = logger
            listenerLogger[metadataKey: "listener"] = "metrics"
            let databasePath = configuration.databasePath
            let openConnections: @Sendable () -> Int = { [weak transport] in transport?.currentConnections ?? 0 }
            return TCPServer(
                configuration: .init(host: configuration.metricsHost, port: configuration.metricsPort ?? 0, maxConnections: 16,
                                     limits: ConnectionLimits(maxLineBytes: 8 * 1024, idleTimeout: 10)),
                logger: listenerLogger, rejectionLine: MetricsHTTPConnection.busyResponse
            ) { connection in
                MetricsHTTPConnection(connection: connection, deadline: 10) {
                    metrics.exposition(openConnections: openConnections(), databasePath: databasePath)
                }
            }
        }
        let telemetry = CallTelemetry(logger: logger,
                                      slowNanoseconds: configuration.slowRequestMilliseconds.map { UInt64(max(0, $0) * 1e6) },
                                      metrics: metrics)
        let bus = CommandBus(logger: logger, observer: telemetry) { registry in
            registry.registerAllMethods(store: store, info: info, tokens: tokens, feed: EventFeed(store: store),
                                        answerCacheBytes: configuration.answerCacheMegabytes << 20)
        }
        busBox.bus = bus
        self.bus = bus
    }

    /// Binds and starts serving; returns the bound address.
    @discardableResult
    public func start() throws -> SocketAddress {
        if let metricsListener {
            let metricsAddress = try metricsListener.start()
            logger.info("metrics on \(metricsAddress)")
        }
        let address: SocketAddress
        do {
            address = try transport.start()
        } catch {
            _ = metricsListener?.shutdown(grace: 0, timeout: 1)
            throw error
        }
        pruner.start()
        logger.info("listening on \(address)")
        return address
    }

    public var address: SocketAddress? { transport.boundAddress }
    /// Where `GET /metrics` is served, once started; nil without metrics.
    public var metricsAddress: SocketAddress? { metricsListener?.boundAddress }

    /// Graceful stop: no new connections, every received request answered,
    /// connections closed, WAL checkpointed, database closed. Every
    /// connection closes within the grace plus its close deadline, and the
    /// database is closed only once they have. Returns false when some
    /// connection had to be closed forcibly after `drainTimeout`.
    @discardableResult
    public func shutdown() -> Bool {
        logger.info("shutting down")
        _ = metricsListener?.shutdown(grace: 0, timeout: 1)
        let drained = transport.shutdown(grace: configuration.drainGrace, timeout: configuration.drainTimeout)
        if !drained {
            logger.warning("some connections did not drain in time")
        }
        pruner.stop()
        do {
            if let database = store as? ProfilesDatabase {
                try database.checkpoint()
                try database.close()
            } else if let postgres = store as? PostgresStore {
                postgres.close()
            }
        } catch {
            logger.error("closing the database failed", metadata: ["error": "\(error)"])
        }
        fileLock?.release()
        logger.info("stopped")
        return drained
    }
}

/// Set once during `init`, before any connection can be accepted.
///
/// `@unchecked Sendable`: written once before `start()`, read afterwards.
private final class BusBox: @unchecked Sendable {
    var bus: CommandBus?
}
