import ProfilesStore
import GRDB
import ProfilesDomain

extension ProfilesDatabase {
    public func createProfile(workspace: String, name: String, fields: [String: FieldValue?], region: String? = nil,
                              contactIDs: [Int64], contacts: [ContactDraft] = [], move: Bool) throws -> Profile {
        try write { db in
            let now = Timestamp.now().milliseconds
            // Inserted with its document (the name alone), so a profile
            // without contacts is written once, not inserted then updated.
            try db.run("""
                INSERT INTO profiles(workspace, name, name_key, version, contact_count, created_at, updated_at, search_doc)
                VALUES (?, ?, ?, 1, 0, ?, ?, ?)
                """, [workspace, name, name.lowercased(), now, now, SearchIndex.document([name])])
            let id = db.lastInsertedRowID
            try FieldValues.apply(db, workspace: workspace, profileID: id, patch: fields, region: region, checkRequired: true)
            // Field values, which the definitions normalize, are loaded
            // only when some were set.
            let values = fields.values.contains(where: { $0 != nil }) ? try FieldValues.load(db, profileID: id) : [:]
            try ProfileHistory.record(db, profileID: id, .created(name: name, fields: values))
            var attached = 0
            for contactID in contactIDs {
                if try Profiles.attach(db, workspace: workspace, profileID: id, contactID: contactID, move: move, bump: false) {
                    attached += 1
                }
            }
            for draft in contacts {
                let contactID = try Contacts.upsertForProfile(db, workspace: workspace, draft, profileID: id, move: move)
                if try Profiles.attach(db, workspace: workspace, profileID: id, contactID: contactID, move: move, bump: false) {
                    attached += 1
                }
            }
            if attached > 0 { try SearchIndex.refresh(db, profileID: id) }
            // The answer is the row as written (attaching here counts
            // contacts but bumps neither version nor updated_at), not read
            // back; only field values, loaded above.
            return Profile(id: id, name: name, fields: values, contactCount: attached, version: 1,
                           createdAt: Timestamp(milliseconds: now), updatedAt: Timestamp(milliseconds: now))
        }
    }

    public func profile(workspace: String, id: Int64, include: Set<ProfileInclude>) throws -> ProfileDetail {
        // The profile alone is one statement: no transaction needed.
        if include.isEmpty {
            return ProfileDetail(profile: try readStatement { db in try Profiles.fetch(db, workspace: workspace, id: id) })
        }
        return try read { db in
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

    public func updateProfile(workspace: String, id: Int64, name: String?, fields: [String: FieldValue?]?, region: String? = nil,
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
                if try FieldValues.apply(db, workspace: workspace, profileID: id, patch: fields, region: region, checkRequired: true) {
                    changed = true
                }
            }
            // Unchanged, the profile is still the one read above.
            guard changed else { return current }
            try Profiles.bump(db, id: id)
            let updated = try Profiles.fetch(db, workspace: workspace, id: id)
            try ProfileHistory.record(db, profileID: id, .difference(from: current, to: updated))
            return updated
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
            let current = try Profiles.fetch(db, workspace: workspace, id: profileID)
            // Already attached here: nothing changed, the answer is the
            // profile read above.
            guard try Profiles.attach(db, workspace: workspace, profileID: profileID, contactID: contactID, move: move, bump: true)
            else { return current }
            try SearchIndex.refresh(db, profileID: profileID)
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
            try Profiles.detach(db, contact, from: profileID)
            return ContactDetachment(profileID: profileID, contactID: contactID)
        }
    }

