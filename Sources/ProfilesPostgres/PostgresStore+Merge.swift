import Logging
import PostgresNIO
import ProfilesDomain
import ProfilesStore

extension PostgresStore {
    /// `profile.merge`, as SQLite's: `from`'s contacts and notes move to
    /// `into`, its field values fill `into`'s gaps (`into` wins where both
    /// have one), and `from` is deleted, in one transaction. A dry run
    /// performs the same merge and rolls its transaction back, so its
    /// report is exactly what the merge would do. What the merge did is
    /// recorded (`PGMergeRecords`) in the same transaction, for
    /// `profile.unmerge`.
    public func mergeProfiles(workspace: String, into: Int64, from: Int64, dryRun: Bool) async throws -> ProfileMerge {
        do {
            return try await write(workspace: workspace) { [logger] connection, versions in
                let report = try await PGProfiles.merge(connection, workspace: workspace, into: into, from: from, record: !dryRun,
                                                        versions: &versions, logger: logger)
                if dryRun { throw RolledBack(report: report.with(dryRun: true)) }
                return report
            }
        } catch let rolledBack as RolledBack {
            return rolledBack.report
        }
    }
}

/// Carries a dry run's report out of the transaction it rolls back.
private struct RolledBack: Error { let report: ProfileMerge }

extension PGProfiles {
    /// `record`: whether to keep what it did for profile.unmerge (a dry
    /// run does not: a bigserial is not given back by a rollback, so it
    /// would take a merge_id for nothing).
    static func merge(_ connection: PostgresConnection, workspace: String, into: Int64, from: Int64, record: Bool,
                      versions: inout ProfileVersions, logger: Logger) async throws -> ProfileMerge {
        // Both rows locked, in SQLite's order (so the same one is not
        // found first); two merges of a pair in opposite directions may
        // deadlock, and `write` runs the loser again.
        let target = try await fetch(connection, workspace: workspace, id: into, forUpdate: true, logger: logger)
        let source = try await fetch(connection, workspace: workspace, id: from, forUpdate: true, logger: logger)
        var copied: [String] = []
        var conflicts: [ProfileMerge.Conflict] = []
        for key in source.fields.keys.sorted() {
            let dropped = source.fields[key]!
            if let kept = target.fields[key] {
                if kept != dropped { conflicts.append(.init(key: key, kept: kept, dropped: dropped)) }
            } else {
                try await connection.run("""
                    INSERT INTO field_values (workspace, profile_id, key, text_value, number_value, bool_value)
                    SELECT workspace, \(into), key, text_value, number_value, bool_value FROM field_values
                    WHERE workspace = \(workspace) AND profile_id = \(from) AND key = \(key)
                    """, logger)
                copied.append(key)
            }
        }
        let contacts = try await connection.rows("""
            SELECT \(unescaped: PGColumns.contact) FROM contacts c WHERE c.workspace = \(workspace) AND c.profile_id = \(from)
            ORDER BY c.id FOR UPDATE
            """, logger).map(Contact.init(pgRow:))
        let movedContacts = contacts.map(\.id)
        let movedNotes = try await connection.rows("""
            SELECT id FROM notes WHERE workspace = \(workspace) AND profile_id = \(from) ORDER BY id
            """, logger).map { try $0.decode(Int64.self) }
        try await connection.run("UPDATE contacts SET profile_id = \(into) WHERE workspace = \(workspace) AND profile_id = \(from)", logger)
        try await connection.run("UPDATE notes SET profile_id = \(into) WHERE workspace = \(workspace) AND profile_id = \(from)", logger)
        try await connection.run("DELETE FROM field_values WHERE workspace = \(workspace) AND profile_id = \(from)", logger)
        try await connection.run("DELETE FROM profiles WHERE workspace = \(workspace) AND id = \(from)", logger)
        versions.removed(from)
        try await bump(connection, workspace: workspace, id: into, contactDelta: movedContacts.count, versions: &versions, logger: logger)
        try await refreshSearch(connection, workspace: workspace, profileID: into, versions: &versions, logger: logger)
        let absorbed = MergeRecord.Absorbed(id: from, name: source.name, fields: source.fields, createdAt: source.createdAt,
                                            version: source.version)
        var mergeID: Int64?
        if record {
            mergeID = try await PGMergeRecords.insert(connection, workspace: workspace, into: into, absorbed: absorbed,
                                                      movedContactIDs: movedContacts, movedNoteIDs: movedNotes,
                                                      takenFields: source.fields.filter { copied.contains($0.key) }, at: .now(),
                                                      logger: logger)
        }
        let merged = try await fetch(connection, workspace: workspace, id: into, logger: logger)
        PGHistory.record(&versions, profileID: into, .merged(source, into: target, after: merged, contacts: contacts, noteIDs: movedNotes))
        return ProfileMerge(mergeID: mergeID, into: into, from: from, dryRun: false, movedContactIDs: movedContacts, movedNoteIDs: movedNotes,
                            copiedFields: copied, conflicts: conflicts, profile: merged)
    }
}
