import Logging
import ProfilesBus
import ProfilesDomain
import ProfilesProtocol
import ProfilesTransport

/// Adapts one transport connection to the request processor: each line is
/// answered in order on the connection's own queue.
///
/// A batch is answered element by element, each answer appended to the
/// connection's output as it is produced. When the unsent output passes
/// the connection's limit, the batch pauses (the connection holds its
/// input: no further element runs, no further line is read) and goes on
/// from `connectionDidDrainOutput` once the peer has read enough. So one
/// line never makes the server hold much more than the output limit.
final class RPCConnection: ConnectionDelegate {
    private let processor: RequestProcessor
    private let session: Session
    private let logger: Logger
    /// The batch being answered, paused or not; nil between lines.
    private var batch: BatchRun?

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
        switch processor.begin(line: line, session: session) {
        case .answer(let answer):
            if let answer { connection.send(answer) }
            closeIfRequested(connection)
        case .batch(let run):
            batch = run
            continueBatch(connection)
        }
    }

    /// Runs batch elements until the batch ends or the output is over the
    /// limit (then the connection holds its input until it drains).
    private func continueBatch(_ connection: Connection) {
        while batch != nil {
            if batch!.isFinished {
                batch = nil
                connection.releaseInput()
                closeIfRequested(connection)
                return
            }
            let bytes = batch!.step(processor, session: session)
            if !bytes.isEmpty { connection.send(bytes) }
            if connection.unsentBytes > connection.outputLimit {
                connection.holdInput()
                return
            }
        }
    }

    private func closeIfRequested(_ connection: Connection) {
        guard session.closeRequested else { return }
        logger.warning("closing connection after failed auth attempts", metadata: ["connection": "\(connection.id)"])
        connection.closeAfterFlush()
    }

    func connectionDidDrainOutput(_ connection: Connection) {
        continueBatch(connection)
    }

    func connectionDidExceedLineLimit(_ connection: Connection, limit: Int) {
        logger.warning("line over the limit; closing", metadata: ["connection": "\(connection.id)", "limit": "\(limit)"])
        connection.send(Envelope.encodeLine(Response(id: .null, error: .payloadTooLarge(limit: limit))))
    }

    func connectionDidClose(_ connection: Connection) {
        batch = nil
        session.connectionClosed()
        logger.debug("connection closed", metadata: ["connection": "\(connection.id)"])
    }
}
