import GRDB
import ProfilesDomain
import ProfilesStore

extension ProfilesDatabase {
    /// `profile.unmerge`: the absorbed profile comes back with its id,
    /// name, values and created_at, with the contacts and notes it gave
    /// that are still on the survivor; the survivor loses the values it
    /// took, where they are unchanged (`UnmergePlan`). One savepoint; a dry
    /// run does the same and rolls it back, so its report is exact.
    public func unmergeProfiles(workspace: String, mergeID: Int64, dryRun: Bool) throws -> ProfileUnmerge {
        /// Carries a dry run's report out of the savepoint it rolls back.
        struct RolledBack: Error { let report: ProfileUnmerge }
        do {
            return try write { db in
                let report = try Profiles.unmerge(db, workspace: workspace, mergeID: mergeID)
                if dryRun { throw RolledBack(report: report.with(dryRun: true)) }
                return report
            }
        } catch let rolledBack as RolledBack {
            return rolledBack.report
        }
    }
}

extension Profiles {
    static func unmerge(_ db: Database, workspace: String, mergeID: Int64) throws -> ProfileUnmerge {
        guard let record = try MergeRecords.fetch(db, workspace: workspace, id: mergeID) else { throw MergeRecord.notFound(mergeID) }
        let into = record.into
        let from = record.absorbed.id
        let exists = "SELECT EXISTS (SELECT 1 FROM profiles WHERE id = ? AND workspace = ?)"
        try UnmergePlan.check(record, survivorExists: try Bool.fetchOne(db, sql: exists, arguments: [into, workspace]) ?? false,
                              absorbedExists: try Bool.fetchOne(db, sql: exists, arguments: [from, workspace]) ?? false)
        let survivor = try fetch(db, workspace: workspace, id: into)
        var contactOwners: [Int64: Int64?] = [:]
        for row in try db.rows("""
            SELECT id, profile_id FROM contacts WHERE workspace = ? AND id IN (SELECT value FROM json_each(?))
            """, [workspace, MergeRecordText.ids(record.movedContactIDs)]) {
            let owner: Int64? = row[1]
            contactOwners[row[0] as Int64] = .some(owner)
        }
        var noteOwners: [Int64: Int64] = [:]
        for row in try db.rows("""
            SELECT id, profile_id FROM notes WHERE workspace = ? AND id IN (SELECT value FROM json_each(?))
            """, [workspace, MergeRecordText.ids(record.movedNoteIDs)]) {
            noteOwners[row[0] as Int64] = row[1] as Int64
        }
        let definitions = Dictionary(uniqueKeysWithValues: try FieldDefinitions.all(db, workspace: workspace).map { ($0.key, $0) })
        let plan = UnmergePlan(record: record, now: .init(survivorFields: survivor.fields, contactOwners: contactOwners,
                                                          noteOwners: noteOwners, definitions: definitions))
        let now = Timestamp.now()

        // The absorbed profile, back with its own id (AUTOINCREMENT never
        // handed it out again) and one version more than it had.
        let name = record.absorbed.name
        try db.run("""
            INSERT INTO profiles(id, workspace, name, name_key, version, contact_count, created_at, updated_at, search_doc)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [from, workspace, name, name.lowercased(), record.absorbed.version + 1, plan.restoredContactIDs.count,
                  record.absorbed.createdAt.milliseconds, now.milliseconds, SearchIndex.document([name])])
        for (key, value) in plan.restoredFields {
            try db.run("""
                INSERT INTO field_values(profile_id, workspace, key, value, name_key, updated_at) VALUES (?, ?, ?, ?, ?, ?)
                """, [from, workspace, key, FieldValues.databaseValue(value), name.lowercased(), now.milliseconds])
        }
        try db.run("UPDATE contacts SET profile_id = ? WHERE profile_id = ? AND id IN (SELECT value FROM json_each(?))",
                   [from, into, MergeRecordText.ids(plan.restoredContactIDs)])
        try db.run("UPDATE notes SET profile_id = ? WHERE profile_id = ? AND id IN (SELECT value FROM json_each(?))",
                   [from, into, MergeRecordText.ids(plan.restoredNoteIDs)])
        try db.run("DELETE FROM field_values WHERE profile_id = ? AND key IN (SELECT value FROM json_each(?))",
                   [into, MergeRecordText.fieldKeys(plan.removedFields)])
        if plan.changesSurvivor {
            try bump(db, id: into, contactDelta: -plan.restoredContactIDs.count)
        }
        try SearchIndex.refresh(db, profileID: into)
        try SearchIndex.refresh(db, profileID: from)
        try MergeRecords.markUnmerged(db, id: mergeID, at: now)
        let after = try fetch(db, workspace: workspace, id: into)
        let restored = try fetch(db, workspace: workspace, id: from)
        let contacts = try db.rows("""
            SELECT \(Columns.contact) FROM contacts c WHERE c.workspace = ? AND c.id IN (SELECT value FROM json_each(?)) ORDER BY c.id
            """, [workspace, MergeRecordText.ids(plan.restoredContactIDs)]).map(Contact.init(row:))
        let noteIDs = plan.restoredNoteIDs.sorted()
        try ProfileHistory.record(db, profileID: into, .unmergedSurvivor(before: survivor, after: after, restoredID: from, mergeID: mergeID,
                                                                          contacts: contacts, noteIDs: noteIDs))
        try ProfileHistory.record(db, profileID: from, .unmergedRestored(restored, survivorID: into, mergeID: mergeID,
                                                                          contacts: contacts, noteIDs: noteIDs))
        return ProfileUnmerge(record: record, plan: plan, dryRun: false, profile: after, restored: restored)
    }
}
