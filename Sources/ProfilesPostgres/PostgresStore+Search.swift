import Foundation
import Logging
import PostgresNIO
import ProfilesDomain
import ProfilesStore

/// profile.list, as SQLite's `listProfiles`: the same matches, order and
/// cursors. A query matches a profile when it is a substring of the
/// profile's search document (its lower-cased name, and its contacts'
/// identifiers and names); a field filter (`PGFilter`) must hold too.
/// Without a query, a page is usually one statement, profiles and values
/// together (`PGPage`): the plain list, a filter's equality through its
/// values in the list's order (`PGFilter.orderedPage`, migration v7), or a
/// filter's walk of the first profiles. A selective filter's few profiles
/// are sorted at once. Otherwise a query
/// under three characters walks the sort order with SQLite's bound
/// (`shortWalkWindow`), so its pages (short ones included) and cursors are
/// SQLite's; a longer one walks `frequentWalkWindow` rows (index-only, on
/// `search_head`) and, when that does not fill the page, sorts every match
/// that pg_trgm's GIN index (`profiles_search`) finds for its `LIKE`.
extension PostgresStore {
    public func listProfiles(workspace: String, query: String?, filter terms: ProfileFilter.Terms?, sort: ProfileSort,
                             limit: Int, cursor: String?) async throws -> Page<Profile> {
        guard let terms else {
            return try await listProfiles(workspace: workspace, query: query, filter: nil, fingerprint: nil, sort: sort,
                                          limit: limit, cursor: cursor)!
        }
        // The filter is checked against the definitions this node read
        // last (`FilterDefinitions`), and the page's statement says whether
        // they are still the workspace's; if not, or if the check fails,
        // they are read again. After three readings in a row (a workspace
        // whose fields change faster than its pages are read), the filter
        // is checked as before this cache, against definitions read just
        // before the page.
        var entry = filterDefinitions.cached(workspace)
        for _ in 0..<3 {
            let fresh = entry == nil
            let current: FilterDefinitions.Entry
            if let entry { current = entry } else { current = try await loadFilterDefinitions(workspace) }
            // A check that fails on definitions read earlier may pass on
            // the current ones: only a failure on fresh ones is the answer.
            guard let filter = try? ProfileFilter(terms: terms, definitions: current.definitions) else {
                if fresh { _ = try ProfileFilter(terms: terms, definitions: current.definitions) }
                entry = nil
                continue
            }
            if let page = try await listProfiles(workspace: workspace, query: query, filter: filter,
                                                 fingerprint: current.fingerprint, sort: sort, limit: limit, cursor: cursor) {
                return page
            }
            entry = nil
        }
        let filter = try ProfileFilter(terms: terms, definitions: try await loadFilterDefinitions(workspace).definitions)
        return try await listProfiles(workspace: workspace, query: query, filter: filter, fingerprint: nil, sort: sort,
                                      limit: limit, cursor: cursor)!
    }

    private func loadFilterDefinitions(_ workspace: String) async throws -> FilterDefinitions.Entry {
        try await read { [filterDefinitions, logger] connection in
            try await filterDefinitions.load(connection, workspace: workspace, logger: logger)
        }
    }

