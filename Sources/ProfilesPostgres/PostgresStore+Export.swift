import Logging
import PostgresNIO
import ProfilesDomain
import ProfilesStore

extension PostgresStore {
    /// `profile.export`, as SQLite's: everything stored about one profile,
    /// read in one snapshot so the parts agree with each other.
    public func exportProfile(workspace: String, id: Int64) async throws -> ProfileExport {
        try await readSnapshot { [logger] connection in
            let profile = try await PGProfiles.fetch(connection, workspace: workspace, id: id, logger: logger)
            let definitions = try await PGFields.all(connection, workspace: workspace, logger: logger)
            let fields = definitions.compactMap { definition in
                profile.fields[definition.key].map { ProfileExport.FieldEntry(definition: definition, value: $0) }
            }
            let contacts = try await connection.rows("""
                SELECT \(unescaped: PGColumns.contact) FROM contacts c WHERE c.workspace = \(workspace) AND c.profile_id = \(id)
                ORDER BY c.channel, c.id
                """, logger).map(Contact.init(pgRow:))
            let notes = try await connection.rows("""
                SELECT \(unescaped: PGColumns.note) FROM notes n WHERE n.workspace = \(workspace) AND n.profile_id = \(id)
                ORDER BY n.created_at DESC, n.id DESC
                """, logger).map(Note.init(pgRow:))
            let moments = try await connection.rows("""
                SELECT \(unescaped: PGColumns.moment) FROM moments m
                JOIN contacts c ON c.workspace = m.workspace AND c.id = m.contact_id
                WHERE m.workspace = \(workspace) AND c.profile_id = \(id)
                ORDER BY m.started_at DESC, m.id DESC
                """, logger).map(Moment.init(pgRow:))
            return ProfileExport(exportedAt: .now(), workspace: workspace, profile: profile, fields: fields, contacts: contacts,
                                 notes: notes, moments: moments)
        }
    }
}
