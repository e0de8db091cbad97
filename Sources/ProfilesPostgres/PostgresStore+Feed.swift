import PostgresNIO
import ProfilesDomain
import ProfilesStore

/// The change feed (SPEC §9) and idempotency keys (SPEC §8), read side, as
/// SQLite's ProfilesDatabase+Feed.swift. Seqs count per workspace
/// (`feed_heads`, written by `recordIntent`).
extension PostgresStore {
    /// How long an idempotency key holds its answer (SPEC §8), as SQLite's.
    static let keyLifetimeMilliseconds: Int64 = 24 * 60 * 60 * 1000

    public func feedPage(workspace: String, after: Int64?, limit: Int) async throws -> FeedPage {
        try await readSnapshot { [logger] connection in
            let head = try await Self.head(connection, workspace: workspace, logger: logger)
            let start = try Self.checkedStart(head, after: after)
            let events = try await Self.events(connection, workspace: workspace, after: start, limit: limit, logger: logger)
            let first = try await connection.query("SELECT min(seq) FROM events WHERE workspace = \(workspace)", logger: logger)
                .collect().first?.decode(Int64?.self) ?? nil
            return FeedPage(events: events, after: start, firstSeq: first, headSeq: head.lastSeq)
        }
    }

    public func events(workspace: String, after: Int64, limit: Int) async throws -> [FeedEvent] {
        try await readSnapshot { [logger] connection in
            let head = try await Self.head(connection, workspace: workspace, logger: logger)
            return try await Self.events(connection, workspace: workspace, after: Self.checkedStart(head, after: after),
                                         limit: limit, logger: logger)
        }
    }

    public func lastEventSeq(workspace: String) async throws -> Int64 {
        try await read { [logger] connection in try await Self.head(connection, workspace: workspace, logger: logger).lastSeq }
    }

    public func storedAnswer(workspace: String, key: String) async throws -> StoredAnswer? {
        let live = Timestamp.now().milliseconds - Self.keyLifetimeMilliseconds
        return try await read { [logger] connection in
            try await connection.query("""
                SELECT method, request, answer FROM idempotency_keys WHERE workspace = \(workspace) AND key = \(PGText.storedKey(key)) AND at > \(live)
                """, logger: logger).collect().first.map {
                let (method, request, answer) = try $0.decode((String, String, String).self)
                return StoredAnswer(method: method, request: request, answer: answer)
            }
        }
    }

    /// Removes events older than `eventsBefore` and expired keys, in
    /// batches, one workspace per transaction (no transaction spans two).
    /// Each workspace's feed loses a prefix, up to the newest seq of the
    /// batch's old events in it, which becomes its `pruned_through`.
    public func pruneJournal(eventsBefore: Timestamp) async throws -> (events: Int, keys: Int) {
        let batch = 5_000
        var events = 0
        var keys = 0
        while true {
            let newest = try await read { [logger] connection in
                try await connection.query("""
                    SELECT workspace, max(seq) FROM
                        (SELECT workspace, seq FROM events WHERE at < \(eventsBefore.milliseconds) ORDER BY at LIMIT \(batch)) AS old
                    GROUP BY workspace
                    """, logger: logger).collect().map { try $0.decode((String, Int64).self) }
            }
            var gone = 0
            for (workspace, seq) in newest {
                gone += try await write(workspace: workspace) { [logger] connection, _ in
                    let removed = try await connection.query("""
                        DELETE FROM events WHERE workspace = \(workspace) AND seq <= \(seq) RETURNING 1
                        """, logger: logger).collect().count
                    try await connection.query("""
                        UPDATE feed_heads SET pruned_through = greatest(pruned_through, \(seq)) WHERE workspace = \(workspace)
                        """, logger: logger)
                    return removed
                }
            }
            events += gone
            if gone < batch { break }
        }
        let expired = Timestamp.now().milliseconds - Self.keyLifetimeMilliseconds
        while true {
            let workspaces = try await read { [logger] connection in
                try await connection.query("""
                    SELECT DISTINCT workspace FROM idempotency_keys WHERE at <= \(expired)
                    """, logger: logger).collect().map { try $0.decode(String.self) }
            }
            guard !workspaces.isEmpty else { break }
            for workspace in workspaces {
                keys += try await write(workspace: workspace) { [logger] connection, _ in
                    try await connection.query("""
                        DELETE FROM idempotency_keys WHERE workspace = \(workspace) AND key IN
                            (SELECT key FROM idempotency_keys WHERE workspace = \(workspace) AND at <= \(expired) LIMIT \(batch))
                        RETURNING 1
                        """, logger: logger).collect().count
                }
            }
        }
        // Merges older than the retention can no longer be undone.
        let oldMerges = try await read { [logger] connection in
            try await connection.query("""
                SELECT DISTINCT workspace FROM merge_records WHERE merged_at < \(eventsBefore.milliseconds)
                """, logger: logger).collect().map { try $0.decode(String.self) }
        }
        for workspace in oldMerges {
            _ = try await write(workspace: workspace) { [logger] connection, _ in
                try await connection.run("""
                    DELETE FROM merge_records WHERE workspace = \(workspace) AND merged_at < \(eventsBefore.milliseconds)
                    """, logger)
            }
        }
        return (events, keys)
    }

