import Logging
import PostgresNIO
import ProfilesDomain
import ProfilesStore

/// Profiles, as SQLite's ProfilesDatabase+Profiles.swift (profile.list is
/// in PostgresStore+Search.swift). A write locks the profile it checks
/// (`FOR UPDATE`), so a concurrent write of it on another node waits, and
/// its version check sees the other's commit.
extension PostgresStore {
    public func createProfile(workspace: String, name: String, fields: [String: FieldValue?], region: String?,
                              contactIDs: [Int64], contacts: [ContactDraft], move: Bool) async throws -> Profile {
        try PGText.check(name, "name")
        for draft in contacts {
            try PGText.check(draft.identifier, "\(draft.label).identifier")
            try PGText.check(draft.name, "\(draft.label).name")
        }
        return try await write(workspace: workspace) { [logger] connection, versions in
            // Everything that can fail is checked before the INSERT, which
            // takes a value of the id sequence even if it rolls back: ids
            // count up without gaps, as SQLite's.
            try await PGProfiles.checkCreate(connection, workspace: workspace, fields: fields, region: region,
                                             contactIDs: contactIDs, contacts: contacts, move: move, logger: logger)
            let now = Timestamp.now().milliseconds
            // Inserted with its document (the name alone), so a profile
            // without contacts is written once, not inserted then updated.
            guard let row = try await connection.row("""
                INSERT INTO profiles (workspace, name, name_key, version, contact_count, created_at, updated_at, search_doc)
                VALUES (\(workspace), \(name), \(name.lowercased()), 1, 0, \(now), \(now), \(PGSearch.document([name])))
                RETURNING id
                """, logger) else { throw PostgresStoreError.unsupportedServer("INSERT … RETURNING returned no row") }
            let id = try row.decode(Int64.self)
            versions.set(id, version: 1)
            try await PGFields.apply(connection, workspace: workspace, profileID: id, patch: fields, region: region,
                                     checkRequired: true, logger: logger)
            // Field values, which the definitions normalize, are loaded
            // only when some were set.
            let values = fields.values.contains(where: { $0 != nil })
                ? try await PGFields.load(connection, workspace: workspace, profileID: id, logger: logger) : [:]
            PGHistory.record(&versions, profileID: id, .created(name: name, fields: values))
            var attached = 0
            for contactID in contactIDs {
                if try await PGProfiles.attach(connection, workspace: workspace, profileID: id, contactID: contactID, move: move,
                                               bump: false, versions: &versions, logger: logger) {
                    attached += 1
                }
            }
            for draft in contacts {
                let contactID = try await PGContacts.upsertForProfile(connection, workspace: workspace, draft, profileID: id, move: move,
                                                                      logger: logger)
                if try await PGProfiles.attach(connection, workspace: workspace, profileID: id, contactID: contactID, move: move,
                                               bump: false, versions: &versions, logger: logger) {
                    attached += 1
                }
            }
            if attached > 0 {
                try await PGProfiles.refreshSearch(connection, workspace: workspace, profileID: id, versions: &versions, logger: logger)
            }
            // The answer is the row as written, as SQLite's.
            return Profile(id: id, name: name, fields: values, contactCount: attached, version: 1,
                           createdAt: Timestamp(milliseconds: now), updatedAt: Timestamp(milliseconds: now))
        }
    }

    public func profile(workspace: String, id: Int64, include: Set<ProfileInclude>) async throws -> ProfileDetail {
        // The profile alone is one statement: no transaction needed.
        if include.isEmpty {
            return try await read { [logger] connection in
                ProfileDetail(profile: try await PGProfiles.fetch(connection, workspace: workspace, id: id, logger: logger))
            }
        }
        return try await readSnapshot { [logger] connection in
            var detail = ProfileDetail(profile: try await PGProfiles.fetch(connection, workspace: workspace, id: id, logger: logger))
            if include.contains(.contacts) {
                detail.contacts = try await connection.rows("""
                    SELECT \(unescaped: PGColumns.contact) FROM contacts c WHERE c.workspace = \(workspace) AND c.profile_id = \(id)
                    ORDER BY c.channel, c.id
                    """, logger).map(Contact.init(pgRow:))
            }
            if include.contains(.notes) {
                detail.notes = try await connection.rows("""
                    SELECT \(unescaped: PGColumns.note) FROM notes n WHERE n.workspace = \(workspace) AND n.profile_id = \(id)
                    ORDER BY n.created_at DESC, n.id DESC LIMIT 50
                    """, logger).map(Note.init(pgRow:))
            }
            if include.contains(.moments) {
                detail.moments = try await connection.rows("""
                    SELECT \(unescaped: PGColumns.moment) FROM moments m
                    JOIN contacts c ON c.workspace = m.workspace AND c.id = m.contact_id
                    WHERE m.workspace = \(workspace) AND c.profile_id = \(id)
                    ORDER BY m.started_at DESC, m.id DESC LIMIT 50
                    """, logger).map(Moment.init(pgRow:))
            }
            return detail
        }
    }

