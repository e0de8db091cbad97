import ProfilesStore
import GRDB
import ProfilesDomain

extension ProfilesDatabase {
    /// `profile.export`: everything stored about one profile, read in one
    /// transaction so the parts agree with each other.
    public func exportProfile(workspace: String, id: Int64) throws -> ProfileExport {
        try read { db in
            let profile = try Profiles.fetch(db, workspace: workspace, id: id)
            let definitions = try FieldDefinitions.all(db, workspace: workspace)
            let fields = definitions.compactMap { definition in
                profile.fields[definition.key].map { ProfileExport.FieldEntry(definition: definition, value: $0) }
            }
            let contacts = try db.rows("SELECT \(Columns.contact) FROM contacts c WHERE c.profile_id = ? ORDER BY c.channel, c.id",
                                       [id]).map(Contact.init(row:))
            let notes = try db.rows("SELECT \(Columns.note) FROM notes n WHERE n.profile_id = ? ORDER BY n.created_at DESC, n.id DESC",
                                    [id]).map(Note.init(row:))
            let moments = try db.rows("""
                SELECT \(Columns.moment) FROM moments m JOIN contacts c ON c.id = m.contact_id
                WHERE c.profile_id = ? ORDER BY m.started_at DESC, m.id DESC
                """, [id]).map(Moment.init(row:))
            return ProfileExport(exportedAt: .now(), workspace: workspace, profile: profile, fields: fields, contacts: contacts,
                                 notes: notes, moments: moments)
        }
    }
}
