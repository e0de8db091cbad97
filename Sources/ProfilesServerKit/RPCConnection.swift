import Logging
import ProfilesBus
import ProfilesDomain
import ProfilesProtocol
import ProfilesTransport

/// Adapts one transport connection to the request processor: each line is
/// answered in order on the connection's own queue.
final class RPCConnection: ConnectionDelegate {
    private let processor: RequestProcessor
    private let session: Session
    private let logger: Logger

    init(connection: Connection, processor: RequestProcessor, authRequired: Bool, maxPushBacklog: Int, logger: Logger) {
        self.processor = processor
        self.session = Session(connectionID: connection.id, authRequired: authRequired)
        session.pusher = ConnectionPusher(connection: connection, maxUnsentBytes: maxPushBacklog)
        self.logger = logger
        logger.debug("connection opened", metadata: ["connection": "\(connection.id)", "peer": "\(connection.peer)"])
    }

    func connection(_ connection: Connection, didReceiveLine line: ArraySlice<UInt8>) {
        if connection.isDraining {
            if let answer = processor.reject(line: line, with: .overloaded("the server is shutting down; retry on a new connection")) {
                connection.send(answer)
            }
            return
        }
        if let answer = processor.process(line: line, session: session) {
            connection.send(answer)
        }
        if session.closeRequested {
            logger.warning("closing connection after failed auth attempts", metadata: ["connection": "\(connection.id)"])
            connection.closeAfterFlush()
        }
    }

    func connectionDidExceedLineLimit(_ connection: Connection, limit: Int) {
        logger.warning("line over the limit; closing", metadata: ["connection": "\(connection.id)", "limit": "\(limit)"])
        connection.send(Envelope.encodeLine(Response(id: .null, error: .payloadTooLarge(limit: limit))))
    }

    func connectionDidClose(_ connection: Connection) {
        session.connectionClosed()
        logger.debug("connection closed", metadata: ["connection": "\(connection.id)"])
    }
}