    public func updateProfile(workspace: String, id: Int64, name: String?, fields: [String: FieldValue?]?, region: String?,
                              expectedVersion: Int64?) async throws -> Profile {
        try PGText.check(name, "name")
        return try await write(workspace: workspace) { [logger] connection, versions in
            let current = try await PGProfiles.fetch(connection, workspace: workspace, id: id, forUpdate: true, logger: logger)
            try PGProfiles.check(current, expectedVersion: expectedVersion)
            var changed = false
            if let name, name != current.name {
                try await connection.run("""
                    UPDATE profiles SET name = \(name), name_key = \(name.lowercased()) WHERE workspace = \(workspace) AND id = \(id)
                    """, logger)
                try await PGProfiles.refreshSearch(connection, workspace: workspace, profileID: id, versions: &versions, logger: logger)
                changed = true
            }
            if let fields {
                if try await PGFields.apply(connection, workspace: workspace, profileID: id, patch: fields, region: region,
                                            checkRequired: true, logger: logger) {
                    changed = true
                }
            }
            // Unchanged, the profile is still the one read above.
            guard changed else { return current }
            try await PGProfiles.bump(connection, workspace: workspace, id: id, versions: &versions, logger: logger)
            let updated = try await PGProfiles.fetch(connection, workspace: workspace, id: id, logger: logger)
            PGHistory.record(&versions, profileID: id, .difference(from: current, to: updated))
            return updated
        }
    }

    /// Permanent. Contacts are detached (their moments stay with them);
    /// notes and field values go with the profile.
    public func deleteProfile(workspace: String, id: Int64, expectedVersion: Int64?) async throws -> ProfileDeletion {
        try await write(workspace: workspace) { [logger] connection, versions in
            let current = try await PGProfiles.fetch(connection, workspace: workspace, id: id, forUpdate: true, logger: logger)
            try PGProfiles.check(current, expectedVersion: expectedVersion)
            let detached = try await connection.run("""
                UPDATE contacts SET profile_id = NULL WHERE workspace = \(workspace) AND profile_id = \(id) RETURNING 1
                """, logger)
            let notes = try await connection.run("""
                DELETE FROM notes WHERE workspace = \(workspace) AND profile_id = \(id) RETURNING 1
                """, logger)
            try await connection.run("DELETE FROM field_values WHERE workspace = \(workspace) AND profile_id = \(id)", logger)
            try await connection.run("DELETE FROM profiles WHERE workspace = \(workspace) AND id = \(id)", logger)
            versions.removed(id)
            return ProfileDeletion(id: id, detachedContacts: detached, deletedNotes: notes)
        }
    }

    public func attachContact(workspace: String, profileID: Int64, contactID: Int64, move: Bool) async throws -> Profile {
        try await write(workspace: workspace) { [logger] connection, versions in
            let current = try await PGProfiles.fetch(connection, workspace: workspace, id: profileID, forUpdate: true, logger: logger)
            // Already attached here: nothing changed, the answer is the
            // profile read above.
            guard try await PGProfiles.attach(connection, workspace: workspace, profileID: profileID, contactID: contactID,
                                              move: move, bump: true, versions: &versions, logger: logger)
            else { return current }
            try await PGProfiles.refreshSearch(connection, workspace: workspace, profileID: profileID, versions: &versions, logger: logger)
            return try await PGProfiles.fetch(connection, workspace: workspace, id: profileID, logger: logger)
        }
    }

