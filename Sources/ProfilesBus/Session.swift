import ProfilesDomain

/// What the server knows about one connection. Used only on that
/// connection's queue, so it needs no locking.
///
/// `@unchecked Sendable`: the owning connection touches it from its serial
/// queue only.
public final class Session: @unchecked Sendable {
    public let connectionID: UInt64
    /// Workspace used when a request names none.
    public var defaultWorkspace: String
    /// Workspaces this connection may use; nil means every workspace.
    public var allowedWorkspaces: Set<String>?
    /// False until `auth` succeeds, when the server requires it.
    public var authenticated: Bool
    public var failedAuthAttempts = 0
    /// Set by a handler to have the connection closed after its answer.
    public var closeRequested = false
    /// Where this connection's pushed events go; set by the server.
    public var pusher: (any EventPusher)?
    /// The connection's change-feed subscription, if any (at most one).
    var subscription: Subscription?

    /// The server calls this once a write's answer is queued: events held
    /// back meanwhile (`EventPusher.holdsPushes`) go out now, after it.
    public func writeAnswered() { subscription?.wake() }

    /// The server calls this when the connection has closed.
    public func connectionClosed() { endSubscription() }

    func endSubscription() {
        guard let subscription else { return }
        subscription.cancel()
        self.subscription = nil
        pusher?.subscriptionEnded()
    }

    public init(connectionID: UInt64, authRequired: Bool) {
        self.connectionID = connectionID
        self.defaultWorkspace = Validation.defaultWorkspace
        self.authenticated = !authRequired
        self.allowedWorkspaces = nil
    }

    /// The workspace a call acts on: the named one or the default, which
    /// the connection must be allowed to use.
    func workspace(named: String?) throws -> String {
        let workspace = try named.map { name throws(DomainError) in try Validation.workspace(name) } ?? defaultWorkspace
        if let allowed = allowedWorkspaces, !allowed.contains(workspace) {
            let hint = named == nil ? "; name one with the 'workspace' param" : ""
            throw DomainError(kind: .forbidden, message: "this token may not use workspace '\(workspace)'\(hint)")
        }
        return workspace
    }
}