    public func entityCounts(workspace: String) async throws -> EntityCounts {
        try await read { [logger] connection in
            let row = try await connection.query("""
                SELECT (SELECT count(*) FROM profiles WHERE workspace = \(workspace)),
                       (SELECT count(*) FROM contacts WHERE workspace = \(workspace)),
                       (SELECT count(*) FROM notes WHERE workspace = \(workspace)),
                       (SELECT count(*) FROM moments WHERE workspace = \(workspace)),
                       (SELECT count(*) FROM field_definitions WHERE workspace = \(workspace))
                """, logger: logger).collect().first!
            let (p, c, n, m, f) = try row.decode((Int64, Int64, Int64, Int64, Int64).self)
            return EntityCounts(profiles: Int(p), contacts: Int(c), notes: Int(n), moments: Int(m), fields: Int(f))
        }
    }

    /// Where a workspace's feed stands: the last seq handed out and the
    /// newest one retention removed (0, 0 before its first event).
    private static func head(_ connection: PostgresConnection, workspace: String,
                             logger: Logger) async throws -> (lastSeq: Int64, prunedThrough: Int64) {
        let row = try await connection.query("""
            SELECT last_seq, pruned_through FROM feed_heads WHERE workspace = \(workspace)
            """, logger: logger).collect().first
        guard let row else { return (0, 0) }
        let (last, pruned) = try row.decode((Int64, Int64).self)
        return (last, pruned)
    }

    /// As SQLite's: nil starts at the oldest kept event; beyond the newest
    /// seq is refused; older than what retention removed is a conflict.
    private static func checkedStart(_ head: (lastSeq: Int64, prunedThrough: Int64), after: Int64?) throws -> Int64 {
        let pruned = head.prunedThrough
        guard let after else { return pruned }
        let newest = head.lastSeq
        if after > newest {
            throw DomainError.invalid("after", "is \(after), beyond the newest seq of the feed, \(newest); pass a seq the feed returned")
        }
        if after < pruned {
            throw DomainError.conflict("events up to seq \(pruned) were removed by retention; after \(after) would miss some",
                                       reason: "events_pruned", details: ["pruned_through": .int(pruned)])
        }
        return after
    }

    private static func events(_ connection: PostgresConnection, workspace: String, after: Int64, limit: Int,
                               logger: Logger) async throws -> [FeedEvent] {
        try await connection.query("""
            SELECT seq, type, workspace, entity, at, data FROM events
            WHERE workspace = \(workspace) AND seq > \(after) ORDER BY seq LIMIT \(Int64(limit))
            """, logger: logger).collect().map {
            let (seq, type, workspace, entity, at, data) = try $0.decode((Int64, String, String, String, Int64, String).self)
            return FeedEvent(seq: seq, type: type, workspace: workspace, entity: entity, at: Timestamp(milliseconds: at), data: data)
        }
    }
}
