import Logging
import PostgresNIO
import ProfilesDomain
import ProfilesStore

/// `profile.history` on PostgreSQL, as SQLite's ProfileHistory.swift. A
/// write notes what it changed in each profile with `record`, in its
/// `ProfileVersions`; `recordIntent` stores the notes in the statement
/// that takes the event's seq, under that seq, time and type. A write
/// that rolls back (or a dry run) never gets there; one made without an
/// intent records no history (it has no seq).
enum PGHistory {
    static func record(_ versions: inout ProfileVersions, profileID: Int64, _ changes: HistoryChanges) {
        versions.recordHistory(profileID, changes)
    }
}

extension PostgresStore {
    /// Newest first, keyset-paged by seq.
    public func profileHistory(workspace: String, id: Int64, limit: Int, cursor: String?) async throws -> Page<ProfileHistoryEntry> {
        let scope = Cursor.scope(("profile_id", String(id)))
        let before = try Cursor.id(cursor, kind: "h", scope: scope) ?? Int64.max
        return try await readSnapshot { [logger] connection in
            _ = try await PGProfiles.fetch(connection, workspace: workspace, id: id, logger: logger)
            var items = try await connection.rows("""
                SELECT seq, at, type, changes FROM profile_history
                WHERE workspace = \(workspace) AND profile_id = \(id) AND seq < \(before)
                ORDER BY seq DESC LIMIT \(Int64(limit + 1))
                """, logger).map { row in
                let (seq, at, type, changes) = try row.decode((Int64, Int64, String, String).self)
                return ProfileHistoryEntry(seq: seq, at: Timestamp(milliseconds: at), type: type, changes: changes)
            }
            let more = items.count > limit
            if more { items.removeLast() }
            return Page(items: items, nextCursor: more ? items.last.map { Cursor.encode(kind: "h", scope: scope, [String($0.seq)]) } : nil)
        }
    }
}
