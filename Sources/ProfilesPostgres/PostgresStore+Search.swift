import Foundation
import Logging
import PostgresNIO
import ProfilesDomain
import ProfilesStore

/// profile.list, as SQLite's `listProfiles`: the same matches, order and
/// cursors. A query matches a profile when it is a substring of the
/// profile's search document (its lower-cased name, and its contacts'
/// identifiers and names). SQLite finds the matches of three or more
/// characters with FTS5's trigram index, and walks its sort index for
/// shorter ones; here a query of three or more characters is a `LIKE`
/// that pg_trgm's GIN index (`profiles_search`) answers, and a shorter one
/// walks the sort order with SQLite's bound (`shortWalkWindow`), so its
/// pages (short ones included) and cursors are SQLite's.
extension PostgresStore {
    public func listProfiles(workspace: String, query rawQuery: String?, sort: ProfileSort, limit: Int,
                             cursor: String?) async throws -> Page<Profile> {
        let query = rawQuery.map(PGSearch.normalizedQuery).flatMap { $0.isEmpty ? nil : $0 }
        let scope = Cursor.scope(("query", query))
        // The cursor's keyset position.
        var nameAfter: (key: String, id: Int64)?
        var recentAfter: (updated: Int64, id: Int64)?
        switch sort {
        case .name:
            if let cursor {
                let parts = try Cursor.decode(cursor, kind: "pn", scope: scope, count: 2)
                guard let id = Int64(parts[1]), !PGText.holdsNUL(parts[0]) else { throw Cursor.notOurs }
                nameAfter = (parts[0], id)
            }
        case .recent:
            if let (updated, id) = try Cursor.pair(cursor, kind: "pr", scope: scope) { recentAfter = (updated, id) }
        }
        // No document holds a NUL (PGText): such a query matches nothing.
        if let query, PGText.holdsNUL(query) { return Page(items: [], nextCursor: nil) }
        let byName = sort == .name
        let order = byName ? "p.name_key, p.id" : "p.updated_at DESC, p.id DESC"
        let limitPlusOne = Int64(limit + 1)

        /// `head WHERE p.workspace = … AND` the cursor's condition.
        func filtered(_ head: String) -> PostgresQuery {
            var q = PostgresQuery(unsafeSQL: head)
            q.sql += " WHERE p.workspace = "
            q.append(workspace)
            if let nameAfter {
                q.sql += " AND (p.name_key, p.id) > ("
                q.append(nameAfter.key)
                q.sql += ", "
                q.append(nameAfter.id)
                q.sql += ")"
            }
            if let recentAfter {
                q.sql += " AND (p.updated_at, p.id) < ("
                q.append(recentAfter.updated)
                q.sql += ", "
                q.append(recentAfter.id)
                q.sql += ")"
            }
            return q
        }
        let select = "SELECT \(PGColumns.profile), p.name_key FROM profiles p"
        let window = Int64(PGSearch.shortWalkWindow)
        // The statements, built here (the read's closure is @Sendable).
        var walk = filtered("SELECT id, doc FROM (SELECT p.id AS id, p.search_doc AS doc, p.name_key AS name_key, p.updated_at AS updated_at FROM profiles p")
        walk.sql += " ORDER BY \(order) LIMIT \(window)) AS p WHERE strpos(doc, "
        walk.append(query ?? "")
        walk.sql += ") > 0 ORDER BY \(order) LIMIT "
        walk.append(limitPlusOne)
        var walkEnd = filtered("SELECT p.id, p.name_key, p.updated_at FROM profiles p")
        walkEnd.sql += " ORDER BY \(order) LIMIT 1 OFFSET \(window - 1)"
        // LIKE with the query's wildcards escaped: pg_trgm's index finds
        // the candidates, and LIKE on a "C" column compares bytes, as
        // SQLite's instr and FTS5's trigrams do.
        var search = filtered(select)
        if let query {
            search.sql += " AND p.search_doc LIKE "
            search.append(PGSearch.likePattern(query))
        }
        search.sql += " ORDER BY \(order) LIMIT "
        search.append(limitPlusOne)
        let (walkQuery, walkEndQuery, searchQuery) = (walk, walkEnd, search)

        return try await readSnapshot { [logger] connection in
            var rows: [(profile: Profile, nameKey: String)]
            /// Where a bounded walk stopped without filling the page.
            var stoppedAt: (key: String, id: Int64)?
            if let query, query.count < 3 {
                // No trigrams to look up: walk the sort order, testing each
                // document, at most `shortWalkWindow` rows, as SQLite does.
                // When the window ends first, the page is short and its
                // cursor resumes the walk.
                let ids = try await connection.rows(walkQuery, logger).map { try $0.decode(Int64.self) }
                if ids.count <= limit, let row = try await connection.row(walkEndQuery, logger) {
                    let (id, key, updated) = try row.decode((Int64, String, Int64).self)
                    stoppedAt = (byName ? key : String(updated), id)
                }
                rows = ids.isEmpty ? [] : try await PGPage.profiles(connection, """
                    SELECT \(unescaped: PGColumns.profile), p.name_key FROM profiles p
                    WHERE p.workspace = \(workspace) AND p.id = ANY(\(ids)) ORDER BY \(unescaped: order)
                    """, order: order, logger: logger)
            } else {
                rows = try await PGPage.profiles(connection, searchQuery, order: order, logger: logger)
            }
            let more = rows.count > limit
            if more { rows.removeLast() }
            var items = rows.map(\.profile)
            let fields = try await PGFields.load(connection, workspace: workspace, profileIDs: items.map(\.id), logger: logger)
            for index in items.indices { items[index].fields = fields[items[index].id] ?? [:] }
            var next: String?
            if more, let last = rows.last, let item = items.last {
                next = byName
                    ? Cursor.encode(kind: "pn", scope: scope, [last.nameKey, String(item.id)])
                    : Cursor.encode(kind: "pr", scope: scope, [String(item.updatedAt.milliseconds), String(item.id)])
            } else if let (key, id) = stoppedAt {
                next = Cursor.encode(kind: byName ? "pn" : "pr", scope: scope, [key, String(id)])
            }
            return Page(items: items, nextCursor: next)
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
}

/// A page of profiles read as ONE JSON text: postgres-nio decodes each
/// cell through several layers of `ByteBuffer` slicing, which a debug
/// build makes cost ~20 µs a cell, four times SQLite's whole list; one cell
/// per page (parsed by Foundation) keeps profile.list near SQLite's speed.
/// The JSON holds exactly the row's values (text as text, bigint ids and
/// milliseconds below 2^53).
enum PGPage {
    /// `query` selects `PGColumns.profile, p.name_key` ordered by `order`.
    static func profiles(_ connection: PostgresConnection, _ query: PostgresQuery, order: String,
                         logger: Logger) async throws -> [(profile: Profile, nameKey: String)] {
        var wrapped = query
        wrapped.sql = """
            SELECT coalesce(json_agg(json_build_array(p.id, p.name, p.contact_count, p.version, p.created_at, p.updated_at,
                p.name_key) ORDER BY \(order)), '[]')::text FROM (\(query.sql)) AS p
            """
        guard let row = try await connection.row(wrapped, logger) else { return [] }
        let text = try row.decode(String.self)
        guard let array = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[Any]] else {
            throw PostgresStoreError.unsupportedServer("json_agg returned no array")
        }
        return try array.map { values in
            guard values.count == 7, let id = int(values[0]), let name = values[1] as? String, let count = int(values[2]),
                  let version = int(values[3]), let created = int(values[4]), let updated = int(values[5]),
                  let nameKey = values[6] as? String else {
                throw PostgresStoreError.unsupportedServer("json_agg returned a malformed profile row")
            }
            return (Profile(id: id, name: name, fields: [:], contactCount: Int(count), version: version,
                            createdAt: Timestamp(milliseconds: created), updatedAt: Timestamp(milliseconds: updated)), nameKey)
        }
    }

    private static func int(_ value: Any) -> Int64? {
        (value as? NSNumber).map { $0.int64Value }
    }
}