    /// The page, or nil when `fingerprint` is not the workspace's
    /// definitions' as of the page (the filter was checked against others).
    private func listProfiles(workspace: String, query rawQuery: String?, filter fieldFilter: ProfileFilter?,
                              fingerprint: String?, sort: ProfileSort, limit: Int, cursor: String?) async throws -> Page<Profile>? {
        let query = rawQuery.map(PGSearch.normalizedQuery).flatMap { $0.isEmpty ? nil : $0 }
        let scope = Cursor.profileListScope(query: query, filter: fieldFilter)
        // The cursor's keyset position.
        let nameAfter: (key: String, id: Int64)?
        let recentAfter: (updated: Int64, id: Int64)?
        switch sort {
        case .name:
            recentAfter = nil
            if let cursor {
                let parts = try Cursor.decode(cursor, kind: "pn", scope: scope, count: 2)
                guard let id = Int64(parts[1]), !PGText.holdsNUL(parts[0]) else { throw Cursor.notOurs }
                nameAfter = (parts[0], id)
            } else {
                nameAfter = nil
            }
        case .recent:
            nameAfter = nil
            recentAfter = try Cursor.pair(cursor, kind: "pr", scope: scope).map { (updated: $0.0, id: $0.1) }
        }
        // No document holds a NUL (PGText): such a query matches nothing.
        if let query, PGText.holdsNUL(query) { return Page(items: [], nextCursor: nil) }
        let byName = sort == .name
        let order = byName ? "p.name_key, p.id" : "p.updated_at DESC, p.id DESC"
        let limitPlusOne = Int64(limit + 1)

        /// `head WHERE p.workspace = … AND` the cursor's condition.
        @Sendable func filtered(_ head: String) -> PostgresQuery {
            var q = PostgresQuery(unsafeSQL: head)
            q.sql += " WHERE p.workspace = "
            q.append(workspace)
            q.appendAfter(nameAfter, recentAfter, name: "p.name_key", updated: "p.updated_at", id: "p.id")
            return q
        }
        let select = "SELECT \(PGColumns.profile), p.name_key FROM profiles p"
        let sortKey = byName ? "name_key" : "updated_at"
        /// The first `window` rows in page order whose column `doc` holds
        /// the query, at most `limit + 1`, with whether the row's head is
        /// full (then `search_head` may be cut short of its document). Only
        /// columns of the sort index are read, so with `doc` = `search_head`
        /// it is an index-only scan.
        func walk(window: Int, doc: String) -> PostgresQuery {
            var q = filtered("SELECT id, octet_length(doc) >= \(PostgresMigrations.searchHeadLength) FROM (SELECT p.id AS id, p.\(doc) AS doc, p.\(sortKey) AS \(sortKey) FROM profiles p")
            q.sql += " ORDER BY \(order) LIMIT \(window)) AS p WHERE (strpos(doc, "
            q.append(query ?? "")
            q.sql += ") > 0"
            if doc == "search_head" {
                // octet_length reads the length word; length() would count
                // characters (12 ms over a window of 40,000). A head of
                // 500 characters has at least 500 bytes; the few shorter
                // heads of 500 bytes or more are rechecked needlessly.
                q.sql += " OR octet_length(doc) >= \(PostgresMigrations.searchHeadLength)"
            }
            q.sql += ")"
            if let fieldFilter { PGFilter.appendPredicate(fieldFilter, workspace: workspace, id: "p.id", to: &q) }
            q.sql += " ORDER BY \(order) LIMIT "
            q.append(limitPlusOne)
            return q
        }
        /// The window's last row: where a short page resumes.
        func walkEnd(window: Int) -> PostgresQuery {
            var q = filtered("SELECT p.id, p.\(sortKey) FROM profiles p")
            q.sql += " ORDER BY \(order) LIMIT 1 OFFSET \(window - 1)"
            return q
        }
        let short = query.map { $0.count < 3 } == true
        let window = short ? PGSearch.shortWalkWindow : PGSearch.frequentWalkWindow
        // Only a short query's page stops where the window ends; a longer
        // one whose walk found too few sorts every match instead.
        let walks = PGWalk(head: walk(window: window, doc: "search_head"), whole: walk(window: window, doc: "search_doc"),
                           end: short ? walkEnd(window: window) : nil, byName: byName)
        // Every match, sorted: LIKE with the query's wildcards escaped,
        // which pg_trgm's index answers (LIKE on a "C" column compares
        // bytes, as SQLite's instr and FTS5's trigrams do). OFFSET 0 fences
        // the matches off, so the planner sorts them instead of walking the
        // sort index past every profile that does not match (2.9 s for a
        // frequent name late in name order, 35 ms sorted).
        var search = filtered("SELECT * FROM profiles p")
        if let query {
            search.sql += " AND p.search_doc LIKE "
            search.append(PGSearch.likePattern(query))
        }
        if let fieldFilter { PGFilter.appendPredicate(fieldFilter, workspace: workspace, id: "p.id", to: &search) }
        search.sql = "SELECT \(PGColumns.profile), p.name_key FROM (\(search.sql) OFFSET 0) AS p ORDER BY \(order) LIMIT "
        search.append(limitPlusOne)
        // A plain list walks the sort index (testing each profile against
        // the filter, if any, until the page is full).
        var plain = filtered(select)
        if let fieldFilter { PGFilter.appendPredicate(fieldFilter, workspace: workspace, id: "p.id", to: &plain) }
        plain.sql += " ORDER BY \(order) LIMIT "
        plain.append(limitPlusOne)
        // A filter without a query, tried first (as SQLite's
        // `filteredWalk`): the first 4 × (limit + 1) profiles of the sort
        // order, tested; a full page, or the end of the list within them,
        // is the answer. Otherwise the filter is rare this early, and its
        // candidates are looked up by value (`fewProfiles`).
        let filterWindow = 4 * (limit + 1)
        var filterWalk = filtered("SELECT * FROM profiles p")
        filterWalk.sql = "SELECT \(PGColumns.profile), p.name_key FROM (\(filterWalk.sql) ORDER BY \(order) LIMIT \(filterWindow)) AS p WHERE TRUE"
        if let fieldFilter { PGFilter.appendPredicate(fieldFilter, workspace: workspace, id: "p.id", to: &filterWalk) }
        filterWalk.sql += " ORDER BY \(order) LIMIT "
        filterWalk.append(limitPlusOne)
        let (filterWalkQuery, filterWalkEnd) = (filterWalk, walkEnd(window: filterWindow))
        // A filter with an equality, without a query, tried before that:
        // its values in the list's order (`PGFilter.orderedPage`).
        let ordered = query == nil ? fieldFilter.flatMap {
            PGFilter.orderedPage($0, workspace: workspace, nameAfter: nameAfter, recentAfter: recentAfter, byName: byName,
                                 limit: limit)
        } : nil
        let (searchQuery, plainQuery) = (search, plain)
        /// The page among a selective filter's few profiles (known only
        /// inside the read).
        @Sendable func fewPage(_ ids: [Int64]) -> PostgresQuery {
            var q = filtered(select)
            q.sql += " AND p.id = ANY("
            q.append(ids)
            q.sql += ")"
            if let query {
                q.sql += " AND strpos(p.search_doc, "
                q.append(query)
                q.sql += ") > 0"
            }
            if let fieldFilter { PGFilter.appendPredicate(fieldFilter, workspace: workspace, id: "p.id", to: &q) }
            q.sql += " ORDER BY \(order) LIMIT "
            q.append(limitPlusOne)
            return q
        }

        /// The page of `rows`, at most `limit + 1` in page order.
        @Sendable func page(_ rows: [(profile: Profile, nameKey: String)], stoppedAt: (key: String, id: Int64)?) -> Page<Profile> {
            let more = rows.count > limit
            let shown = more ? rows.dropLast() : rows[...]
            var next: String?
            if more, let last = shown.last {
                next = byName
                    ? Cursor.encode(kind: "pn", scope: scope, [last.nameKey, String(last.profile.id)])
                    : Cursor.encode(kind: "pr", scope: scope, [String(last.profile.updatedAt.milliseconds), String(last.profile.id)])
            } else if let (key, id) = stoppedAt {
                next = Cursor.encode(kind: byName ? "pn" : "pr", scope: scope, [key, String(id)])
            }
            return Page(items: shown.map(\.profile), nextCursor: next)
        }

        // Without a query, the page usually takes ONE statement, outside a
        // transaction (one statement reads one snapshot): the plain list;
        // an equality's values in order (`ordered`); the filter's walk of
        // the first profiles. It is the answer when it fills the page or
        // needs no check of where its window ended. Otherwise (a rare
        // combination, a selective filter without an equality) the
        // snapshot below takes the other ways.
        if query == nil {
            let (first, end) = ordered ?? (fieldFilter == nil ? (plainQuery, nil) : (filterWalkQuery, filterWalkEnd))
            let found = try await read { [logger] connection in
                try await PGPage.read(connection, first, order: order, workspace: workspace, fingerprint: fingerprint != nil,
                                      logger: logger)
            }
            if found.fingerprint != fingerprint { return nil }
            if found.rows.count > limit || end == nil { return page(found.rows, stoppedAt: nil) }
        }
        return try await readSnapshot { [logger] connection in
            if let fingerprint {
                var check = PostgresQuery(unsafeSQL: "SELECT " + FilterDefinitions.fingerprintSQL(workspace: "$1"))
                check.binds.append(workspace)
                if try await connection.row(check, logger)?.decode(String.self) != fingerprint { return nil }
            }
            var rows: [(profile: Profile, nameKey: String)]
            /// Where a bounded walk stopped without filling the page.
            var stoppedAt: (key: String, id: Int64)?
            var walkedRows: [(profile: Profile, nameKey: String)]?
            /// A way that answers when it fills the page, or when its
            /// window ended (`end` finds no row). A way `tried` before the
            /// snapshot did not fill the page: only its end is checked.
            func way(_ page: PostgresQuery, end: PostgresQuery?, tried: Bool) async throws -> [(profile: Profile, nameKey: String)]? {
                if !tried {
                    let found = try await PGPage.profiles(connection, page, order: order, workspace: workspace, logger: logger)
                    guard found.count <= limit, let end else { return found }
                    return try await connection.rows(end, logger).isEmpty ? found : nil
                }
                guard let end, try await connection.rows(end, logger).isEmpty else { return nil }
                return try await PGPage.profiles(connection, page, order: order, workspace: workspace, logger: logger)
            }
            if let ordered {
                walkedRows = try await way(ordered.page, end: ordered.end, tried: query == nil)
            }
            if walkedRows == nil, fieldFilter != nil, query == nil {
                walkedRows = try await way(filterWalkQuery, end: filterWalkEnd, tried: ordered == nil)
            }
            if let walkedRows {
                // A frequent match: the page filled early in the order.
                rows = walkedRows
            } else if let fieldFilter, let few = try await PGFilter.fewProfiles(connection, fieldFilter, workspace: workspace,
                                                                             logger: logger) {
                // A selective filter, as in SQLite: its few profiles,
                // tested and sorted.
                rows = try await PGPage.profiles(connection, fewPage(few), order: order, workspace: workspace, logger: logger)
            } else if let query {
                // As SQLite: a query of under three characters has no
                // trigrams to look up, and walks `shortWalkWindow` rows of
                // the sort order; when the window ends first, the page is
                // short and its cursor resumes the walk. A longer one walks
                // `frequentWalkWindow` rows, which fills the page of a
                // frequent term; otherwise every match is sorted, and the
                // answer is always complete.
                let walked = short || !PGSearch.namesAnIdentifier(query)
                    ? try await walks.run(connection, workspace: workspace, query: query, limit: limit, logger: logger)
                    : (ids: [], stoppedAt: nil)
                if short || walked.ids.count > limit {
                    stoppedAt = walked.stoppedAt
                    rows = walked.ids.isEmpty ? [] : try await PGPage.profiles(connection, """
                        SELECT \(unescaped: PGColumns.profile), p.name_key FROM profiles p
                        WHERE p.workspace = \(workspace) AND p.id = ANY(\(walked.ids)) ORDER BY \(unescaped: order)
                        """, order: order, workspace: workspace, logger: logger)
                } else {
                    rows = try await PGPage.profiles(connection, searchQuery, order: order, workspace: workspace, logger: logger)
                }
            } else {
                rows = try await PGPage.profiles(connection, plainQuery, order: order, workspace: workspace, logger: logger)
            }
            return page(rows, stoppedAt: stoppedAt)
        }
    }
}