    public func detachContact(workspace: String, profileID: Int64, contactID: Int64) async throws -> ContactDetachment {
        try await write(workspace: workspace) { [logger] connection, versions in
            _ = try await PGProfiles.fetch(connection, workspace: workspace, id: profileID, forUpdate: true, logger: logger)
            let contact = try await PGContacts.fetch(connection, workspace: workspace, id: contactID, forUpdate: true, logger: logger)
            guard contact.profileID == profileID else {
                throw DomainError(kind: .notFound, message: "contact \(contactID) is not in profile \(profileID)")
            }
            try await PGProfiles.detach(connection, workspace: workspace, contact, from: profileID,
                                        versions: &versions, logger: logger)
            return ContactDetachment(profileID: profileID, contactID: contactID)
        }
    }
}

/// Shared steps of profile reads and writes, inside a transaction.
enum PGProfiles {
    /// The profile and its field values in ONE statement (one snapshot,
    /// also outside a transaction). `forUpdate` locks the profile's row
    /// until the write commits. A value whose definition is gone is skipped.
    static func fetch(_ connection: PostgresConnection, workspace: String, id: Int64, forUpdate: Bool = false,
                      logger: Logger) async throws -> Profile {
        let rows = try await connection.rows("""
            SELECT \(unescaped: PGColumns.profile), v.key, v.text_value, v.number_value, v.bool_value, d.type FROM profiles p
            LEFT JOIN field_values v ON v.workspace = p.workspace AND v.profile_id = p.id
            LEFT JOIN field_definitions d ON d.workspace = v.workspace AND d.key = v.key
            WHERE p.workspace = \(workspace) AND p.id = \(id)
            \(unescaped: forUpdate ? "FOR UPDATE OF p" : "")
            """, logger)
        guard let first = rows.first else { throw DomainError.notFound("profile", id) }
        var profile = try Profile(pgRow: first)
        for row in rows {
            let cells = row.makeRandomAccess()
            if let key = try cells[6].decode(String?.self), let type = try cells[10].decode(String?.self) {
                profile.fields[key] = PGFields.value(text: try cells[7].decode(String?.self), number: try cells[8].decode(Double?.self),
                                                     bool: try cells[9].decode(Bool?.self), type: type)
            }
        }
        return profile
    }

    /// What a create would refuse, in the order SQLite's finds it: the
    /// field values (in key order), the required fields, then each contact
    /// (missing, or in another profile without `move`), then each contact
    /// named by channel and identifier that exists and is in another
    /// profile without `move`. Locks the contacts.
    static func checkCreate(_ connection: PostgresConnection, workspace: String, fields: [String: FieldValue?], region: String?,
                            contactIDs: [Int64], contacts: [ContactDraft], move: Bool, logger: Logger) async throws {
        let definitions = try await PGFields.all(connection, workspace: workspace, logger: logger)
        let byKey = Dictionary(uniqueKeysWithValues: definitions.map { ($0.key, $0) })
        for key in fields.keys.sorted() {
            guard let definition = byKey[key] else {
                throw DomainError.invalid(key, "is not a defined field; define it with field.define")
            }
            if let value = fields[key]!, case .string(let text) = try definition.validate(value, region: region) {
                try PGText.check(text, key)
            }
        }
        if let missing = definitions.first(where: { $0.required && (fields[$0.key] ?? nil) == nil }) {
            throw DomainError.invalid(missing.key, "is a required field")
        }
        for contactID in contactIDs {
            let contact = try await PGContacts.fetch(connection, workspace: workspace, id: contactID, forUpdate: true, logger: logger)
            if let other = contact.profileID, !move {
                throw DomainError.conflict("contact \(contactID) belongs to profile \(other); pass move: true to move it",
                                           reason: "contact_in_other_profile", details: ["profile_id": .int(other)])
            }
        }
        guard !move else { return }
        for draft in contacts {
            if let existing = try await PGContacts.find(connection, workspace: workspace, channel: draft.channel,
                                                        identifier: draft.identifier, logger: logger),
               let other = existing.profileID {
                throw draft.inOtherProfile(contactID: existing.id, profileID: other)
            }
        }
    }

    static func check(_ profile: Profile, expectedVersion: Int64?) throws {
        if let expectedVersion, expectedVersion != profile.version {
            throw DomainError.versionMismatch(entity: "profile", id: profile.id, expected: expectedVersion, current: profile.version)
        }
    }

