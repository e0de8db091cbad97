import GRDB
import ProfilesDomain
import ProfilesStore

/// `profile.history` on SQLite (SPEC §8). A write notes what it changed in
/// each profile with `record`, into `temp.pending_history`; the write's
/// event takes its seq last (Journal.record), and `flush` then stores the
/// notes under that seq and the event's time and type. The temp table
/// takes part in the savepoint, so a write that rolls back (or a dry run)
/// leaves nothing; `Journal.begin` empties it for each write. A write made
/// without an intent (maintenance, no event) records no history: it has
/// no seq.
enum ProfileHistory {
    static func prepare(_ db: Database) throws {
        try db.execute(sql: "CREATE TEMP TABLE IF NOT EXISTS pending_history (profile_id INTEGER PRIMARY KEY, changes TEXT NOT NULL)")
    }

    static func begin(_ db: Database) throws {
        try db.run("DELETE FROM temp.pending_history", [])
    }

    /// Notes that the write being made changed `changes` in the profile;
    /// a second note of the same profile in one write is joined to the
    /// first (`HistoryChanges.followed(by:)`).
    static func record(_ db: Database, profileID: Int64, _ changes: HistoryChanges) throws {
        guard !changes.isEmpty else { return }
        var joined = changes
        if let earlier = try String.fetchOne(db.cachedStatement(sql: "SELECT changes FROM temp.pending_history WHERE profile_id = ?"),
                                             arguments: [profileID]) {
            joined = try HistoryChanges.decoded(earlier).followed(by: changes)
        }
        try db.run("INSERT OR REPLACE INTO temp.pending_history(profile_id, changes) VALUES (?, ?)", [profileID, try joined.encoded()])
    }

    /// Stores the write's notes under its event: called by Journal.record
    /// right after the event took the workspace's newest seq. Notes of a
    /// profile the write deleted are dropped (the join).
    static func flush(_ db: Database, workspace: String, type: String, at: Int64) throws {
        try db.run("""
            INSERT INTO profile_history(workspace, profile_id, seq, type, at, changes)
            SELECT ?1, h.profile_id, (SELECT last_seq FROM feed_heads WHERE workspace = ?1), ?2, ?3, h.changes
            FROM temp.pending_history h CROSS JOIN profiles p ON p.id = h.profile_id
            """, [workspace, type, at])
        // CROSS JOIN keeps the few notes as the outer loop: with a plain
        // JOIN SQLite's planner, which has no statistics of the temp
        // table, scanned every profile for each write (a CSV import of
        // 100,000 rows took 601 s instead of ~60).
    }

    /// A page of a profile's entries, newest first, keyset-paged by seq.
    static func page(_ db: Database, workspace: String, profileID: Int64, limit: Int,
                     cursor: String?) throws -> Page<ProfileHistoryEntry> {
        let scope = Cursor.scope(("profile_id", String(profileID)))
        let before = try Cursor.id(cursor, kind: "h", scope: scope) ?? Int64.max
        _ = try Profiles.fetch(db, workspace: workspace, id: profileID)
        var items = try db.rows("""
            SELECT seq, at, type, changes FROM profile_history WHERE workspace = ? AND profile_id = ? AND seq < ?
            ORDER BY seq DESC LIMIT ?
            """, [workspace, profileID, before, limit + 1]).map {
            ProfileHistoryEntry(seq: $0[0], at: Timestamp(milliseconds: $0[1]), type: $0[2], changes: $0[3])
        }
        let more = items.count > limit
        if more { items.removeLast() }
        return Page(items: items, nextCursor: more ? items.last.map { Cursor.encode(kind: "h", scope: scope, [String($0.seq)]) } : nil)
    }
}

extension ProfilesDatabase {
    public func profileHistory(workspace: String, id: Int64, limit: Int, cursor: String?) throws -> Page<ProfileHistoryEntry> {
        try read { db in try ProfileHistory.page(db, workspace: workspace, profileID: id, limit: limit, cursor: cursor) }
    }
}
