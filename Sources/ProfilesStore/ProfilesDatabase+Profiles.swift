import GRDB
import ProfilesDomain

/// How `profile.list` orders its items.
public enum ProfileSort: String, Sendable, CaseIterable {
    /// By name, case-insensitively, then id.
    case name
    /// Most recently changed first (`updated_at`, then id, descending).
    case recent
}

extension ProfilesDatabase {
    public func createProfile(workspace: String, name: String, fields: [String: FieldValue?], contactIDs: [Int64],
                              move: Bool) throws -> Profile {
        try write { db in
            let now = Timestamp.now().milliseconds
            try db.run("""
                INSERT INTO profiles(workspace, name, name_key, version, contact_count, created_at, updated_at)
                VALUES (?, ?, ?, 1, 0, ?, ?)
                """, [workspace, name, name.lowercased(), now, now])
            let id = db.lastInsertedRowID
            try FieldValues.apply(db, workspace: workspace, profileID: id, patch: fields, checkRequired: true)
            for contactID in contactIDs {
                try Profiles.attach(db, workspace: workspace, profileID: id, contactID: contactID, move: move, bump: false)
            }
            try SearchIndex.refresh(db, profileID: id)
            return try Profiles.fetch(db, workspace: workspace, id: id)
        }
    }

    public func profile(workspace: String, id: Int64, include: Set<ProfileInclude>) throws -> ProfileDetail {
        try read { db in
            var detail = ProfileDetail(profile: try Profiles.fetch(db, workspace: workspace, id: id))
            if include.contains(.contacts) {
                detail.contacts = try db.rows("SELECT \(Columns.contact) FROM contacts c WHERE c.profile_id = ? ORDER BY c.channel, c.id",
                                              [id]).map(Contact.init(row:))
            }
            if include.contains(.notes) {
                detail.notes = try db.rows("""
                    SELECT \(Columns.note) FROM notes n WHERE n.profile_id = ?
                    ORDER BY n.created_at DESC, n.id DESC LIMIT 50
                    """, [id]).map(Note.init(row:))
            }
            if include.contains(.moments) {
                detail.moments = try db.rows("""
                    SELECT \(Columns.moment) FROM moments m JOIN contacts c ON c.id = m.contact_id
                    WHERE c.profile_id = ? ORDER BY m.started_at DESC, m.id DESC LIMIT 50
                    """, [id]).map(Moment.init(row:))
            }
            return detail
        }
    }

    public func updateProfile(workspace: String, id: Int64, name: String?, fields: [String: FieldValue?]?,
                              expectedVersion: Int64?) throws -> Profile {
        try write { db in
            let current = try Profiles.fetch(db, workspace: workspace, id: id)
            try Profiles.check(current, expectedVersion: expectedVersion)
            var changed = false
            if let name, name != current.name {
                try db.run("UPDATE profiles SET name = ?, name_key = ? WHERE id = ?", [name, name.lowercased(), id])
                try SearchIndex.refresh(db, profileID: id)
                changed = true
            }
            if let fields {
                if try FieldValues.apply(db, workspace: workspace, profileID: id, patch: fields, checkRequired: true) {
                    changed = true
                }
            }
            if changed { try Profiles.bump(db, id: id) }
            return try Profiles.fetch(db, workspace: workspace, id: id)
        }
    }

    /// Permanent. Contacts are detached (their moments stay with them);
    /// notes and field values go with the profile.
    public func deleteProfile(workspace: String, id: Int64, expectedVersion: Int64?) throws -> ProfileDeletion {
        try write { db in
            let current = try Profiles.fetch(db, workspace: workspace, id: id)
            try Profiles.check(current, expectedVersion: expectedVersion)
            try db.run("UPDATE contacts SET profile_id = NULL WHERE profile_id = ?", [id])
            let detached = db.changesCount
            try db.run("DELETE FROM notes WHERE profile_id = ?", [id])
            let notes = db.changesCount
            try db.run("DELETE FROM field_values WHERE profile_id = ?", [id])
            try db.run("DELETE FROM profiles WHERE id = ?", [id])
            return ProfileDeletion(id: id, detachedContacts: detached, deletedNotes: notes)
        }
    }

    public func attachContact(workspace: String, profileID: Int64, contactID: Int64, move: Bool) throws -> Profile {
        try write { db in
            _ = try Profiles.fetch(db, workspace: workspace, id: profileID)
            if try Profiles.attach(db, workspace: workspace, profileID: profileID, contactID: contactID, move: move, bump: true) {
                try SearchIndex.refresh(db, profileID: profileID)
            }
            return try Profiles.fetch(db, workspace: workspace, id: profileID)
        }
    }

