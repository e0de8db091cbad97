import GRDB
import ProfilesDomain
import ProfilesStore

/// The `merge_records` table (v7-merge-records): what each merge did,
/// for `profile.unmerge`.
enum MergeRecords {
    /// Records a merge in its own savepoint; returns its merge_id.
    static func insert(_ db: Database, workspace: String, into: Int64, absorbed: MergeRecord.Absorbed, movedContactIDs: [Int64],
                       movedNoteIDs: [Int64], takenFields: [String: FieldValue], at: Timestamp) throws -> Int64 {
        try db.run("""
            INSERT INTO merge_records(workspace, into_id, from_id, from_name, from_fields, from_created_at, from_version,
                                      moved_contact_ids, moved_note_ids, taken_fields, merged_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [workspace, into, absorbed.id, absorbed.name, MergeRecordText.fields(absorbed.fields), absorbed.createdAt.milliseconds,
                  absorbed.version, MergeRecordText.ids(movedContactIDs), MergeRecordText.ids(movedNoteIDs),
                  MergeRecordText.fields(takenFields), at.milliseconds])
        return db.lastInsertedRowID
    }

    static func fetch(_ db: Database, workspace: String, id: Int64) throws -> MergeRecord? {
        guard let row = try db.row("""
            SELECT id, into_id, from_id, from_name, from_fields, from_created_at, from_version,
                   moved_contact_ids, moved_note_ids, taken_fields, merged_at, unmerged_at
            FROM merge_records WHERE id = ? AND workspace = ?
            """, [id, workspace]) else { return nil }
        let absorbed = MergeRecord.Absorbed(id: row[2], name: row[3], fields: try MergeRecordText.fields(from: row[4]),
                                            createdAt: Timestamp(milliseconds: row[5]), version: row[6])
        return MergeRecord(id: row[0], into: row[1], absorbed: absorbed, movedContactIDs: try MergeRecordText.ids(from: row[7]),
                           movedNoteIDs: try MergeRecordText.ids(from: row[8]), takenFields: try MergeRecordText.fields(from: row[9]),
                           mergedAt: Timestamp(milliseconds: row[10]), unmergedAt: (row[11] as Int64?).map(Timestamp.init(milliseconds:)))
    }

    static func markUnmerged(_ db: Database, id: Int64, at: Timestamp) throws {
        try db.run("UPDATE merge_records SET unmerged_at = ? WHERE id = ?", [at.milliseconds, id])
    }

    /// profile.erase: the records that hold any of these profiles' data.
    static func delete(_ db: Database, workspace: String, mentioning profiles: [Int64]) throws {
        try db.execute(sql: """
            DELETE FROM merge_records WHERE workspace = ?1
            AND (into_id IN (SELECT value FROM json_each(?2)) OR from_id IN (SELECT value FROM json_each(?2)))
            """, arguments: [workspace, MergeRecordText.ids(profiles)])
    }

    /// Pruned with the change feed's events: `limit` of those made before `before`.
    static func prune(_ db: Database, before: Timestamp, limit: Int) throws -> Int {
        try db.run("""
            DELETE FROM merge_records WHERE id IN (SELECT id FROM merge_records WHERE merged_at < ? ORDER BY merged_at LIMIT ?)
            """, [before.milliseconds, limit])
        return db.changesCount
    }
}
