import Foundation
import Logging
import ProfilesBus
import ProfilesProtocol
import ProfilesStore
import ProfilesTransport

/// The whole service in one object: the database, the bus with every
/// handler, and the TCP transport in front of them.
public final class ProfilesServer: Sendable {
    public static let version = "0.1.0"

    public let configuration: ServerConfiguration
    public let database: ProfilesDatabase
    public let bus: CommandBus
    private let transport: TCPServer
    private let logger: Logger

    public init(configuration: ServerConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        let tokens = try configuration.tokensPath.map { try TokenFile(path: $0) }
        if tokens == nil && !configuration.insecure {
            // Protected mode: an open server is only reachable from this host.
            let address = try SocketAddress.resolve(host: configuration.host, port: configuration.port)
            guard address.isLoopback else { throw ProtectedModeError(host: configuration.host) }
        }
        let authRequired = tokens != nil
        let database = try ProfilesDatabase(path: configuration.databasePath, synchronous: configuration.synchronous,
                                            logger: logger)
        self.database = database

        let limits = ConnectionLimits(maxLineBytes: configuration.maxLineBytes, maxOutputBytes: configuration.maxOutputBytes,
                                      idleTimeout: configuration.idleTimeout)
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
            RPCConnection(connection: connection, processor: RequestProcessor(bus: busBox.bus!), authRequired: authRequired,
                          logger: logger)
        }
        self.transport = transport
        let info = ServerInfo(version: Self.version, authRequired: authRequired) { [weak transport] in
            (transport?.currentConnections ?? 0, transport?.totalConnections ?? 0)
        }
        let bus = CommandBus(logger: logger) { registry in
            registry.registerAllMethods(database: database, info: info, tokens: tokens)
        }
        busBox.bus = bus
        self.bus = bus
    }

    /// Binds and starts serving; returns the bound address.
    @discardableResult
    public func start() throws -> SocketAddress {
        let address = try transport.start()
        logger.info("listening on \(address)")
        return address
    }

    public var address: SocketAddress? { transport.boundAddress }

    /// Graceful stop: no new connections, every received request answered,
    /// connections closed, WAL checkpointed, database closed.
    public func shutdown() {
        logger.info("shutting down")
        if !transport.shutdown(grace: configuration.drainGrace, timeout: configuration.drainTimeout) {
            logger.warning("some connections did not drain in time")
        }
        do {
            try database.checkpoint()
            try database.close()
        } catch {
            logger.error("closing the database failed", metadata: ["error": "\(error)"])
        }
        logger.info("stopped")
    }
}

/// Set once during `init`, before any connection can be accepted.
///
/// `@unchecked Sendable`: written once before `start()`, read afterwards.
private final class BusBox: @unchecked Sendable {
    var bus: CommandBus?
}
