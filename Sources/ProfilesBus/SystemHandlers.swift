import Foundation
import ProfilesDomain
import ProfilesStore

/// `ping`, `hello`, `rpc.discover`, `health`, `stats`: the methods that
/// work before and without any workspace.
extension CommandBus.Registry {
    public mutating func registerSystemMethods(database: ProfilesDatabase, info: ServerInfo) {
        register("ping", MethodSpec("Liveness check.", result: Schema.constant("pong")), scoped: false, beforeAuth: true) { _, _ in "pong" }

        register("hello", MethodSpec("What the server is and every method it offers, sorted.", result: Schema.ref("Hello")),
                 scoped: false, beforeAuth: true) { _, context in
            Hello(server: info.name, version: info.version, protocol: 1, authRequired: info.authRequired,
                  methods: context.bus.methodNames)
        }

        register("rpc.discover", MethodSpec("The OpenRPC document describing every method: params, result and errors.",
                                            result: Schema.ref("OpenRPCDocument")),
                 scoped: false, beforeAuth: true) { _, context in
            OpenRPCDocument.build(methods: context.bus.describedMethods, info: info)
        }

        register("health", MethodSpec("A real round trip to the database; degraded while writes fail for lack of disk space.",
                                       result: Schema.ref("Health")), scoped: false) { _, _ in
            // A real round trip to SQLite, not a cached flag.
            let mode = try database.journalMode()
            if database.isOutOfSpace {
                return Health(status: "degraded", database: "ok", journalMode: mode,
                              reason: "the disk holding the database is full: writes fail with storage_full, reads go on")
            }
            return Health(status: "ok", database: "ok", journalMode: mode, reason: nil)
        }

        register("stats", MethodSpec("Counters of the running server; a token limited to some workspaces sees only its workspace's entities.",
                                      result: Schema.ref("Stats"))) { _, context in
            let counts = try database.entityCounts(workspace: context.workspace)
            let uptime = Date().timeIntervalSince(context.bus.stats.startedAt)
            // A token limited to some workspaces is one tenant of several:
            // connections, requests and database size are everyone's
            // traffic and data volume, so it sees only its workspace's
            // entities (and the uptime, which tells nothing of others).
            guard context.session.allowedWorkspaces == nil else {
                return Stats(scope: "workspace", uptimeSeconds: uptime, connections: nil, requests: nil, database: nil,
                             entities: counts, workspace: context.workspace)
            }
            let connections = info.connections()
            let sizes = database.fileSizes()
            let group = database.groupCommitCounts
            return Stats(
                scope: "server", uptimeSeconds: uptime,
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
    /// `ok`, or `degraded` with a `reason` (writes fail for lack of space).
    let status: String
    let database: String
    let journalMode: String
    let reason: String?
    enum CodingKeys: String, CodingKey {
        case status, database, reason
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
    /// `server` (every member), or `workspace` (a restricted token: no
    /// connections, requests or database, which are other tenants' too).
    let scope: String
    let uptimeSeconds: Double
    let connections: Connections?
    let requests: ServiceStats.Snapshot?
    let database: DatabaseSizes?
    let entities: EntityCounts
    let workspace: String
    enum CodingKeys: String, CodingKey {
        case scope, connections, requests, database, entities, workspace
        case uptimeSeconds = "uptime_seconds"
    }
}