    /// One more version, and a new `updated_at`.
    static func bump(_ connection: PostgresConnection, workspace: String, id: Int64, contactDelta: Int = 0,
                     versions: inout ProfileVersions, logger: Logger) async throws {
        for row in try await connection.rows("""
            UPDATE profiles SET version = version + 1, updated_at = \(Timestamp.now().milliseconds),
                contact_count = contact_count + \(Int32(contactDelta))
            WHERE workspace = \(workspace) AND id = \(id)
            RETURNING id, version
            """, logger) {
            let (id, version) = try row.decode((Int64, Int64).self)
            versions.set(id, version: version)
        }
    }

    /// Attaches a contact; returns false when it already was attached here.
    /// A contact of another profile is a conflict unless `move`.
    @discardableResult
    static func attach(_ connection: PostgresConnection, workspace: String, profileID: Int64, contactID: Int64, move: Bool,
                       bump: Bool, versions: inout ProfileVersions, logger: Logger) async throws -> Bool {
        let contact = try await PGContacts.fetch(connection, workspace: workspace, id: contactID, forUpdate: true, logger: logger)
        if contact.profileID == profileID { return false }
        if let other = contact.profileID {
            guard move else {
                throw DomainError.conflict("contact \(contactID) belongs to profile \(other); pass move: true to move it",
                                           reason: "contact_in_other_profile", details: ["profile_id": .int(other)])
            }
            try await detach(connection, workspace: workspace, contact, from: other, movedTo: profileID, versions: &versions, logger: logger)
        }
        try await connection.run("""
            UPDATE contacts SET profile_id = \(profileID) WHERE workspace = \(workspace) AND id = \(contactID)
            """, logger)
        PGHistory.record(&versions, profileID: profileID,
                         HistoryChanges(contacts: [.init(.attached, contact, fromProfileID: contact.profileID)]))
        versions.changed = true
        if bump {
            try await self.bump(connection, workspace: workspace, id: profileID, contactDelta: 1, versions: &versions, logger: logger)
        } else {
            try await connection.run("""
                UPDATE profiles SET contact_count = contact_count + 1 WHERE workspace = \(workspace) AND id = \(profileID)
                """, logger)
        }
        return true
    }

    /// `movedTo`: the profile it is attached to next, in the same write.
    static func detach(_ connection: PostgresConnection, workspace: String, _ contact: Contact, from profileID: Int64,
                       movedTo: Int64? = nil, versions: inout ProfileVersions, logger: Logger) async throws {
        try await connection.run("UPDATE contacts SET profile_id = NULL WHERE workspace = \(workspace) AND id = \(contact.id)", logger)
        PGHistory.record(&versions, profileID: profileID, HistoryChanges(contacts: [.init(.detached, contact, toProfileID: movedTo)]))
        versions.changed = true
        try await bump(connection, workspace: workspace, id: profileID, contactDelta: -1, versions: &versions, logger: logger)
        try await refreshSearch(connection, workspace: workspace, profileID: profileID, versions: &versions, logger: logger)
    }

    /// Recomputes the search document of one profile (as SQLite's
    /// `SearchIndex.refresh`); call after any change to its name or to its
    /// contacts. An unchanged document is not rewritten.
    static func refreshSearch(_ connection: PostgresConnection, workspace: String, profileID: Int64,
                              versions: inout ProfileVersions, logger: Logger) async throws {
        guard let nameRow = try await connection.row("""
            SELECT name FROM profiles WHERE workspace = \(workspace) AND id = \(profileID)
            """, logger) else { return }
        var parts = [try nameRow.decode(String.self)]
        for row in try await connection.rows("""
            SELECT identifier, name FROM contacts WHERE workspace = \(workspace) AND profile_id = \(profileID) ORDER BY id
            """, logger) {
            let (identifier, name) = try row.decode((String, String?).self)
            parts.append(identifier)
            if let name { parts.append(name) }
        }
        let document = PGSearch.document(parts)
        if try await connection.run("""
            UPDATE profiles SET search_doc = \(document)
            WHERE workspace = \(workspace) AND id = \(profileID) AND search_doc IS DISTINCT FROM \(document)
            RETURNING 1
            """, logger) > 0 {
            versions.changed = true
        }
    }
}
