import ProfilesStore
import GRDB
import ProfilesDomain

/// The change feed (SPEC §9) and idempotency keys (SPEC §8), read side.
/// Seqs count per workspace (`feed_heads`, see Journal.record): every read
/// names its workspace.
extension ProfilesDatabase {
    /// `events.read`: events of a workspace after `after` (nil: from the
    /// oldest kept), oldest first, and the workspace's first and newest seq.
    public func feedPage(workspace: String, after: Int64?, limit: Int) throws -> FeedPage {
        try read { db in
            let head = try Self.head(db, workspace: workspace)
            let start = try Self.checkedStart(head, after: after)
            let events = try Self.events(db, workspace: workspace, after: start, limit: limit)
            let first = try Int64.fetchOne(db.cachedStatement(sql: "SELECT min(seq) FROM events WHERE workspace = ?"),
                                           arguments: [workspace])
            return FeedPage(events: events, after: start, firstSeq: first, headSeq: head.lastSeq)
        }
    }

    /// Events of a workspace after `after`, oldest first (the push of a
    /// subscription). Throws a conflict when events after `after` were
    /// already pruned: the reader would miss them.
    public func events(workspace: String, after: Int64, limit: Int) throws -> [FeedEvent] {
        try read { db in
            try Self.events(db, workspace: workspace, after: Self.checkedStart(Self.head(db, workspace: workspace), after: after),
                            limit: limit)
        }
    }

    /// Where a workspace's feed stands: the last seq handed out in it and
    /// the newest one retention removed. A workspace that has not written
    /// since migration v5 has no feed_heads row: `feed_origin` says.
    private static func head(_ db: Database, workspace: String) throws -> (lastSeq: Int64, prunedThrough: Int64) {
        let row = try db.row("""
            SELECT coalesce(h.last_seq, o.last_seq), coalesce(h.pruned_through, o.pruned_through)
            FROM feed_origin o LEFT JOIN feed_heads h ON h.workspace = ? WHERE o.id = 1
            """, [workspace])
        return (row?[0] ?? 0, row?[1] ?? 0)
    }

    /// Where a reader asking for events after `after` starts. Nil starts at
    /// the oldest kept event. A seq beyond the newest one handed out in the
    /// workspace is refused: the reader would silently skip the events up
    /// to it. One older than what retention removed is a conflict: it would
    /// miss some.
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

    private static func events(_ db: Database, workspace: String, after: Int64, limit: Int) throws -> [FeedEvent] {
        try db.rows("""
            SELECT seq, type, workspace, entity, at, data FROM events WHERE workspace = ? AND seq > ? ORDER BY seq LIMIT ?
            """, [workspace, after, limit]).map {
            FeedEvent(seq: $0[0], type: $0[1], workspace: $0[2], entity: $0[3], at: Timestamp(milliseconds: $0[4]), data: $0[5])
        }
    }

    /// The newest seq handed out so far in the workspace (0 before its
    /// first event, in a file made since per-workspace seqs).
    public func lastEventSeq(workspace: String) throws -> Int64 {
        try read { db in try Self.head(db, workspace: workspace).lastSeq }
    }

    /// The answer stored for a live idempotency key, if any.
    public func storedAnswer(workspace: String, key: String) throws -> StoredAnswer? {
        try read { db in
            try db.row("SELECT method, request, answer FROM idempotency_keys WHERE workspace = ? AND key = ? AND at > ?",
                       [workspace, key, Timestamp.now().milliseconds - Journal.keyLifetimeMilliseconds])
                .map { StoredAnswer(method: $0[0], request: $0[1], answer: $0[2]) }
        }
    }

    /// Removes events older than `eventsBefore` and expired idempotency
    /// keys, in batches so the writer is never held long. Returns how
    /// many of each were removed. Each workspace's feed loses a prefix:
    /// its events up to the newest seq of the batch's old events in it,
    /// which becomes its `pruned_through`.
    public func pruneJournal(eventsBefore: Timestamp, batch: Int) throws -> (events: Int, keys: Int) {
        var events = 0
        var keys = 0
        while true {
            let removed: (Int, Int, Int) = try write { db in
                let newest = try db.rows("""
                    SELECT workspace, max(seq) FROM (SELECT workspace, seq FROM events WHERE at < ? ORDER BY at LIMIT ?)
                    GROUP BY workspace
                    """, [eventsBefore.milliseconds, batch])
                var gone = 0
                for row in newest {
                    let workspace: String = row[0]
                    let seq: Int64 = row[1]
                    try db.run("DELETE FROM events WHERE workspace = ? AND seq <= ?", [workspace, seq])
                    gone += db.changesCount
                    try db.run("UPDATE feed_heads SET pruned_through = max(pruned_through, ?) WHERE workspace = ?", [seq, workspace])
                }
                try db.run("""
                    DELETE FROM idempotency_keys WHERE (workspace, key) IN (SELECT workspace, key FROM idempotency_keys WHERE at <= ? LIMIT ?)
                    """, [Timestamp.now().milliseconds - Journal.keyLifetimeMilliseconds, batch])
                let keysGone = db.changesCount
                // Merges older than the retention can no longer be undone.
                let recordsGone = try MergeRecords.prune(db, before: eventsBefore, limit: batch)
                return (gone, keysGone, recordsGone)
            }
            events += removed.0
            keys += removed.1
            if removed.0 < batch && removed.1 < batch && removed.2 < batch { return (events, keys) }
        }
    }
}