    public func detachContact(workspace: String, profileID: Int64, contactID: Int64) throws -> ContactDetachment {
        try write { db in
            _ = try Profiles.fetch(db, workspace: workspace, id: profileID)
            let contact = try Contacts.fetch(db, workspace: workspace, id: contactID)
            guard contact.profileID == profileID else {
                throw DomainError(kind: .notFound, message: "contact \(contactID) is not in profile \(profileID)")
            }
            try Profiles.detach(db, contactID: contactID, from: profileID)
            return ContactDetachment(profileID: profileID, contactID: contactID)
        }
    }

    /// A page of profiles, optionally filtered by a substring of the name
    /// or of any contact's identifier or name.
    public func listProfiles(workspace: String, query rawQuery: String?, sort: ProfileSort, limit: Int,
                             cursor: String?) throws -> Page<Profile> {
        let query = rawQuery.map(SearchIndex.normalizedQuery).flatMap { $0.isEmpty ? nil : $0 }
        var conditions = ["p.workspace = ?"]
        var arguments: StatementArguments = [workspace]
        switch sort {
        case .name:
            if let cursor {
                let parts = try Cursor.decode(cursor, kind: "pn", count: 2)
                guard let id = Int64(parts[1]) else { throw DomainError.invalid("cursor", "is not a cursor returned by this list") }
                conditions.append("(p.name_key, p.id) > (?, ?)")
                arguments += [parts[0], id]
            }
        case .recent:
            if let (updated, id) = try Cursor.pair(cursor, kind: "pr") {
                conditions.append("(p.updated_at, p.id) < (?, ?)")
                arguments += [updated, id]
            }
        }
        let select = "SELECT \(Columns.profile), p.name_key"
        let filter = conditions.joined(separator: " AND ")
        let order = sort == .name ? "p.name_key, p.id" : "p.updated_at DESC, p.id DESC"
        return try read { db in
            var rows: [Row]
            /// Where a bounded walk stopped without filling the page.
            var stoppedAt: (key: DatabaseValue, id: Int64)?
            if let query {
                if query.count < 3 {
                    // No trigrams to look up: walk the sort index, testing
                    // each document. The walk is bounded; when it ends first,
                    // the page is short and its cursor resumes the walk.
                    let walk = try Self.walk(db, query: query, filter: filter, order: order, arguments: arguments,
                                             limit: limit, window: Self.shortWalkWindow, sortKey: sort == .name ? "p.name_key" : "p.updated_at")
                    rows = try Self.rows(db, ids: walk.ids, select: select, order: order)
                    if walk.ids.count <= limit, let last = walk.last, walk.walked == Self.shortWalkWindow { stoppedAt = last }
                } else {
                    rows = try Self.search(db, query: query, select: select, filter: filter, order: order, arguments: arguments,
                                           limit: limit)
                }
            } else {
                rows = try db.rows("\(select) FROM profiles p WHERE \(filter) ORDER BY \(order) LIMIT ?", arguments + [limit + 1])
            }
            let more = rows.count > limit
            if more { rows.removeLast() }
            var items = rows.map(Profile.init(row:))
            let fields = try FieldValues.load(db, profileIDs: items.map(\.id))
            for index in items.indices { items[index].fields = fields[items[index].id] ?? [:] }
            var next: String?
            if more, let last = rows.last {
                next = sort == .name
                    ? Cursor.encode(["pn", last[6], String(last[0] as Int64)])
                    : Cursor.encode(["pr", String(last[5] as Int64), String(last[0] as Int64)])
            } else if let (key, id) = stoppedAt {
                next = sort == .name
                    ? Cursor.encode(["pn", String.fromDatabaseValue(key) ?? "", String(id)])
                    : Cursor.encode(["pr", String(Int64.fromDatabaseValue(key) ?? 0), String(id)])
            }
            return Page(items: items, nextCursor: next)
        }
    }

    /// A page of a search of three or more characters. The trigram index
    /// finds a rare term's matches at once, but a frequent term has
    /// thousands, and sorting them all for one page is slow. So: ask the
    /// index for a few candidates first; if there are only a few, sort
    /// those. Otherwise the term is frequent, and walking the sort index
    /// (which carries each document) fills a page within few rows.
    static func search(_ db: Database, query: String, select: String, filter: String, order: String,
                       arguments: StatementArguments, limit: Int) throws -> [Row] {
        let term = SearchIndex.indexTerm(query)
        let phrase = SearchIndex.phrase(term)
        let candidates = try Int.fetchOne(db.cachedStatement(sql: """
            SELECT count(*) FROM (SELECT rowid FROM profile_search WHERE profile_search MATCH ? LIMIT \(fewCandidates))
            """), arguments: [phrase]) ?? 0
        if candidates >= fewCandidates {
            let walked = try walk(db, query: query, filter: filter, order: order, arguments: arguments, limit: limit,
                                  window: walkWindow, sortKey: "p.id")
            // A full page, or the end of the list: the answer is complete.
            if walked.ids.count > limit || walked.walked < walkWindow {
                return try rows(db, ids: walked.ids, select: select, order: order)
            }
        }
        let recheck = term == query ? "" : "AND instr(p.search_doc, ?) > 0"
        return try db.rows("""
            \(select) FROM profiles p WHERE \(filter) \(recheck)
            AND p.id IN (SELECT rowid FROM profile_search WHERE profile_search MATCH ?)
            ORDER BY \(order) LIMIT ?
            """, arguments + (term == query ? [] : [query]) + [phrase, limit + 1])
    }