    /// A page of profiles, optionally filtered by a substring of the name
    /// or of any contact's identifier or name.
    public func listProfiles(workspace: String, query rawQuery: String?, filter terms: ProfileFilter.Terms?, sort: ProfileSort,
                             limit: Int, cursor: String?) throws -> Page<Profile> {
        // The definitions as field.list reads them (FieldListCache, renewed
        // when a field write commits).
        let fieldFilter = try terms.map { try ProfileFilter(terms: $0, definitions: try listFields(workspace: workspace).items) }
        let query = rawQuery.map(SearchIndex.normalizedQuery).flatMap { $0.isEmpty ? nil : $0 }
        let scope = Cursor.profileListScope(query: query, filter: fieldFilter)
        var conditions = ["p.workspace = ?"]
        /// The same conditions on a field value's copy of the sort keys.
        var valueConditions = ["fv.workspace = ?"]
        var arguments: StatementArguments = [workspace]
        /// The name-order cursor, as a key and id.
        var nameAfter: (key: String, id: Int64)?
        switch sort {
        case .name:
            if let cursor {
                let parts = try Cursor.decode(cursor, kind: "pn", scope: scope, count: 2)
                guard let id = Int64(parts[1]) else { throw Cursor.notOurs }
                conditions.append("(p.name_key, p.id) > (?, ?)")
                valueConditions.append("(fv.name_key, fv.profile_id) > (?, ?)")
                arguments += [parts[0], id]
                nameAfter = (parts[0], id)
            }
        case .recent:
            if let (updated, id) = try Cursor.pair(cursor, kind: "pr", scope: scope) {
                conditions.append("(p.updated_at, p.id) < (?, ?)")
                valueConditions.append("(fv.updated_at, fv.profile_id) < (?, ?)")
                arguments += [updated, id]
            }
        }
        // Every way to a page finds its ids; `ListedProfiles` reads them.
        let select = "SELECT p.id"
        let filter = conditions.joined(separator: " AND ")
        let order = sort == .name ? "p.name_key, p.id" : "p.updated_at DESC, p.id DESC"
        // The field filter, as conditions on the walked id (`id`) and on a
        // profile row (`p.id`).
        let none: (sql: String, arguments: StatementArguments) = ("", [])
        let onWalked = fieldFilter.map { FilterSQL.predicate($0, id: "id") } ?? none
        let onRow = fieldFilter.map { FilterSQL.predicate($0, id: "p.id") } ?? none
        return try read { db in
            var ids: [Int64]
            /// Where a bounded walk stopped without filling the page.
            var stoppedAt: (key: DatabaseValue, id: Int64)?
            if query == nil, let fieldFilter,
               let ordered = try Self.valueOrderedPage(db, fieldFilter, conditions: valueConditions.joined(separator: " AND "),
                                                       arguments: arguments, byName: sort == .name, limit: limit) {
                // An equality, through the index of its values in the
                // list's order.
                ids = ordered
            } else if fieldFilter != nil, query == nil,
               let walked = try Self.filteredWalk(db, select: select, filter: filter, order: order,
                                                  arguments: arguments, test: onRow, limit: limit) {
                // A frequent match: the page filled within the first
                // profiles of the sort order.
                ids = walked
            } else if let fieldFilter, let few = try Self.fewFiltered(db, fieldFilter, workspace: workspace) {
                // A selective filter: its few profiles, tested and sorted.
                var conditions = "\(filter) AND p.id IN (\(Array(repeating: "?", count: few.count).joined(separator: ",")))\(onRow.sql)"
                var all = arguments + StatementArguments(few) + onRow.arguments
                if let query {
                    conditions += " AND instr(p.search_doc, ?) > 0"
                    all += [query]
                }
                ids = try Int64.fetchAll(db, sql: "\(select) FROM profiles p WHERE \(conditions) ORDER BY \(order) LIMIT ?",
                                         arguments: all + [limit + 1])
            } else if let query {
                if query.count < 3 {
                    // No trigrams to look up: walk the sort index, testing
                    // each document. The walk is bounded; when it ends first,
                    // the page is short and its cursor resumes the walk.
                    let walk = try Self.walk(db, query: query, filter: filter, order: order, arguments: arguments,
                                             limit: limit, window: Self.shortWalkWindow, sortKey: sort == .name ? "p.name_key" : "p.updated_at",
                                             also: onWalked)
                    ids = walk.ids
                    stoppedAt = walk.stoppedAt
                } else {
                    ids = try Self.search(db, query: query, select: select, filter: filter, order: order, arguments: arguments,
                                           limit: limit, byName: sort == .name ? (workspace, nameAfter) : nil,
                                           also: (onWalked, onRow))
                }
            } else {
                // No query: the sort index, each profile tested against
                // the filter until the page is full.
                ids = try Int64.fetchAll(FilterStatements.statement(db, sql: """
                    \(select) FROM profiles p WHERE \(filter)\(onRow.sql) ORDER BY \(order) LIMIT ?
                    """), arguments: arguments + onRow.arguments + [limit + 1])
            }
            let more = ids.count > limit
            if more { ids.removeLast() }
            let listed = try ListedProfiles.load(db, workspace: workspace, ids: ids)
            var next: String?
            if more, let last = listed.last {
                next = sort == .name
                    ? Cursor.encode(kind: "pn", scope: scope, [last.nameKey, String(last.profile.id)])
                    : Cursor.encode(kind: "pr", scope: scope, [String(last.profile.updatedAt.milliseconds), String(last.profile.id)])
            } else if let (key, id) = stoppedAt {
                next = sort == .name
                    ? Cursor.encode(kind: "pn", scope: scope, [String.fromDatabaseValue(key) ?? "", String(id)])
                    : Cursor.encode(kind: "pr", scope: scope, [String(Int64.fromDatabaseValue(key) ?? 0), String(id)])
            }
            return Page(items: listed.map(\.profile), nextCursor: next)
        }
    }

