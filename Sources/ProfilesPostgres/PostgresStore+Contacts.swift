import Logging
import PostgresNIO
import ProfilesDomain
import ProfilesStore

/// Contacts, as SQLite's ProfilesDatabase+Contacts.swift.
extension PostgresStore {
    /// Idempotent on (channel, normalized identifier): returns the existing
    /// contact, renamed when a different `name` is given. The insert is
    /// `ON CONFLICT DO NOTHING`: two nodes upserting the same contact at
    /// once make one row, and the second reads (and locks) the first's.
    public func upsertContact(workspace: String, channel: ProfilesDomain.Channel, identifier: String,
                              name: String?) async throws -> ContactUpsert {
        try PGText.check(identifier, "identifier")
        try PGText.check(name, "name")
        return try await write(workspace: workspace) { [logger] connection, versions in
            // Looked up first: an INSERT that conflicts still takes a value
            // of the id sequence, and ids count up without gaps, as SQLite's.
            if let existing = try await PGContacts.find(connection, workspace: workspace, channel: channel,
                                                        identifier: identifier, logger: logger) {
                return try await PGContacts.upserted(connection, workspace: workspace, existing, name: name,
                                                     versions: &versions, logger: logger)
            }
            if let inserted = try await connection.row("""
                INSERT INTO contacts (workspace, channel, identifier, name, profile_id, created_at)
                VALUES (\(workspace), \(channel.rawValue), \(identifier), \(name), NULL, \(Timestamp.now().milliseconds))
                ON CONFLICT (workspace, channel, identifier) DO NOTHING
                RETURNING \(unescaped: PGColumns.contact.replacingOccurrences(of: "c.", with: ""))
                """, logger) {
                versions.changed = true
                return ContactUpsert(created: true, contact: try Contact(pgRow: inserted))
            }
            guard let existing = try await PGContacts.find(connection, workspace: workspace, channel: channel,
                                                           identifier: identifier, logger: logger) else {
                // Deleted between the conflict and the read: the caller retries.
                throw PostgresStoreError.serializationFailure(sqlState: "40001")
            }
            return try await PGContacts.upserted(connection, workspace: workspace, existing, name: name,
                                                 versions: &versions, logger: logger)
        }
    }

    public func contact(workspace: String, id: Int64) async throws -> Contact {
        try await read { [logger] connection in try await PGContacts.fetch(connection, workspace: workspace, id: id, logger: logger) }
    }

    /// Sets or clears (`nil`) the contact's display name.
    public func updateContact(workspace: String, id: Int64, name: String?) async throws -> Contact {
        try PGText.check(name, "name")
        return try await write(workspace: workspace) { [logger] connection, versions in
            let contact = try await PGContacts.fetch(connection, workspace: workspace, id: id, forUpdate: true, logger: logger)
            guard contact.name != name else { return contact }
            return try await PGContacts.rename(connection, workspace: workspace, contact, name: name, versions: &versions, logger: logger)
        }
    }

    /// Deletes the contact and its moments; its profile loses it.
    public func deleteContact(workspace: String, id: Int64) async throws -> ContactDeletion {
        try await write(workspace: workspace) { [logger] connection, versions in
            let contact = try await PGContacts.fetch(connection, workspace: workspace, id: id, forUpdate: true, logger: logger)
            let moments = try await connection.run("""
                DELETE FROM moments WHERE workspace = \(workspace) AND contact_id = \(id) RETURNING 1
                """, logger)
            try await connection.run("DELETE FROM contacts WHERE workspace = \(workspace) AND id = \(id)", logger)
            versions.changed = true
            if let profileID = contact.profileID {
                try await PGProfiles.bump(connection, workspace: workspace, id: profileID, contactDelta: -1, versions: &versions, logger: logger)
                try await PGProfiles.refreshSearch(connection, workspace: workspace, profileID: profileID, versions: &versions, logger: logger)
                PGHistory.record(&versions, profileID: profileID, HistoryChanges(contacts: [.init(.deleted, contact)]))
            }
            return ContactDeletion(id: id, deletedMoments: moments, profileID: contact.profileID)
        }
    }

    public func listContacts(workspace: String, filter: ContactFilter, limit: Int, cursor: String?) async throws -> Page<Contact> {
        var query = filter.query.map(PGSearch.normalizedQuery).flatMap { $0.isEmpty ? nil : $0 }
        // No contact holds a NUL (PGText): such a query matches nothing.
        let matchesNothing = query.map(PGText.holdsNUL) ?? false
        if matchesNothing { query = nil }
        let text = query
        let scope = Cursor.scope(("channel", filter.channel?.rawValue), ("profile_id", filter.profileID.map(String.init)),
                                 ("unassigned", String(filter.unassigned)), ("query", filter.query.map(PGSearch.normalizedQuery)))
        let after = try Cursor.id(cursor, kind: "c", scope: scope)
        let channel = filter.channel?.rawValue
        let profileID = filter.profileID
        let unassigned = filter.unassigned
        return try await readSnapshot { [logger] connection in
            if let profileID { _ = try await PGProfiles.fetch(connection, workspace: workspace, id: profileID, logger: logger) }
            // Each filter is a condition that holds when it is not given
            // (a NULL param), so one statement serves every combination.
            // Lower-cased by the database's default collation (SQLite folds
            // in Swift, as the query was folded).
            var items = try await connection.rows("""
                SELECT \(unescaped: PGColumns.contact) FROM contacts c
                WHERE c.workspace = \(workspace)
                AND (\(channel)::text IS NULL OR c.channel = \(channel))
                AND (\(profileID)::bigint IS NULL OR c.profile_id = \(profileID))
                AND (NOT \(unassigned) OR c.profile_id IS NULL)
                AND NOT \(matchesNothing)
                AND (\(text)::text IS NULL
                     OR strpos(lower(c.identifier COLLATE "default"), \(text)) > 0
                     OR strpos(lower(coalesce(c.name, '') COLLATE "default"), \(text)) > 0)
                AND (\(after)::bigint IS NULL OR c.id > \(after))
                ORDER BY c.id LIMIT \(Int64(limit + 1))
                """, logger).map(Contact.init(pgRow:))
            let more = items.count > limit
            if more { items.removeLast() }
            return Page(items: items, nextCursor: more ? items.last.map { Cursor.encode(kind: "c", scope: scope, [String($0.id)]) } : nil)
        }
    }
}

