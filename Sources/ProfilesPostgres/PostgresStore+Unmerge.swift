import Logging
import PostgresNIO
import ProfilesDomain
import ProfilesStore

extension PostgresStore {
    /// `profile.unmerge`, as SQLite's: the absorbed profile comes back with
    /// its id, name, values and created_at, with the contacts and notes it
    /// gave that are still on the survivor; the survivor loses the values
    /// it took, where they are unchanged (`UnmergePlan`). One transaction;
    /// a dry run does the same and rolls back, so its report is exact.
    public func unmergeProfiles(workspace: String, mergeID: Int64, dryRun: Bool) async throws -> ProfileUnmerge {
        do {
            return try await write(workspace: workspace) { [logger] connection, versions in
                let report = try await PGProfiles.unmerge(connection, workspace: workspace, mergeID: mergeID, versions: &versions,
                                                          logger: logger)
                if dryRun { throw UnmergeRolledBack(report: report.with(dryRun: true)) }
                return report
            }
        } catch let rolledBack as UnmergeRolledBack {
            return rolledBack.report
        }
    }
}

/// Carries a dry run's report out of the transaction it rolls back.
private struct UnmergeRolledBack: Error { let report: ProfileUnmerge }

extension PGProfiles {
    static func unmerge(_ connection: PostgresConnection, workspace: String, mergeID: Int64, versions: inout ProfileVersions,
                        logger: Logger) async throws -> ProfileUnmerge {
        guard let record = try await PGMergeRecords.fetchForUpdate(connection, workspace: workspace, id: mergeID, logger: logger) else {
            throw MergeRecord.notFound(mergeID)
        }
        let into = record.into
        let from = record.absorbed.id
        let present = try await connection.rows("""
            SELECT id FROM profiles WHERE workspace = \(workspace) AND id = ANY(\([into, from]))
            """, logger).map { try $0.decode(Int64.self) }
        try UnmergePlan.check(record, survivorExists: present.contains(into), absorbedExists: present.contains(from))
        let survivor = try await fetch(connection, workspace: workspace, id: into, forUpdate: true, logger: logger)
        var contactOwners: [Int64: Int64?] = [:]
        for row in try await connection.rows("""
            SELECT id, profile_id FROM contacts WHERE workspace = \(workspace) AND id = ANY(\(record.movedContactIDs))
            ORDER BY id FOR UPDATE
            """, logger) {
            let (id, owner) = try row.decode((Int64, Int64?).self)
            contactOwners[id] = .some(owner)
        }
        var noteOwners: [Int64: Int64] = [:]
        for row in try await connection.rows("""
            SELECT id, profile_id FROM notes WHERE workspace = \(workspace) AND id = ANY(\(record.movedNoteIDs)) ORDER BY id FOR UPDATE
            """, logger) {
            let (id, owner) = try row.decode((Int64, Int64).self)
            noteOwners[id] = owner
        }
        let definitions = Dictionary(uniqueKeysWithValues: try await PGFields.all(connection, workspace: workspace, logger: logger)
            .map { ($0.key, $0) })
        let plan = UnmergePlan(record: record, now: .init(survivorFields: survivor.fields, contactOwners: contactOwners,
                                                          noteOwners: noteOwners, definitions: definitions))
        let now = Timestamp.now()

        // The absorbed profile, back with its own id: the bigserial handed
        // it out once, so the sequence needs no change.
        let name = record.absorbed.name
        let version = record.absorbed.version + 1
        try await connection.run("""
            INSERT INTO profiles (workspace, id, name, name_key, version, contact_count, created_at, updated_at, search_doc)
            VALUES (\(workspace), \(from), \(name), \(name.lowercased()), \(version), \(Int32(plan.restoredContactIDs.count)),
                    \(record.absorbed.createdAt.milliseconds), \(now.milliseconds), \(PGSearch.document([name])))
            """, logger)
        versions.set(from, version: version)
        for key in plan.restoredFields.keys.sorted() {
            let columns = PGFields.columns(plan.restoredFields[key]!)
            try await connection.run("""
                INSERT INTO field_values (workspace, profile_id, key, text_value, number_value, bool_value)
                VALUES (\(workspace), \(from), \(key), \(columns.text), \(columns.number), \(columns.bool))
                """, logger)
        }
        try await connection.run("""
            UPDATE contacts SET profile_id = \(from)
            WHERE workspace = \(workspace) AND profile_id = \(into) AND id = ANY(\(plan.restoredContactIDs))
            """, logger)
        try await connection.run("""
            UPDATE notes SET profile_id = \(from) WHERE workspace = \(workspace) AND profile_id = \(into) AND id = ANY(\(plan.restoredNoteIDs))
            """, logger)
        try await connection.run("""
            DELETE FROM field_values WHERE workspace = \(workspace) AND profile_id = \(into) AND key = ANY(\(plan.removedFields))
            """, logger)
        if plan.changesSurvivor {
            try await bump(connection, workspace: workspace, id: into, contactDelta: -plan.restoredContactIDs.count, versions: &versions,
                           logger: logger)
        }
        try await refreshSearch(connection, workspace: workspace, profileID: into, versions: &versions, logger: logger)
        try await refreshSearch(connection, workspace: workspace, profileID: from, versions: &versions, logger: logger)
        try await PGMergeRecords.markUnmerged(connection, workspace: workspace, id: mergeID, at: now, logger: logger)
        let after = try await fetch(connection, workspace: workspace, id: into, logger: logger)
        let restored = try await fetch(connection, workspace: workspace, id: from, logger: logger)
        let contacts = try await connection.rows("""
            SELECT \(unescaped: PGColumns.contact) FROM contacts c
            WHERE c.workspace = \(workspace) AND c.id = ANY(\(plan.restoredContactIDs)) ORDER BY c.id
            """, logger).map(Contact.init(pgRow:))
        let noteIDs = plan.restoredNoteIDs.sorted()
        PGHistory.record(&versions, profileID: into, .unmergedSurvivor(before: survivor, after: after, restoredID: from, mergeID: mergeID,
                                                                       contacts: contacts, noteIDs: noteIDs))
        PGHistory.record(&versions, profileID: from, .unmergedRestored(restored, survivorID: into, mergeID: mergeID,
                                                                       contacts: contacts, noteIDs: noteIDs))
        return ProfileUnmerge(record: record, plan: plan, dryRun: false, profile: after, restored: restored)
    }
}
