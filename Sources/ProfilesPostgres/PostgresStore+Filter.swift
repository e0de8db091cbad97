import Logging
import PostgresNIO
import ProfilesDomain

/// `profile.list`'s field filter in PostgreSQL's SQL, as SQLite's
/// `FilterSQL`: the same conditions, on `field_values`' typed columns
/// (`text_value` COLLATE "C", so dates compare as bytes, as in SQLite;
/// `number_value`; `bool_value`), indexed by `field_values_by_*_value`
/// (migration v6-field-filter).
enum PGFilter {
    /// Appends ` AND …` for every condition, on the profile whose id is
    /// `id` (an SQL expression).
    static func appendPredicate(_ filter: ProfileFilter, workspace: String, id: String, to query: inout PostgresQuery) {
        for condition in filter.conditions {
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

    /// ` AND` the test on the value's column; `ne` and `present: false`
    /// test for the value they exclude.
    private static func appendValueTest(_ condition: ProfileFilter.Condition, to query: inout PostgresQuery) {
        let column = switch condition.type {
        case .number: "v.number_value"
        case .boolean: "v.bool_value"
        default: "v.text_value"
        }
        switch condition.test {
        case .equals(let value), .notEquals(let value):
            query.sql += " AND \(column) = "
            append(value, to: &query)
        case .oneOf(let values):
            query.sql += " AND \(column) IN ("
            for (index, value) in values.enumerated() {
                if index > 0 { query.sql += ", " }
                append(value, to: &query)
            }
            query.sql += ")"
        case .contains(let needle):
            // Lower-cased with the database's collation (as contact.list's
            // query is): "C" itself would fold ASCII only.
            query.sql += " AND strpos(lower(\(column) COLLATE \"default\"), "
            query.append(needle)
            query.sql += ") > 0"
        case .greater(let value, let orEqual):
            query.sql += " AND \(column) \(orEqual ? ">=" : ">") "
            append(value, to: &query)
        case .less(let value, let orEqual):
            query.sql += " AND \(column) \(orEqual ? "<=" : "<") "
            append(value, to: &query)
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