/// The search document and query, exactly as SQLite's `SearchIndex`
/// makes them (the two stores must match the same profiles).
enum PGSearch {
    static func document(_ parts: [String]) -> String {
        parts.joined(separator: "\n").lowercased()
    }

    /// The query as it is matched: lower-cased, and a phone number written
    /// with spaces, dashes, dots or parentheses reduced to `+` and digits
    /// (a leading `00` read as `+`, as contacts are stored).
    static func normalizedQuery(_ raw: String) -> String {
        let trimmed = raw.trimmingWhitespace().lowercased()
        let phoneChars = Set("+0123456789 -.()")
        let digits = trimmed.filter(\.isASCII).filter(\.isNumber).count
        if digits >= 3, trimmed.allSatisfy({ phoneChars.contains($0) }) {
            let compact = trimmed.filter { $0 == "+" || $0.isNumber }
            return compact.hasPrefix("00") ? "+" + compact.dropFirst(2) : compact
        }
        return trimmed
    }

    /// Whether a query looks like a contact's identifier (an e-mail
    /// address, a phone number, an id: an `@` or five digits in a row).
    /// Identifiers are nearly unique, so their few matches are sorted at
    /// once, without first walking the sort order for a frequent term's
    /// page (a window of 40,000 rows costs ~10 ms). A guess only: either
    /// way the answer is the same.
    static func namesAnIdentifier(_ query: String) -> Bool {
        if query.contains("@") { return true }
        var run = 0
        for byte in query.utf8 {
            run = (byte >= 0x30 && byte <= 0x39) ? run + 1 : 0
            if run >= 5 { return true }
        }
        return false
    }

