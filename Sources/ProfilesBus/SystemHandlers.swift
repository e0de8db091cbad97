import Foundation
import ProfilesDomain
import ProfilesStore

/// `ping`, `hello`, `health`, `stats`: the methods that work before and
/// without any workspace.
extension CommandBus.Registry {
    public mutating func registerSystemMethods(database: ProfilesDatabase, info: ServerInfo) {
        register("ping", scoped: false, beforeAuth: true) { _, _ in "pong" }

        register("hello", scoped: false, beforeAuth: true) { _, context in
            Hello(server: info.name, version: info.version, protocol: 1, authRequired: info.authRequired,
                  methods: context.bus.methodNames)
        }

        register("health", scoped: false) { _, _ in
            // A real round trip to SQLite, not a cached flag.
            let mode = try database.journalMode()
            return Health(status: "ok", database: "ok", journalMode: mode)
        }

        register("stats") { _, context in
            let connections = info.connections()
            let sizes = database.fileSizes()
            let group = database.groupCommitCounts
            let counts = try database.entityCounts(workspace: context.workspace)
            return Stats(
                uptimeSeconds: Date().timeIntervalSince(context.bus.stats.startedAt),
                connections: .init(current: connections.current, total: connections.total),
                requests: context.bus.stats.snapshot(),
                database: .init(sizeBytes: sizes.database, walBytes: sizes.wal, commits: group.commits, writes: group.writes),
                entities: counts, workspace: context.workspace)
        }
    }
}

struct Hello: Encodable, Sendable {
    let server: String
    let version: String
    let `protocol`: Int
    let authRequired: Bool
    let methods: [String]
    enum CodingKeys: String, CodingKey {
        case server, version, `protocol`, methods
        case authRequired = "auth_required"
    }
}

struct Health: Encodable, Sendable {
    let status: String
    let database: String
    let journalMode: String
    enum CodingKeys: String, CodingKey {
        case status, database
        case journalMode = "journal_mode"
    }
}

struct Stats: Encodable, Sendable {
    struct Connections: Encodable, Sendable {
        let current: Int
        let total: UInt64
    }
    struct DatabaseSizes: Encodable, Sendable {
        let sizeBytes: Int64
        let walBytes: Int64
        /// Group commit: transactions committed, and the writes they held.
        let commits: Int
        let writes: Int
        enum CodingKeys: String, CodingKey {
            case commits, writes
            case sizeBytes = "size_bytes"
            case walBytes = "wal_bytes"
        }
    }
    let uptimeSeconds: Double
    let connections: Connections
    let requests: ServiceStats.Snapshot
    let database: DatabaseSizes
    let entities: EntityCounts
    let workspace: String
    enum CodingKeys: String, CodingKey {
        case connections, requests, database, entities, workspace
        case uptimeSeconds = "uptime_seconds"
    }
}
