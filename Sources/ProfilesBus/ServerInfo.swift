/// Facts about the running server that system methods report but the bus
/// cannot know by itself (they live in the transport and the config).
public struct ServerInfo: Sendable {
    public var name: String
    public var version: String
    public var authRequired: Bool
    /// Current and total accepted connections, read from the transport.
    public var connections: @Sendable () -> (current: Int, total: UInt64)

    public init(name: String = "profiles-server", version: String, authRequired: Bool,
                connections: @escaping @Sendable () -> (current: Int, total: UInt64)) {
        self.name = name
        self.version = version
        self.authRequired = authRequired
        self.connections = connections
    }
}