    /// `%query%`, with LIKE's wildcards and its escape character escaped.
    static func likePattern(_ query: String) -> String {
        var pattern = "%"
        for character in query {
            if character == "%" || character == "_" || character == "\\" { pattern.append("\\") }
            pattern.append(character)
        }
        return pattern + "%"
    }

    /// How many profiles a query under three characters tests for one
    /// page, at most (SQLite's `shortWalkWindow`).
    static let shortWalkWindow = 20_000
    /// How many profiles a query of three or more characters tests in
    /// page order before its matches are sorted. The walk stops when the
    /// page is full, so a frequent term pays for the rows up to its 51st
    /// match; a term whose matches start late or are rare pays for the
    /// whole window (~10 ms, index-only, at 1M profiles) and then for the
    /// sort. SQLite walks 5,000 rows and then 40,000 from the top again;
    /// here one window of SQLite's longer walk does both.
    static let frequentWalkWindow = 40_000
    /// A filter whose leading condition selects fewer profiles than this
    /// sorts them (SQLite's `fewCandidates`).
    static let fewCandidates = 2_000
}

/// A walk of the sort order's first rows, testing each profile's search
/// document for the query (SQLite's `walk`), as its statements.
struct PGWalk: Sendable {
    /// Tests `search_head`, and returns the rows whose head is full too.
    let head: PostgresQuery
    /// Tests `search_doc`: for when a full head turned out not to match.
    let whole: PostgresQuery
    /// The window's last row, when a short page resumes there.
    let end: PostgresQuery?
    let byName: Bool

