import Dispatch
import ProfilesBus
import ProfilesTransport

/// Pushes change-feed events onto one connection. A subscriber whose
/// unsent output passes the connection's output limit has stopped reading:
/// it is disconnected, and resumes later from its last seq.
///
/// `@unchecked Sendable`: `connection` is set in `init` and afterwards only
/// cleared by ARC; it is used only on the connection's queue.
final class ConnectionPusher: EventPusher, @unchecked Sendable {
    private weak var connection: Connection?
    let queue: DispatchQueue
    private let maxUnsentBytes: Int
    /// Set by the connection while one of its writes awaits its answer,
    /// and while it answers a batch.
    var holdsPushes = false

    init(connection: Connection, maxUnsentBytes: Int) {
        self.connection = connection
        self.queue = connection.queue
        self.maxUnsentBytes = maxUnsentBytes
    }

    func onQueue(_ body: () -> Void) {
        // A closed connection's queue still runs; the session is gone with it.
        guard let connection else { return body() }
        connection.onQueue(body)
    }

    func subscriptionStarted() {
        // Waiting for pushed events is not being idle.
        connection?.exemptFromIdleTimeout = true
    }

    func subscriptionEnded() {
        connection?.exemptFromIdleTimeout = false
    }

    func disconnect() {
        connection?.closeAfterFlush()
    }

    func push(_ line: [UInt8]) -> Bool {
        guard let connection else { return false }
        connection.send(line)
        guard connection.unsentBytes <= maxUnsentBytes else {
            connection.abort()
            return false
        }
        return true
    }
}
