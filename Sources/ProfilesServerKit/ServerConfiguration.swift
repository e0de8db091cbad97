import Foundation
import ProfilesStore

/// Everything `profiles-server` can be told (SPEC §10), with its defaults.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 7411
    public var databasePath = "./data/profiles.sqlite"
    public var maxConnections = 1024
    public var maxLineBytes = 1 << 20
    /// Unsent output per connection above which reading from it pauses.
    public var maxOutputBytes = 4 << 20
    public var idleTimeout: TimeInterval = 300
    public var synchronous = ProfilesDatabase.Synchronous.full
    /// How long shutdown waits for connections to drain.
    public var drainTimeout: TimeInterval = 8
    /// During shutdown, how long requests still arriving on open
    /// connections are answered `overloaded` before the connections close.
    public var drainGrace: TimeInterval = 0.25
    /// Token file (`TOKEN WORKSPACE[,WORKSPACE…]` lines); nil: auth off.
    public var tokensPath: String?
    /// Without tokens, allow binding a non-loopback address anyway.
    public var insecure = false

    public init() {}
}