    /// The matching ids, at most `limit + 1`, and where the walk stopped
    /// when the window ended first (nil: the list ended within it, the
    /// page is full, or there is no `end`).
    func run(_ connection: PostgresConnection, workspace: String, query: String, limit: Int, logger: Logger) async throws
        -> (ids: [Int64], stoppedAt: (key: String, id: Int64)?) {
        let found = try await connection.rows(head, logger).map { try $0.decode((Int64, Bool).self) }
        var ids = found.map(\.0)
        let full = found.filter(\.1).map(\.0)
        if !full.isEmpty {
            // A head may be cut short of its document: recheck those rows,
            // and if one does not match after all, walk the documents.
            let matching = try await connection.rows("""
                SELECT count(*) FROM profiles WHERE workspace = \(workspace) AND id = ANY(\(full)) AND strpos(search_doc, \(query)) > 0
                """, logger).first?.decode(Int64.self) ?? 0
            if matching < full.count {
                ids = try await connection.rows(whole, logger).map { try $0.decode((Int64, Bool).self).0 }
            }
        }
        // A full page ends the walk; a short one ended with the list, or
        // with the window, whose last row is where the next page resumes.
        guard ids.count <= limit, let end, let row = try await connection.row(end, logger) else { return (ids, nil) }
        if byName {
            let (id, key) = try row.decode((Int64, String).self)
            return (ids, (key, id))
        }
        let (id, updated) = try row.decode((Int64, Int64).self)
        return (ids, (String(updated), id))
    }
}