    /// Walks the sort index in page order, testing each document, until
    /// `limit + 1` match or `window` rows were tested. Only index columns
    /// are read (id, sort key, search_doc), so the walk never leaves the
    /// index. Returns the matching ids and the last row tested.
    static func walk(_ db: Database, query: String, filter: String, order: String, arguments: StatementArguments, limit: Int,
                     window: Int, sortKey: String) throws -> (ids: [Int64], walked: Int, last: (key: DatabaseValue, id: Int64)?) {
        var ids: [Int64] = []
        var walked = 0
        var last: (DatabaseValue, Int64)?
        let cursor = try Row.fetchCursor(db.cachedStatement(sql: """
            SELECT p.id, \(sortKey), instr(p.search_doc, ?) > 0 FROM profiles p WHERE \(filter) ORDER BY \(order) LIMIT \(window)
            """), arguments: [query] + arguments)
        while ids.count <= limit, let row = try cursor.next() {
            walked += 1
            last = (row[1], row[0])
            if row[2] as Bool { ids.append(row[0]) }
        }
        return (ids, walked, last)
    }

    /// Whole rows for the ids of a page, in page order.
    static func rows(_ db: Database, ids: [Int64], select: String, order: String) throws -> [Row] {
        guard !ids.isEmpty else { return [] }
        let marks = Array(repeating: "?", count: ids.count).joined(separator: ",")
        return try Row.fetchAll(db, sql: "\(select) FROM profiles p WHERE p.id IN (\(marks)) ORDER BY \(order)",
                                arguments: StatementArguments(ids))
    }

    /// How many profiles a query under three characters tests for one
    /// page, at most; a rarer one gets a short page that resumes later.
    static let shortWalkWindow = 20_000

    /// Fewer index matches than this are sorted directly.
    static let fewCandidates = 2_000
    /// How far a frequent term's search walks the sort index before it
    /// falls back to sorting every match.
    static let walkWindow = 100_000
}

/// Shared steps of profile writes, inside a transaction.
enum Profiles {
    static func fetch(_ db: Database, workspace: String, id: Int64) throws -> Profile {
        guard let row = try db.row("SELECT \(Columns.profile) FROM profiles p WHERE p.id = ? AND p.workspace = ?", [id, workspace])
        else { throw DomainError.notFound("profile", id) }
        var profile = Profile(row: row)
        profile.fields = try FieldValues.load(db, profileID: id)
        return profile
    }

    static func check(_ profile: Profile, expectedVersion: Int64?) throws {
        if let expectedVersion, expectedVersion != profile.version {
            throw DomainError.versionMismatch(entity: "profile", id: profile.id, expected: expectedVersion, current: profile.version)
        }
    }

    /// One more version, and a new `updated_at`.
    static func bump(_ db: Database, id: Int64, contactDelta: Int = 0) throws {
        try db.run("UPDATE profiles SET version = version + 1, updated_at = ?, contact_count = contact_count + ? WHERE id = ?",
                   [Timestamp.now().milliseconds, contactDelta, id])
    }

    /// Attaches a contact; returns false when it already was attached here.
    /// A contact of another profile is a conflict unless `move`.
    @discardableResult
    static func attach(_ db: Database, workspace: String, profileID: Int64, contactID: Int64, move: Bool, bump: Bool) throws -> Bool {
        let contact = try Contacts.fetch(db, workspace: workspace, id: contactID)
        if contact.profileID == profileID { return false }
        if let other = contact.profileID {
            guard move else {
                throw DomainError.conflict("contact \(contactID) belongs to profile \(other); pass move: true to move it",
                                           reason: "contact_in_other_profile", details: ["profile_id": .int(other)])
            }
            try detach(db, contactID: contactID, from: other)
        }
        try db.run("UPDATE contacts SET profile_id = ? WHERE id = ?", [profileID, contactID])
        if bump {
            try self.bump(db, id: profileID, contactDelta: 1)
        } else {
            try db.run("UPDATE profiles SET contact_count = contact_count + 1 WHERE id = ?", [profileID])
        }
        return true
    }

    static func detach(_ db: Database, contactID: Int64, from profileID: Int64) throws {
        try db.run("UPDATE contacts SET profile_id = NULL WHERE id = ?", [contactID])
        try bump(db, id: profileID, contactDelta: -1)
        try SearchIndex.refresh(db, profileID: profileID)
    }
}
