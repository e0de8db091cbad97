import Logging
import PostgresNIO
import ProfilesDomain
import ProfilesStore

/// The `merge_records` table (v5-merge-records): what each merge did, for
/// `profile.unmerge` (SQLite's `MergeRecords`).
enum PGMergeRecords {
    /// Records a merge in its transaction; returns its merge_id.
    static func insert(_ connection: PostgresConnection, workspace: String, into: Int64, absorbed: MergeRecord.Absorbed,
                       movedContactIDs: [Int64], movedNoteIDs: [Int64], takenFields: [String: FieldValue], at: Timestamp,
                       logger: Logger) async throws -> Int64 {
        guard let row = try await connection.row("""
            INSERT INTO merge_records (workspace, into_id, from_id, from_name, from_fields, from_created_at, from_version,
                                       moved_contact_ids, moved_note_ids, taken_fields, merged_at)
            VALUES (\(workspace), \(into), \(absorbed.id), \(absorbed.name), \(MergeRecordText.fields(absorbed.fields)),
                    \(absorbed.createdAt.milliseconds), \(absorbed.version), \(MergeRecordText.ids(movedContactIDs)),
                    \(MergeRecordText.ids(movedNoteIDs)), \(MergeRecordText.fields(takenFields)), \(at.milliseconds))
            RETURNING id
            """, logger) else { throw PostgresStoreError.unsupportedServer("INSERT … RETURNING returned no row") }
        return try row.decode(Int64.self)
    }

    /// The record, its row locked until the write commits (two unmerges
    /// of one merge at once: the second waits, then finds it undone).
    static func fetchForUpdate(_ connection: PostgresConnection, workspace: String, id: Int64,
                               logger: Logger) async throws -> MergeRecord? {
        guard let row = try await connection.row("""
            SELECT id, into_id, from_id, from_name, from_fields, from_created_at, from_version,
                   moved_contact_ids, moved_note_ids, taken_fields, merged_at, unmerged_at
            FROM merge_records WHERE workspace = \(workspace) AND id = \(id) FOR UPDATE
            """, logger) else { return nil }
        let cells = row.makeRandomAccess()
        let absorbed = MergeRecord.Absorbed(id: try cells[2].decode(Int64.self), name: try cells[3].decode(String.self),
                                            fields: try MergeRecordText.fields(from: try cells[4].decode(String.self)),
                                            createdAt: Timestamp(milliseconds: try cells[5].decode(Int64.self)),
                                            version: try cells[6].decode(Int64.self))
        return MergeRecord(id: try cells[0].decode(Int64.self), into: try cells[1].decode(Int64.self), absorbed: absorbed,
                           movedContactIDs: try MergeRecordText.ids(from: try cells[7].decode(String.self)),
                           movedNoteIDs: try MergeRecordText.ids(from: try cells[8].decode(String.self)),
                           takenFields: try MergeRecordText.fields(from: try cells[9].decode(String.self)),
                           mergedAt: Timestamp(milliseconds: try cells[10].decode(Int64.self)),
                           unmergedAt: try cells[11].decode(Int64?.self).map(Timestamp.init(milliseconds:)))
    }

    static func markUnmerged(_ connection: PostgresConnection, workspace: String, id: Int64, at: Timestamp,
                             logger: Logger) async throws {
        try await connection.run("""
            UPDATE merge_records SET unmerged_at = \(at.milliseconds) WHERE workspace = \(workspace) AND id = \(id)
            """, logger)
    }
}