    /// A page of a search of three or more characters. The trigram index
    /// finds a rare term's matches at once, but a frequent term has
    /// thousands, and sorting them all for one page is slow. So: ask the
    /// index for a few candidates first; if there are only a few, sort
    /// those. Otherwise the term is frequent, and walking the sort index
    /// (which carries each document) fills a page within few rows, unless
    /// the matches cluster late in the order: then, in name order, the
    /// split by name prefix usually answers, and sorting every match is
    /// the last resort. `byName` is the workspace and cursor of a name-
    /// ordered page.
    /// `also`: more conditions (the field filter) on the walked id and on
    /// a profile row; with them the name split is not tried.
    static func search(_ db: Database, query: String, select: String, filter: String, order: String,
                       arguments: StatementArguments, limit: Int,
                       byName: (workspace: String, after: (key: String, id: Int64)?)?,
                       also: (walked: (sql: String, arguments: StatementArguments),
                              row: (sql: String, arguments: StatementArguments))) throws -> [Int64] {
        let term = SearchIndex.indexTerm(query)
        let phrase = SearchIndex.phrase(term)
        if try countMatches(db, phrase) >= fewCandidates {
            for window in walkWindows {
                let walked = try walk(db, query: query, filter: filter, order: order, arguments: arguments, limit: limit,
                                      window: window, sortKey: "p.id", also: also.walked)
                // A full page, or the end of the list: the answer is complete.
                if walked.stoppedAt == nil { return walked.ids }
                // After the short walk: a cluster of names that begin with
                // the query is split off before walking further.
                if window == walkWindows[0], let byName, term == query, also.row.sql.isEmpty,
                   let ids = try nameSplit(db, query: query, workspace: byName.workspace, after: byName.after,
                                           filter: filter, arguments: arguments, limit: limit) {
                    return ids
                }
            }
        }
        let recheck = term == query ? "" : "AND instr(p.search_doc, ?) > 0"
        return try Int64.fetchAll(FilterStatements.statement(db, sql: """
            \(select) FROM profiles p WHERE \(filter) \(recheck)\(also.row.sql)
            AND p.id IN (SELECT rowid FROM profile_search WHERE profile_search MATCH ?)
            ORDER BY \(order) LIMIT ?
            """), arguments: arguments + (term == query ? [] : [query]) + also.row.arguments + [phrase, limit + 1])
    }

