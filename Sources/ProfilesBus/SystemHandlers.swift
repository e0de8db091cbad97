import Foundation
import ProfilesDomain
import ProfilesProtocol
import ProfilesStore

/// `ping`, `hello`, `rpc.discover`, `health`, `stats`: the methods that
/// work before and without any workspace.
extension CommandBus.Registry {
    public mutating func registerSystemMethods(store: any ProfileStore, info: ServerInfo) {
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

        registerRead("health", MethodSpec("A real round trip to the database; degraded while writes fail for lack of disk space or the database cannot be reached.",
                                           result: Schema.ref("Health")), scoped: false) { _, _ in
            // A real round trip to the database, not a cached flag.
            let health = try await store.health()
            let status = health.database == "ok" && health.degradedReason == nil ? "ok" : "degraded"
            return Health(status: status, database: health.database, journalMode: health.journalMode, reason: health.degradedReason)
        }

        registerRead("stats", MethodSpec("Counters of the running server; a token limited to some workspaces sees only its workspace's entities.",
                                      result: Schema.ref("Stats"))) { _, context in
            let counts = try await store.entityCounts(workspace: context.workspace)
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
            let storage = await store.storageStats()
            return Stats(
                scope: "server", uptimeSeconds: uptime,
                connections: .init(current: connections.current, total: connections.total),
                requests: context.bus.stats.snapshot(),
                database: .init(sizeBytes: storage.sizeBytes, walBytes: storage.walBytes, commits: storage.commits, writes: storage.writes),
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

// MARK: - Written without `JSONEncoder`
//
// Each writes what its `Encodable` conformance made `JSONEncoder`
// (`.sortedKeys`, `.withoutEscapingSlashes`) write: names in UTF-8 byte
// order, and an optional member left out when nil, as the synthesized
// conformance does (`encodeIfPresent`). Tests/ServerTests/JSONWritableTests.swift
// compares both byte for byte.

extension Hello: JSONWritable {
    func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        JSONWriter.append(#"{"auth_required":"#, to: &bytes)
        JSONWriter.write(authRequired, into: &bytes)
        JSONWriter.append(#","methods":"#, to: &bytes)
        try methods.writeJSON(to: &bytes)
        JSONWriter.append(#","protocol":"#, to: &bytes)
        JSONWriter.write(`protocol`, into: &bytes)
        JSONWriter.append(#","server":"#, to: &bytes)
        JSONWriter.write(server, into: &bytes)
        JSONWriter.append(#","version":"#, to: &bytes)
        JSONWriter.write(version, into: &bytes)
        bytes.append(UInt8(ascii: "}"))
    }
}

/// `reason` absent (not `null`) when ok.
extension Health: JSONWritable {
    func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        JSONWriter.append(#"{"database":"#, to: &bytes)
        JSONWriter.write(database, into: &bytes)
        JSONWriter.append(#","journal_mode":"#, to: &bytes)
        JSONWriter.write(journalMode, into: &bytes)
        if let reason {
            JSONWriter.append(#","reason":"#, to: &bytes)
            JSONWriter.write(reason, into: &bytes)
        }
        JSONWriter.append(#","status":"#, to: &bytes)
        JSONWriter.write(status, into: &bytes)
        bytes.append(UInt8(ascii: "}"))
    }
}

/// `connections`, `database` and `requests` absent (not `null`) for a
/// token limited to some workspaces.
extension Stats: JSONWritable {
    func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        bytes.append(UInt8(ascii: "{"))
        if let connections {
            JSONWriter.append(#""connections":"#, to: &bytes)
            try connections.writeJSON(to: &bytes)
            bytes.append(UInt8(ascii: ","))
        }
        if let database {
            JSONWriter.append(#""database":"#, to: &bytes)
            try database.writeJSON(to: &bytes)
            bytes.append(UInt8(ascii: ","))
        }
        JSONWriter.append(#""entities":"#, to: &bytes)
        try entities.writeJSON(to: &bytes)
        if let requests {
            JSONWriter.append(#","requests":"#, to: &bytes)
            try requests.writeJSON(to: &bytes)
        }
        JSONWriter.append(#","scope":"#, to: &bytes)
        JSONWriter.write(scope, into: &bytes)
        JSONWriter.append(#","uptime_seconds":"#, to: &bytes)
        try JSONWriter.write(uptimeSeconds, into: &bytes)
        JSONWriter.append(#","workspace":"#, to: &bytes)
        JSONWriter.write(workspace, into: &bytes)
        bytes.append(UInt8(ascii: "}"))
    }
}

extension Stats.Connections: JSONWritable {
    func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        JSONWriter.append(#"{"current":"#, to: &bytes)
        JSONWriter.write(current, into: &bytes)
        JSONWriter.append(#","total":"#, to: &bytes)
        JSONWriter.write(total, into: &bytes)
        bytes.append(UInt8(ascii: "}"))
    }
}

extension Stats.DatabaseSizes: JSONWritable {
    func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        JSONWriter.append(#"{"commits":"#, to: &bytes)
        JSONWriter.write(commits, into: &bytes)
        JSONWriter.append(#","size_bytes":"#, to: &bytes)
        JSONWriter.write(sizeBytes, into: &bytes)
        JSONWriter.append(#","wal_bytes":"#, to: &bytes)
        JSONWriter.write(walBytes, into: &bytes)
        JSONWriter.append(#","writes":"#, to: &bytes)
        JSONWriter.write(writes, into: &bytes)
        bytes.append(UInt8(ascii: "}"))
    }
}

extension EntityCounts: JSONWritable {
    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        JSONWriter.append(#"{"contacts":"#, to: &bytes)
        JSONWriter.write(contacts, into: &bytes)
        JSONWriter.append(#","fields":"#, to: &bytes)
        JSONWriter.write(fields, into: &bytes)
        JSONWriter.append(#","moments":"#, to: &bytes)
        JSONWriter.write(moments, into: &bytes)
        JSONWriter.append(#","notes":"#, to: &bytes)
        JSONWriter.write(notes, into: &bytes)
        JSONWriter.append(#","profiles":"#, to: &bytes)
        JSONWriter.write(profiles, into: &bytes)
        bytes.append(UInt8(ascii: "}"))
    }
}

/// `by_method` sorted by method name, as `JSONEncoder` sorts a dictionary.
extension ServiceStats.Snapshot: JSONWritable {
    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        JSONWriter.append(#"{"by_method":"#, to: &bytes)
        try byMethod.writeJSON(to: &bytes)
        JSONWriter.append(#","errors":"#, to: &bytes)
        JSONWriter.write(errors, into: &bytes)
        JSONWriter.append(#","latency_us":"#, to: &bytes)
        try latency.writeJSON(to: &bytes)
        JSONWriter.append(#","total":"#, to: &bytes)
        JSONWriter.write(total, into: &bytes)
        bytes.append(UInt8(ascii: "}"))
    }
}

/// `p99` before `p999`: a name sorts before the longer names it begins.
extension ServiceStats.Latency: JSONWritable {
    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        JSONWriter.append(#"{"max":"#, to: &bytes)
        JSONWriter.write(max, into: &bytes)
        JSONWriter.append(#","p50":"#, to: &bytes)
        JSONWriter.write(p50, into: &bytes)
        JSONWriter.append(#","p90":"#, to: &bytes)
        JSONWriter.write(p90, into: &bytes)
        JSONWriter.append(#","p99":"#, to: &bytes)
        JSONWriter.write(p99, into: &bytes)
        JSONWriter.append(#","p999":"#, to: &bytes)
        JSONWriter.write(p999, into: &bytes)
        bytes.append(UInt8(ascii: "}"))
    }
}
