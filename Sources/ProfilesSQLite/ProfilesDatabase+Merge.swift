import ProfilesStore
import GRDB
import ProfilesDomain

extension ProfilesDatabase {
    /// `profile.merge`: `from`'s contacts and notes move to `into`, its
    /// field values fill `into`'s gaps (`into` wins where both have one),
    /// and `from` is deleted, in one transaction. A dry run performs the
    /// same merge in its savepoint and rolls it back, so its report is
    /// exactly what the merge would do. What the merge did is recorded
    /// (`MergeRecords`) in the same savepoint, for `profile.unmerge`.
    public func mergeProfiles(workspace: String, into: Int64, from: Int64, dryRun: Bool) throws -> ProfileMerge {
        /// Carries a dry run's report out of the savepoint it rolls back.
        struct RolledBack: Error { let report: ProfileMerge }
        do {
            return try write { db in
                let report = try Profiles.merge(db, workspace: workspace, into: into, from: from, record: !dryRun)
                if dryRun { throw RolledBack(report: report.with(dryRun: true)) }
                return report
            }
        } catch let rolledBack as RolledBack {
            return rolledBack.report
        }
    }
}

extension Profiles {
    /// `record`: whether to keep what it did for profile.unmerge (a dry
    /// run does not: it would take a merge_id for nothing).
    static func merge(_ db: Database, workspace: String, into: Int64, from: Int64, record: Bool) throws -> ProfileMerge {
        let target = try fetch(db, workspace: workspace, id: into)
        let source = try fetch(db, workspace: workspace, id: from)
        var copied: [String] = []
        var conflicts: [ProfileMerge.Conflict] = []
        for key in source.fields.keys.sorted() {
            let dropped = source.fields[key]!
            if let kept = target.fields[key] {
                if kept != dropped { conflicts.append(.init(key: key, kept: kept, dropped: dropped)) }
            } else {
                try db.run("""
                    INSERT INTO field_values(profile_id, workspace, key, value, name_key, updated_at)
                    SELECT p.id, v.workspace, v.key, v.value, p.name_key, p.updated_at
                    FROM field_values v, profiles p WHERE p.id = ?1 AND v.profile_id = ?2 AND v.key = ?3
                    """, [into, from, key])
                copied.append(key)
            }
        }
        let contacts = try db.rows("SELECT \(Columns.contact) FROM contacts c WHERE c.profile_id = ? ORDER BY c.id", [from])
            .map(Contact.init(row:))
        let movedContacts = contacts.map(\.id)
        let movedNotes = try Int64.fetchAll(db, sql: "SELECT id FROM notes WHERE profile_id = ? ORDER BY id", arguments: [from])
        try db.run("UPDATE contacts SET profile_id = ? WHERE profile_id = ?", [into, from])
        try db.run("UPDATE notes SET profile_id = ? WHERE profile_id = ?", [into, from])
        try db.run("DELETE FROM field_values WHERE profile_id = ?", [from])
        try db.run("DELETE FROM profiles WHERE id = ?", [from])
        try bump(db, id: into, contactDelta: movedContacts.count)
        try SearchIndex.refresh(db, profileID: into)
        let absorbed = MergeRecord.Absorbed(id: from, name: source.name, fields: source.fields, createdAt: source.createdAt,
                                            version: source.version)
        var mergeID: Int64?
        if record {
            mergeID = try MergeRecords.insert(db, workspace: workspace, into: into, absorbed: absorbed, movedContactIDs: movedContacts,
                                              movedNoteIDs: movedNotes, takenFields: source.fields.filter { copied.contains($0.key) },
                                              at: .now())
        }
        let merged = try fetch(db, workspace: workspace, id: into)
        try ProfileHistory.record(db, profileID: into, .merged(source, into: target, after: merged, contacts: contacts, noteIDs: movedNotes))
        return ProfileMerge(mergeID: mergeID, into: into, from: from, dryRun: false, movedContactIDs: movedContacts, movedNoteIDs: movedNotes,
                            copiedFields: copied, conflicts: conflicts, profile: merged)
    }
}
