import GRDB
import ProfilesDomain
import ProfilesStore

/// `profile.history` on SQLite (SPEC §8). A write notes what it changed in
/// each profile with `record`, into the `Pending` notes bound around it
/// (`ProfilesDatabase.journaledWrite`); the write's event takes its seq
/// last (Journal.record), and `flush` then stores the notes under that seq
/// and the event's time and type, in the write's savepoint. The notes are
/// Swift values until then: a write that rolls back (or a dry run) drops
/// them with its savepoint, and a profile noted twice in one write is
/// joined in memory, with no table to read back and no JSON to decode. A
/// write made without an intent (maintenance, no event) has no notes
/// bound and records no history: it has no seq.
enum ProfileHistory {
    /// The notes of the write being made, in the order they were made.
    /// Only the writer's thread touches it, within one write (the one that
    /// bound it, which runs synchronously to its end).
    final class Pending: @unchecked Sendable {
        fileprivate var notes: [(profileID: Int64, changes: HistoryChanges)] = []
    }

    @TaskLocal static var pending: Pending?

    /// Notes that the write being made changed `changes` in the profile;
    /// a second note of the same profile in one write is joined to the
    /// first (`HistoryChanges.followed(by:)`).
    static func record(_ db: Database, profileID: Int64, _ changes: HistoryChanges) throws {
        guard !changes.isEmpty, let pending else { return }
        if let index = pending.notes.firstIndex(where: { $0.profileID == profileID }) {
            pending.notes[index].changes = pending.notes[index].changes.followed(by: changes)
        } else {
            pending.notes.append((profileID, changes))
        }
    }

    /// Stores the write's notes under its event: called by Journal.record
    /// right after the event took the workspace's newest seq. Notes of a
    /// profile the write deleted are dropped (the `FROM profiles`).
    static func flush(_ db: Database, workspace: String, type: String, at: Int64) throws {
        guard let pending else { return }
        for note in pending.notes {
            try db.run("""
                INSERT INTO profile_history(workspace, profile_id, seq, type, at, changes)
                SELECT ?1, id, (SELECT last_seq FROM feed_heads WHERE workspace = ?1), ?2, ?3, ?4
                FROM profiles WHERE id = ?5
                """, [workspace, type, at, try note.changes.encoded(), note.profileID])
        }
        pending.notes.removeAll()
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
