import ProfilesPostgres
import Foundation
import ProfilesSQLite
import ProfilesStore

/// Everything `profiles-server` can be told (SPEC §10), with its defaults.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 7411
    public var databasePath = "./data/profiles.sqlite"
    /// Set: the server runs on this PostgreSQL database (`--db postgres://…`)
    /// and `databasePath` and `synchronous` are not used.
    public var postgresURL: PostgresURL?
    public var maxConnections = 1024
    public var maxLineBytes = 1 << 20
    /// Unsent output per connection above which reading from it pauses.
    public var maxOutputBytes = 4 << 20
    public var idleTimeout: TimeInterval = 300
    /// Most calls in one batch; a longer batch is refused whole (`-32600`).
    public var maxBatch = 100
    /// Memory for encoded `profile.get` answers (ProfileAnswerCache), in
    /// MiB; 0 turns the cache off.
    public var answerCacheMegabytes = 64
    /// Once the server decided to close a connection (failed auth, line
    /// over the limit, drain), how long it tries to flush what is queued
    /// for a peer that does not read before closing anyway.
    public var closeTimeout: TimeInterval = 2
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
    /// Calls that run at least this many milliseconds are logged as
    /// warnings (`0`: every call); nil: never.
    public var slowRequestMilliseconds: Double? = 100
    /// Port of the Prometheus `GET /metrics` listener (`0` picks a free
    /// one); nil: no listener and no metrics recorded.
    public var metricsPort: Int?
    /// Address the metrics listener binds. It serves counters only, no
    /// customer data, so protected mode does not apply to it.
    public var metricsHost = "127.0.0.1"

    /// How long change-feed events are kept; older ones are pruned in the
    /// background (SPEC §9).
    public var eventsRetention: TimeInterval = 7 * 24 * 3600

    public init() {}
}
