import Logging
import ProfilesBus
import ProfilesDomain
import ProfilesProtocol
import ProfilesTransport

/// Adapts one transport connection to the request processor: each line is
/// answered in order on the connection's own queue.
///
/// A write is handed to the store's writer and answered from the
/// connection's queue once its batch is durable; the queue does not wait
/// meanwhile, but the connection holds its input, so the next line is
/// run only after the write's answer (it sees the write, and answers stay
/// in order).
///
/// A batch is answered element by element, each answer appended to the
/// connection's output as it is produced. When the unsent output passes
/// the connection's limit, the batch pauses (the connection holds its
/// input: no further element runs, no further line is read) and goes on
/// from `connectionDidDrainOutput` once the peer has read enough. So one
/// line never makes the server hold much more than the output limit.
///
/// `@unchecked Sendable`: its state is touched only on the connection's
/// queue; a write's completion hops there before touching it.
final class RPCConnection: ConnectionDelegate, @unchecked Sendable {
    private let processor: RequestProcessor
    private let session: Session
    private let pusher: ConnectionPusher
    private let logger: Logger
    /// The batch being answered, paused or not; nil between lines.
    private var batch: BatchRun?
    /// A write was started and its answer has not come back yet.
    private var awaitingWrite = false

    init(connection: Connection, processor: RequestProcessor, authRequired: Bool, maxPushBacklog: Int, logger: Logger) {
        self.processor = processor
        self.session = Session(connectionID: connection.id, authRequired: authRequired)
        pusher = ConnectionPusher(connection: connection, maxUnsentBytes: maxPushBacklog)
        session.pusher = pusher
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
        case .response(let response):
            connection.send { Envelope.appendLine(response, to: &$0) }
            closeIfRequested(connection)
        case .batch(let run):
            batch = run
            // No event between a batch's elements: they are one JSON array.
            pusher.holdsPushes = true
            continueBatch(connection)
        case .deferred(let call):
            start(call, on: connection) { connection, response in
                if let response { connection.send { Envelope.appendLine(response, to: &$0) } }
            }
        }
    }

    /// Starts a write. Answered at once when refused before the writer;
    /// otherwise input is held until `answer` has run on the connection's
    /// queue with the write's response, and then the connection goes on
    /// (with the batch, if one is running). True when it was answered at
    /// once.
    @discardableResult
    private func start(_ call: DeferredCall, on connection: Connection,
                       answer: @escaping @Sendable (Connection, Response?) -> Void) -> Bool {
        let started = call.start(session: session) { [self] response in
            connection.queue.async { [self] in
                awaitingWrite = false
                pusher.holdsPushes = batch != nil
                answer(connection, response)
                session.writeAnswered()
                if batch != nil {
                    continueBatch(connection)
                } else {
                    connection.releaseInput()
                    closeIfRequested(connection)
                }
            }
        }
        switch started {
        case .answered(let response):
            answer(connection, response)
            if batch == nil { closeIfRequested(connection) }
            return true
        case .pending:
            awaitingWrite = true
            pusher.holdsPushes = true
            connection.holdInput()
            return false
        }
    }

    /// Runs batch elements until the batch ends, a write is started, or
    /// the output is over the limit (then the connection holds its input
    /// until it drains).
    private func continueBatch(_ connection: Connection) {
        while batch != nil && !awaitingWrite {
            if batch!.isFinished {
                batch = nil
                pusher.holdsPushes = false
                // Events held back during the batch go out now, after it.
                session.writeAnswered()
                connection.releaseInput()
                closeIfRequested(connection)
                return
            }
            switch batch!.step(processor, session: session) {
            case .bytes(let bytes):
                if !bytes.isEmpty { connection.send(bytes) }
            case .deferred(let call):
                let answeredAtOnce = start(call, on: connection) { [self] connection, response in
                    guard batch != nil else { return }
                    let bytes = batch!.frame(response)
                    if !bytes.isEmpty { connection.send(bytes) }
                }
                if !answeredAtOnce { return }
            }
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
