/// What the server knows about one connection. Used only on that
/// connection's queue, so it needs no locking.
///
/// `@unchecked Sendable`: the owning connection touches it from its serial
/// queue only.
public final class Session: @unchecked Sendable {
    public let connectionID: UInt64
    /// Workspace used when a request names none.
    public var defaultWorkspace: String

    public init(connectionID: UInt64, defaultWorkspace: String) {
        self.connectionID = connectionID
        self.defaultWorkspace = defaultWorkspace
    }
}
