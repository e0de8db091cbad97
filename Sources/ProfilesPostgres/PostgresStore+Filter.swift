import Logging
import PostgresNIO
import ProfilesDomain

/// `profile.list`'s field filter in PostgreSQL's SQL, as SQLite's
/// `FilterSQL`: the same conditions, on `field_values`' typed columns
/// (`text_value` COLLATE "C", so dates compare as bytes, as in SQLite;
/// `number_value`; `bool_value`), indexed in both sort orders by
/// `field_values_by_{text,number,bool}_{name,recent}` (migration v7; a
/// text value through its `text_prefix`).
enum PGFilter {
    /// How many characters of a text value `text_prefix` holds (frozen in
    /// migration v7's SQL, which spells it out).
    static let textPrefixLength = 200

    /// Appends ` AND …` for every condition, on the profile whose id is
    /// `id` (an SQL expression).
    static func appendPredicate(_ filter: ProfileFilter, workspace: String, id: String, to query: inout PostgresQuery) {
        appendPredicate(filter.conditions, workspace: workspace, id: id, to: &query)
    }

    static func appendPredicate(_ conditions: [ProfileFilter.Condition], workspace: String, id: String,
                                to query: inout PostgresQuery) {
        for condition in conditions {
            query.sql += condition.test.needsValue ? " AND EXISTS (" : " AND NOT EXISTS ("
            query.sql += "SELECT 1 FROM field_values v WHERE v.workspace = "
            query.append(workspace)
            query.sql += " AND v.profile_id = \(id) AND v.key = "
            query.append(condition.key)
            appendValueTest(condition, to: &query)
            query.sql += ")"
        }
    }

    /// The profiles one field's conditions select, when they are fewer
    /// than `PGSearch.fewCandidates` (as SQLite's `fewFiltered`); nil
    /// otherwise.
    static func fewProfiles(_ connection: PostgresConnection, _ filter: ProfileFilter, workspace: String,
                            logger: Logger) async throws -> [Int64]? {
        for group in filter.indexedGroups {
            let ids = try await candidates(connection, group, workspace: workspace, limit: PGSearch.fewCandidates, logger: logger)
            if ids.count < PGSearch.fewCandidates { return ids }
        }
        return nil
    }

    /// Ids of profiles that meet `conditions` (of one field, each needing
    /// a value), at most `limit`.
    static func candidates(_ connection: PostgresConnection, _ conditions: [ProfileFilter.Condition], workspace: String,
                           limit: Int, logger: Logger) async throws -> [Int64] {
        guard let key = conditions.first?.key else { return [] }
        var query = PostgresQuery(unsafeSQL: "SELECT v.profile_id FROM field_values v WHERE v.workspace = ")
        query.append(workspace)
        query.sql += " AND v.key = "
        query.append(key)
        for condition in conditions { appendValueTest(condition, to: &query) }
        query.sql += " LIMIT \(limit)"
        return try await connection.rows(query, logger).map { try $0.decode(Int64.self) }
    }

    /// A filter's page through the index of its first equality's values
    /// in the list's order (as SQLite's `valueOrderedPage`): the values
    /// after the cursor, at most `4 × (limit + 1)` when other conditions
    /// are tested on them, else `limit + 1`; the profiles they belong to.
    /// `page` selects `PGColumns.profile, p.name_key`; `end` is the
    /// window's last value, whose absence, when the page does not fill,
    /// says the values ended within the window (nil: no other condition,
    /// so the page is the answer). Nil when no condition is an equality.
    static func orderedPage(_ filter: ProfileFilter, workspace: String, nameAfter: (key: String, id: Int64)?,
                            recentAfter: (updated: Int64, id: Int64)?, byName: Bool,
                            limit: Int) -> (page: PostgresQuery, end: PostgresQuery?)? {
        guard let index = filter.conditions.firstIndex(where: { if case .equals = $0.test { true } else { false } }) else {
            return nil
        }
        let equality = filter.conditions[index]
        var others = filter.conditions
        others.remove(at: index)
        let window = others.isEmpty ? limit + 1 : 4 * (limit + 1)
        let order = byName ? "v.name_key, v.profile_id" : "v.updated_at DESC, v.profile_id DESC"
        /// The equality's values after the cursor, in the list's order.
        func values(_ select: String) -> PostgresQuery {
            var q = PostgresQuery(unsafeSQL: "SELECT \(select) FROM field_values v WHERE v.workspace = ")
            q.append(workspace)
            q.sql += " AND v.key = "
            q.append(equality.key)
            appendValueTest(equality, to: &q)
            q.appendAfter(nameAfter, recentAfter, name: "v.name_key", updated: "v.updated_at", id: "v.profile_id")
            q.sql += " ORDER BY \(order)"
            return q
        }
        // The ids as an array, not a join: one scan of the primary key for
        // all of them costs less than a nested loop's probe for each.
        var page = values("v.profile_id")
        page.sql = "SELECT \(PGColumns.profile), p.name_key FROM profiles p WHERE p.id = ANY(ARRAY(\(page.sql) LIMIT \(window)))"
        page.sql += " AND p.workspace = "
        page.append(workspace)
        appendPredicate(others, workspace: workspace, id: "p.id", to: &page)
        page.sql += byName ? " ORDER BY p.name_key, p.id" : " ORDER BY p.updated_at DESC, p.id DESC"
        page.sql += " LIMIT \(limit + 1)"
        guard !others.isEmpty else { return (page, nil) }
        var end = values("1")
        end.sql += " LIMIT 1 OFFSET \(window - 1)"
        return (page, end)
    }