/// Shared steps of contact reads and writes.
enum PGContacts {
    /// `forUpdate` locks the contact's row until the write commits.
    static func fetch(_ connection: PostgresConnection, workspace: String, id: Int64, forUpdate: Bool = false,
                      logger: Logger) async throws -> Contact {
        guard let row = try await connection.row("""
            SELECT \(unescaped: PGColumns.contact) FROM contacts c WHERE c.workspace = \(workspace) AND c.id = \(id)
            \(unescaped: forUpdate ? "FOR UPDATE" : "")
            """, logger) else { throw DomainError.notFound("contact", id) }
        return try Contact(pgRow: row)
    }

    /// Locks the contact: an upsert that renames it must not race another.
    static func find(_ connection: PostgresConnection, workspace: String, channel: ProfilesDomain.Channel, identifier: String,
                     logger: Logger) async throws -> Contact? {
        try await connection.row("""
            SELECT \(unescaped: PGColumns.contact) FROM contacts c
            WHERE c.workspace = \(workspace) AND c.channel = \(channel.rawValue) AND c.identifier = \(identifier)
            FOR UPDATE
            """, logger).map(Contact.init(pgRow:))
    }

    /// The answer of an upsert that found `existing`: renamed when a
    /// different `name` is given.
    static func upserted(_ connection: PostgresConnection, workspace: String, _ existing: Contact, name: String?,
                         versions: inout ProfileVersions, logger: Logger) async throws -> ContactUpsert {
        if let name, name != existing.name {
            return ContactUpsert(created: false, contact: try await rename(connection, workspace: workspace, existing, name: name,
                                                                           versions: &versions, logger: logger))
        }
        return ContactUpsert(created: false, contact: existing)
    }

    /// The id of the contact a `profile.create` names by channel and
    /// identifier, inserted when new, for `profileID` to attach (as
    /// SQLite's `Contacts.upsertForProfile`). `checkCreate` already refused
    /// one of another profile without `move`, and locked it; a name given
    /// is set without bumping the profile it leaves (the detach bumps it).
    static func upsertForProfile(_ connection: PostgresConnection, workspace: String, _ draft: ContactDraft, profileID: Int64,
                                 move: Bool, logger: Logger) async throws -> Int64 {
        var existing = try await find(connection, workspace: workspace, channel: draft.channel, identifier: draft.identifier,
                                      logger: logger)
        if existing == nil {
            if let inserted = try await connection.row("""
                INSERT INTO contacts (workspace, channel, identifier, name, profile_id, created_at)
                VALUES (\(workspace), \(draft.channel.rawValue), \(draft.identifier), \(draft.name), NULL, \(Timestamp.now().milliseconds))
                ON CONFLICT (workspace, channel, identifier) DO NOTHING
                RETURNING id
                """, logger) {
                return try inserted.decode(Int64.self)
            }
            // Another node inserted it meanwhile: use (and lock) that one.
            existing = try await find(connection, workspace: workspace, channel: draft.channel, identifier: draft.identifier,
                                      logger: logger)
        }
        guard let existing else {
            // Deleted between the conflict and the read: the caller retries.
            throw PostgresStoreError.serializationFailure(sqlState: "40001")
        }
        if let other = existing.profileID, other != profileID, !move {
            throw draft.inOtherProfile(contactID: existing.id, profileID: other)
        }
        if let name = draft.name, name != existing.name {
            try await connection.run("UPDATE contacts SET name = \(name) WHERE workspace = \(workspace) AND id = \(existing.id)", logger)
        }
        return existing.id
    }

    /// A contact's name is part of its profile (and of its search text).
    static func rename(_ connection: PostgresConnection, workspace: String, _ contact: Contact, name: String?,
                       versions: inout ProfileVersions, logger: Logger) async throws -> Contact {
        try await connection.run("UPDATE contacts SET name = \(name) WHERE workspace = \(workspace) AND id = \(contact.id)", logger)
        versions.changed = true
        if let profileID = contact.profileID {
            try await PGProfiles.bump(connection, workspace: workspace, id: profileID, versions: &versions, logger: logger)
            try await PGProfiles.refreshSearch(connection, workspace: workspace, profileID: profileID, versions: &versions, logger: logger)
            PGHistory.record(&versions, profileID: profileID, HistoryChanges(contacts: [
                .init(.renamed, contact, name: .init(from: contact.name, to: name)),
            ]))
        }
        var renamed = contact
        renamed.name = name
        return renamed
    }
}
