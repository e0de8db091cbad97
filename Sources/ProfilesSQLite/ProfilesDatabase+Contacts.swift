import ProfilesStore
import GRDB
import ProfilesDomain

extension ProfilesDatabase {
    /// Idempotent on (channel, normalized identifier): returns the existing
    /// contact, renamed when a different `name` is given.
    public func upsertContact(workspace: String, channel: Channel, identifier: String, name: String?) throws -> ContactUpsert {
        try write { db in
            if let existing = try Contacts.find(db, workspace: workspace, channel: channel, identifier: identifier) {
                if let name, name != existing.name {
                    return ContactUpsert(created: false, contact: try Contacts.rename(db, existing, name: name))
                }
                return ContactUpsert(created: false, contact: existing)
            }
            try db.run("INSERT INTO contacts(workspace, channel, identifier, name, profile_id, created_at) VALUES (?, ?, ?, ?, NULL, ?)",
                       [workspace, channel.rawValue, identifier, name, Timestamp.now().milliseconds])
            return ContactUpsert(created: true, contact: try Contacts.fetch(db, workspace: workspace, id: db.lastInsertedRowID))
        }
    }

    public func contact(workspace: String, id: Int64) throws -> Contact {
        try readStatement { db in try Contacts.fetch(db, workspace: workspace, id: id) }
    }

    /// Sets or clears (`nil`) the contact's display name.
    public func updateContact(workspace: String, id: Int64, name: String?) throws -> Contact {
        try write { db in
            let contact = try Contacts.fetch(db, workspace: workspace, id: id)
            guard contact.name != name else { return contact }
            return try Contacts.rename(db, contact, name: name)
        }
    }

    /// Deletes the contact and its moments; its profile loses it.
    public func deleteContact(workspace: String, id: Int64) throws -> ContactDeletion {
        try write { db in
            let contact = try Contacts.fetch(db, workspace: workspace, id: id)
            try db.run("DELETE FROM moments WHERE contact_id = ?", [id])
            let moments = db.changesCount
            try db.run("DELETE FROM contacts WHERE id = ?", [id])
            if let profileID = contact.profileID {
                try Profiles.bump(db, id: profileID, contactDelta: -1)
                try SearchIndex.refresh(db, profileID: profileID)
                try ProfileHistory.record(db, profileID: profileID, HistoryChanges(contacts: [.init(.deleted, contact)]))
            }
            return ContactDeletion(id: id, deletedMoments: moments, profileID: contact.profileID)
        }
    }

    public func listContacts(workspace: String, filter: ContactFilter, limit: Int, cursor: String?) throws -> Page<Contact> {
        var conditions = ["c.workspace = ?"]
        var arguments: StatementArguments = [workspace]
        if let channel = filter.channel {
            conditions.append("c.channel = ?")
            arguments += [channel.rawValue]
        }
        if let profileID = filter.profileID {
            conditions.append("c.profile_id = ?")
            arguments += [profileID]
        }
        if filter.unassigned { conditions.append("c.profile_id IS NULL") }
        if let query = filter.query.map(SearchIndex.normalizedQuery), !query.isEmpty {
            // GRDB's swiftLowercaseString folds case beyond ASCII, as the
            // query itself was folded in Swift.
            conditions.append("(instr(swiftLowercaseString(c.identifier), ?) > 0 OR instr(swiftLowercaseString(coalesce(c.name, '')), ?) > 0)")
            arguments += [query, query]
        }
        let scope = Cursor.scope(("channel", filter.channel?.rawValue), ("profile_id", filter.profileID.map(String.init)),
                                 ("unassigned", String(filter.unassigned)), ("query", filter.query.map(SearchIndex.normalizedQuery)))
        if let after = try Cursor.id(cursor, kind: "c", scope: scope) {
            conditions.append("c.id > ?")
            arguments += [after]
        }
        arguments += [limit + 1]
        let sql = "SELECT \(Columns.contact) FROM contacts c WHERE \(conditions.joined(separator: " AND ")) ORDER BY c.id LIMIT ?"
        return try read { db in
            if let profileID = filter.profileID { _ = try Profiles.fetch(db, workspace: workspace, id: profileID) }
            var items = try db.rows(sql, arguments).map(Contact.init(row:))
            let more = items.count > limit
            if more { items.removeLast() }
            return Page(items: items, nextCursor: more ? items.last.map { Cursor.encode(kind: "c", scope: scope, [String($0.id)]) } : nil)
        }
    }
}

/// Shared steps of contact reads and writes.
enum Contacts {
    static func fetch(_ db: Database, workspace: String, id: Int64) throws -> Contact {
        guard let row = try db.row("SELECT \(Columns.contact) FROM contacts c WHERE c.id = ? AND c.workspace = ?", [id, workspace])
        else { throw DomainError.notFound("contact", id) }
        return Contact(row: row)
    }

    static func find(_ db: Database, workspace: String, channel: Channel, identifier: String) throws -> Contact? {
        try db.row("SELECT \(Columns.contact) FROM contacts c WHERE c.workspace = ? AND c.channel = ? AND c.identifier = ?",
                   [workspace, channel.rawValue, identifier]).map(Contact.init(row:))
    }

    /// The id of the contact a `profile.create` names by channel and
    /// identifier, inserted when new, for `profileID` to attach. One of
    /// another profile is a conflict unless `move`; a name given is set
    /// without bumping the profile it leaves (the detach bumps that one).
    static func upsertForProfile(_ db: Database, workspace: String, _ draft: ContactDraft, profileID: Int64, move: Bool) throws -> Int64 {
        guard let existing = try find(db, workspace: workspace, channel: draft.channel, identifier: draft.identifier) else {
            try db.run("INSERT INTO contacts(workspace, channel, identifier, name, profile_id, created_at) VALUES (?, ?, ?, ?, NULL, ?)",
                       [workspace, draft.channel.rawValue, draft.identifier, draft.name, Timestamp.now().milliseconds])
            return db.lastInsertedRowID
        }
        if let other = existing.profileID, other != profileID, !move {
            throw draft.inOtherProfile(contactID: existing.id, profileID: other)
        }
        if let name = draft.name, name != existing.name {
            try db.run("UPDATE contacts SET name = ? WHERE id = ?", [name, existing.id])
        }
        return existing.id
    }

    /// A contact's name is part of its profile (and of its search text).
    static func rename(_ db: Database, _ contact: Contact, name: String?) throws -> Contact {
        try db.run("UPDATE contacts SET name = ? WHERE id = ?", [name, contact.id])
        if let profileID = contact.profileID {
            try Profiles.bump(db, id: profileID)
            try SearchIndex.refresh(db, profileID: profileID)
            try ProfileHistory.record(db, profileID: profileID, HistoryChanges(contacts: [
                .init(.renamed, contact, name: .init(from: contact.name, to: name)),
            ]))
        }
        var renamed = contact
        renamed.name = name
        return renamed
    }
}