    /// ` AND` the test on the value's column; `ne` and `present: false`
    /// test for the value they exclude. A text value is compared through
    /// `text_prefix` (what the indexes hold), and as a whole only when the
    /// bound is as long as the prefix: for a shorter bound the prefix's
    /// comparison is the value's (an equal prefix shorter than 200
    /// characters is the whole value; one that differs differs as the
    /// value does).
    private static func appendValueTest(_ condition: ProfileFilter.Condition, to query: inout PostgresQuery) {
        switch condition.type {
        case .number: appendTest(condition.test, column: "v.number_value", prefixed: false, to: &query)
        case .boolean: appendTest(condition.test, column: "v.bool_value", prefixed: false, to: &query)
        default:
            switch condition.test {
            case .contains:
                appendTest(condition.test, column: "v.text_value", prefixed: false, to: &query)
            default:
                let long = condition.test.bounds.contains { $0.prefixLength >= textPrefixLength }
                appendTest(condition.test, column: "v.text_prefix", prefixed: true, loose: long, to: &query)
                if long { appendTest(condition.test, column: "v.text_value", prefixed: false, to: &query) }
            }
        }
    }

    /// The test on `column`; `prefixed`: `column` holds prefixes, so each
    /// bound is cut to one; `loose`: a strict bound compares loosely (a
    /// value above a long bound may share its prefix; the whole value is
    /// tested after).
    private static func appendTest(_ test: ProfileFilter.Test, column: String, prefixed: Bool, loose: Bool = false,
                                   to query: inout PostgresQuery) {
        func bound(_ value: FieldValue) {
            if prefixed {
                query.sql += "left("
                append(value, to: &query)
                query.sql += ", \(textPrefixLength))"
            } else {
                append(value, to: &query)
            }
        }
        switch test {
        case .equals(let value), .notEquals(let value):
            query.sql += " AND \(column) = "
            bound(value)
        case .oneOf(let values):
            query.sql += " AND \(column) IN ("
            for (index, value) in values.enumerated() {
                if index > 0 { query.sql += ", " }
                bound(value)
            }
            query.sql += ")"
        case .contains(let needle):
            // Lower-cased with the database's collation (as contact.list's
            // query is): "C" itself would fold ASCII only.
            query.sql += " AND strpos(lower(\(column) COLLATE \"default\"), "
            query.append(needle)
            query.sql += ") > 0"
        case .greater(let value, let orEqual):
            query.sql += " AND \(column) \(orEqual || loose ? ">=" : ">") "
            bound(value)
        case .less(let value, let orEqual):
            query.sql += " AND \(column) \(orEqual || loose ? "<=" : "<") "
            bound(value)
        case .present:
            query.sql += " AND \(column) IS NOT NULL"
        }
    }

    private static func append(_ value: FieldValue, to query: inout PostgresQuery) {
        switch value {
        case .string(let s): query.append(s)
        case .number(let n): query.append(n)
        case .bool(let b): query.append(b)
        }
    }
}

private extension ProfileFilter.Test {
    /// The values the test compares with.
    var bounds: [FieldValue] {
        switch self {
        case .equals(let v), .notEquals(let v), .greater(let v, _), .less(let v, _): [v]
        case .oneOf(let values): values
        case .contains, .present: []
        }
    }
}

private extension FieldValue {
    /// A text's length in PostgreSQL's characters (code points), which
    /// `left` counts.
    var prefixLength: Int {
        if case .string(let s) = self { s.unicodeScalars.count } else { 0 }
    }
}
