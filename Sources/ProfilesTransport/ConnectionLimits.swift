import Foundation

/// Per-connection limits, shared by all connections of a server.
public struct ConnectionLimits: Sendable {
    /// Longest accepted line, without terminator.
    public var maxLineBytes: Int
    /// Unsent output above which the connection stops reading its peer.
    public var maxOutputBytes: Int
    /// Seconds without traffic before a connection is closed; 0 disables.
    public var idleTimeout: TimeInterval
    /// Once the server decided to close a connection, seconds it keeps
    /// trying to flush the unsent output to the peer before closing anyway.
    public var closeTimeout: TimeInterval

    public init(maxLineBytes: Int = 1 << 20, maxOutputBytes: Int = 4 << 20, idleTimeout: TimeInterval = 300,
                closeTimeout: TimeInterval = 2) {
        self.maxLineBytes = maxLineBytes
        self.maxOutputBytes = maxOutputBytes
        self.idleTimeout = idleTimeout
        self.closeTimeout = closeTimeout
    }
}