    /// How many documents match an FTS5 expression, counting up to
    /// `fewCandidates`.
    static func countMatches(_ db: Database, _ expression: String) throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: """
            SELECT count(*) FROM (SELECT rowid FROM profile_search WHERE profile_search MATCH ? LIMIT \(fewCandidates))
            """), arguments: [expression]) ?? 0
    }

    /// A name-ordered page of a frequent term whose matches cluster, as
    /// the ids of up to `limit + 1` profiles, or nil when the matches do
    /// not split. Clusters in name order come from names that begin alike:
    /// `sophie` or `phie` → every "Sophie …". A sample of matches names the
    /// clusters, as prefixes that end with the query ("sophie"). A document
    /// starts with its profile's lower-cased name, so a cluster's matches
    /// are the FTS5 initial-phrase matches `^"prefix"`, and they sit
    /// together in the name index from the prefix on: a short walk there
    /// finds their first page. The other matches (`"query" NOT ^"prefix"`)
    /// must be few, and are sorted.
    static func nameSplit(_ db: Database, query: String, workspace: String, after: (key: String, id: Int64)?,
                          filter: String, arguments: StatementArguments, limit: Int) throws -> [Int64]? {
        // A line break would let a match span the name and a contact.
        guard !query.contains("\n") else { return nil }
        let phrase = SearchIndex.phrase(query)
        let sample = try String.fetchAll(db.cachedStatement(sql: """
            SELECT p.name_key FROM profiles p
            WHERE p.id IN (SELECT rowid FROM profile_search WHERE profile_search MATCH ? LIMIT \(clusterSample))
            """), arguments: [phrase])
        let prefixes = clusterPrefixes(names: sample, query: query)
        guard !prefixes.isEmpty else { return nil }
        let others = try Int64.fetchAll(db.cachedStatement(sql: """
            SELECT rowid FROM profile_search WHERE profile_search MATCH ? LIMIT \(fewCandidates)
            """), arguments: [([phrase] + prefixes.map { "^" + SearchIndex.phrase($0) }).joined(separator: " NOT ")])
        guard others.count < fewCandidates else { return nil }
        var matches: [(key: String, id: Int64)] = []
        let walk = try db.cachedStatement(sql: """
            SELECT p.id, p.name_key FROM profiles p WHERE p.workspace = ? AND (p.name_key, p.id) > (?, ?)
            ORDER BY p.name_key, p.id LIMIT ?
            """)
        for prefix in prefixes {
            var start = (key: prefix, id: Int64.min)
            if let after, !after.key.utf8.lexicographicallyPrecedes(prefix.utf8) { start = after }
            let rows = try Row.fetchCursor(walk, arguments: [workspace, start.key, start.id, limit + 1])
            while let row = try rows.next() {
                let key: String = row[1]
                guard key.utf8.starts(with: prefix.utf8) else { break }
                matches.append((key, row[0]))
            }
        }
        if !others.isEmpty {
            let marks = Array(repeating: "?", count: others.count).joined(separator: ",")
            for row in try Row.fetchAll(db, sql: """
                SELECT p.id, p.name_key FROM profiles p WHERE \(filter) AND p.id IN (\(marks))
                ORDER BY p.name_key, p.id LIMIT ?
                """, arguments: arguments + StatementArguments(others) + [limit + 1]) {
                matches.append((row[1], row[0]))
            }
        }
        // SQLite orders text by its bytes; so does this.
        matches.sort { $0.key.utf8.elementsEqual($1.key.utf8) ? $0.id < $1.id : $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        return matches.prefix(limit + 1).map(\.id)
    }

    /// The clusters among sampled names: each name cut after the query's
    /// first occurrence, kept when at least two names share the cut, at
    /// most `maxClusters` of them, none the prefix of another (its range
    /// holds the other's). Compared as bytes, as SQLite compares.
    static func clusterPrefixes(names: [String], query: String) -> [String] {
        let needle = Array(query.utf8)
        var counts: [[UInt8]: Int] = [:]
        for name in names {
            let bytes = Array(name.utf8)
            guard bytes.count >= needle.count else { continue }
            if let at = (0...(bytes.count - needle.count)).first(where: { bytes[$0..<($0 + needle.count)].elementsEqual(needle) }) {
                counts[Array(bytes[..<(at + needle.count)]), default: 0] += 1
            }
        }
        var chosen: [[UInt8]] = []
        for (prefix, _) in counts.filter({ $0.value >= 2 }).sorted(by: { $0.value > $1.value }).prefix(maxClusters) {
            chosen.removeAll { $0.starts(with: prefix) }
            if !chosen.contains(where: { prefix.starts(with: $0) }) { chosen.append(prefix) }
        }
        return chosen.map { String(decoding: $0, as: UTF8.self) }
    }

    /// Walks the sort index in page order, testing each document, until
    /// `limit + 1` match or `window` rows were tested. Only index columns
    /// are read (id, sort key, search_doc), so the walk never leaves the
    /// index, and the test runs inside SQLite (a row stepped into Swift
    /// costs three times as much). Returns the matching ids, and where the
    /// walk stopped when the window ended before the page was full: nil
    /// means the answer is complete.
    static func walk(_ db: Database, query: String, filter: String, order: String, arguments: StatementArguments, limit: Int,
                     window: Int, sortKey: String,
                     also: (sql: String, arguments: StatementArguments)) throws -> (ids: [Int64], stoppedAt: (key: DatabaseValue, id: Int64)?) {
        let sql = """
            SELECT id FROM (SELECT p.id AS id, p.search_doc AS doc FROM profiles p WHERE \(filter) ORDER BY \(order) LIMIT \(window))
            WHERE instr(doc, ?) > 0\(also.sql) LIMIT ?
            """
        let statement = try FilterStatements.statement(db, sql: sql)
        let ids = try Int64.fetchAll(statement, arguments: arguments + [query] + also.arguments + [limit + 1])
        guard ids.count <= limit else { return (ids, nil) }
        // The page is short: either the list ended within the window, or
        // the window's last row is where a next page resumes.
        guard let last = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT p.id, \(sortKey) FROM profiles p WHERE \(filter) ORDER BY \(order) LIMIT 1 OFFSET \(window - 1)
            """), arguments: arguments) else { return (ids, nil) }
        return (ids, (last[1], last[0]))
    }

    /// A filter without a query, tried first: the first `4 × (limit + 1)`
    /// profiles of the sort order, each tested, give the page when it
    /// fills among them (a filter that at least a quarter of the profiles
    /// meet, spread through the order; half fill a page of 50 within
    /// ~100), or when the list ends there. Nil otherwise: the filter is
    /// rare this early in the order, and its candidates are looked up by
    /// value instead (`fewFiltered`). Checking selectivity first cost
    /// every frequent filter a read of 2,000 candidate ids.
    static func filteredWalk(_ db: Database, select: String, filter: String, order: String, arguments: StatementArguments,
                             test: (sql: String, arguments: StatementArguments), limit: Int) throws -> [Int64]? {
        // The test as a column (`1 AND EXISTS (…) …`) of the bounded walk,
        // the passing ids kept: one statement over the sort index alone
        // (the test reads field_values), the ids that fail never reach
        // Swift.
        let window = 4 * (limit + 1)
        let ids = try Int64.fetchAll(FilterStatements.statement(db, sql: """
            SELECT id FROM (\(select) AS id, (1\(test.sql)) AS pass FROM profiles p WHERE \(filter) ORDER BY \(order)
                            LIMIT \(window))
            WHERE pass LIMIT ?
            """), arguments: test.arguments + arguments + [limit + 1])
        if ids.count > limit { return ids }
        // A short page is the answer only if the list ended within the window.
        let longer = try Bool.fetchOne(db.cachedStatement(sql: """
            SELECT 1 FROM profiles p WHERE \(filter) ORDER BY \(order) LIMIT 1 OFFSET ?
            """), arguments: arguments + [window - 1]) ?? false
        return longer ? nil : ids
    }

    /// A page of a filter with an equality (`{"plan": "pro"}`) through
    /// the index of that field's values in the list's order
    /// (`field_values_by_name` / `_by_recent`, migration v8): as fast as
    /// a plain page, however many profiles have the value. The filter's
    /// other conditions are tested on the first `4 × (limit + 1)` values;
    /// nil when the page does not fill among them (a rare combination:
    /// the other ways find it), or when no condition is an equality.
    static func valueOrderedPage(_ db: Database, _ filter: ProfileFilter, conditions: String, arguments: StatementArguments,
                                 byName: Bool, limit: Int) throws -> [Int64]? {
        guard let index = filter.conditions.firstIndex(where: { if case .equals = $0.test { true } else { false } }),
              case .equals(let value) = filter.conditions[index].test else { return nil }
        var others = filter.conditions
        others.remove(at: index)
        let test = FilterSQL.predicate(others, id: "fv.profile_id")
        let order = byName ? "fv.name_key, fv.profile_id" : "fv.updated_at DESC, fv.profile_id DESC"
        let values = "\(conditions) AND fv.key = ? AND fv.value = ?"
        let valueArguments = arguments + [filter.conditions[index].key, FieldValues.databaseValue(value)]
        let window = 4 * (limit + 1)
        let ids = try Int64.fetchAll(FilterStatements.statement(db, sql: """
            SELECT id FROM (SELECT fv.profile_id AS id, (1\(test.sql)) AS pass FROM field_values fv
                            WHERE \(values) ORDER BY \(order) LIMIT \(window))
            WHERE pass LIMIT ?
            """), arguments: test.arguments + valueArguments + [limit + 1])
        if ids.count > limit || others.isEmpty { return ids }
        // A short page is the answer only if the values ended within the window.
        let longer = try Bool.fetchOne(FilterStatements.statement(db, sql: """
            SELECT 1 FROM field_values fv WHERE \(values) ORDER BY \(order) LIMIT 1 OFFSET ?
            """), arguments: valueArguments + [window - 1]) ?? false
        return longer ? nil : ids
    }

    /// The profiles one field's conditions select, when they are
    /// fewer than `fewCandidates` (a selective filter: sorting them is
    /// cheap); nil otherwise (a frequent value: walking the sort index
    /// fills a page soon).
    static func fewFiltered(_ db: Database, _ filter: ProfileFilter, workspace: String) throws -> [Int64]? {
        for group in filter.indexedGroups {
            let ids = try FilterSQL.candidates(db, group, workspace: workspace, limit: fewCandidates)
            if ids.count < fewCandidates { return ids }
        }
        return nil
    }

    /// How many profiles a query under three characters tests for one
    /// page, at most; a rarer one gets a short page that resumes later.
    static let shortWalkWindow = 20_000

    /// Fewer index matches than this are sorted directly.
    static let fewCandidates = 2_000
    /// How far a frequent term's search walks the sort index: a short walk
    /// fills the page of a term spread through the order; a longer one
    /// reaches a term clustered a little way in (a last name within the
    /// first name "Anna"). Past that, every match is sorted. The longer
    /// walk starts again from the top, re-testing the short walk's rows,
    /// which is simpler than resuming and costs ~2 ms.
    static let walkWindows = [5_000, 40_000]
    /// How many matches name the clusters of a frequent term, and how many
    /// clusters are split off at most.
    static let clusterSample = 64
    static let maxClusters = 4
}

/// Shared steps of profile writes, inside a transaction.
enum Profiles {
    /// The profile and its field values in ONE statement (so one snapshot,
    /// also outside a transaction): a row per field value, or one row with
    /// NULL field columns when it has none. A value whose definition is
    /// gone has a NULL type and is skipped.
    static func fetch(_ db: Database, workspace: String, id: Int64) throws -> Profile {
        let rows = try Row.fetchCursor(db.cachedStatement(sql: """
            SELECT \(Columns.profile), v.key, v.value, d.type FROM profiles p
            LEFT JOIN field_values v ON v.profile_id = p.id
            LEFT JOIN field_definitions d ON d.workspace = v.workspace AND d.key = v.key
            WHERE p.id = ? AND p.workspace = ?
            """), arguments: [id, workspace])
        guard let first = try rows.next() else { throw DomainError.notFound("profile", id) }
        var profile = Profile(row: first)
        var row: Row? = first
        while let current = row {
            if let key = current[6] as String?, let type = current[8] as String? {
                profile.fields[key] = FieldValues.decode(current[7], type: type)
            }
            row = try rows.next()
        }
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
            try detach(db, contact, from: other, movedTo: profileID)
        }
        try db.run("UPDATE contacts SET profile_id = ? WHERE id = ?", [profileID, contactID])
        try ProfileHistory.record(db, profileID: profileID,
                                  HistoryChanges(contacts: [.init(.attached, contact, fromProfileID: contact.profileID)]))
        if bump {
            try self.bump(db, id: profileID, contactDelta: 1)
        } else {
            try db.run("UPDATE profiles SET contact_count = contact_count + 1 WHERE id = ?", [profileID])
        }
        return true
    }

    /// `movedTo`: the profile it is attached to next, in the same write.
    static func detach(_ db: Database, _ contact: Contact, from profileID: Int64, movedTo: Int64? = nil) throws {
        try db.run("UPDATE contacts SET profile_id = NULL WHERE id = ?", [contact.id])
        try ProfileHistory.record(db, profileID: profileID, HistoryChanges(contacts: [.init(.detached, contact, toProfileID: movedTo)]))
        try bump(db, id: profileID, contactDelta: -1)
        try SearchIndex.refresh(db, profileID: profileID)
    }
}
