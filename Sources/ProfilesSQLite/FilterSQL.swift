import GRDB
import ProfilesDomain

/// `profile.list`'s field filter in SQLite's SQL. Values are stored in
/// `field_values.value` as TEXT, REAL or 0/1 (`FieldValues.databaseValue`),
/// so a bound is compared in the same form; dates are YYYY-MM-DD text,
/// whose byte order is their order.
enum FilterSQL {
    /// `AND …` for every condition, on the profile whose id is `id` (an
    /// SQL expression), with its arguments.
    static func predicate(_ filter: ProfileFilter, id: String) -> (sql: String, arguments: StatementArguments) {
        predicate(filter.conditions, id: id)
    }

    static func predicate(_ conditions: [ProfileFilter.Condition], id: String) -> (sql: String, arguments: StatementArguments) {
        var sql = ""
        var arguments: StatementArguments = []
        for condition in conditions {
            let (test, testArguments) = valueTest(condition.test)
            let exists = "EXISTS (SELECT 1 FROM field_values v WHERE v.profile_id = \(id) AND v.key = ?\(test))"
            sql += condition.test.needsValue ? " AND \(exists)" : " AND NOT \(exists)"
            arguments += [condition.key]
            arguments += testArguments
        }
        return (sql, arguments)
    }

    /// Ids of profiles that meet `conditions` (of one field, each needing
    /// a value), through `field_values_by_name` (workspace, key, value, …), at
    /// most `limit`.
    static func candidates(_ db: Database, _ conditions: [ProfileFilter.Condition], workspace: String, limit: Int) throws -> [Int64] {
        guard let key = conditions.first?.key else { return [] }
        var tests = ""
        var arguments: StatementArguments = [workspace, key]
        for condition in conditions {
            let (test, testArguments) = valueTest(condition.test)
            tests += test
            arguments += testArguments
        }
        return try Int64.fetchAll(db, sql: """
            SELECT v.profile_id FROM field_values v WHERE v.workspace = ? AND v.key = ?\(tests) LIMIT \(limit)
            """, arguments: arguments)
    }

    /// The condition on `v.value` (after `AND`); `ne` and `present: false`
    /// test for the value they exclude.
    private static func valueTest(_ test: ProfileFilter.Test) -> (String, StatementArguments) {
        switch test {
        case .equals(let value), .notEquals(let value):
            return (" AND v.value = ?", [FieldValues.databaseValue(value)])
        case .oneOf(let values):
            let marks = Array(repeating: "?", count: values.count).joined(separator: ", ")
            return (" AND v.value IN (\(marks))", StatementArguments(values.map(FieldValues.databaseValue)))
        case .contains(let needle):
            return (" AND instr(\(lowerFunction.name)(v.value), ?) > 0", [needle])
        case .greater(let value, let orEqual):
            return (" AND v.value \(orEqual ? ">=" : ">") ?", [FieldValues.databaseValue(value)])
        case .less(let value, let orEqual):
            return (" AND v.value \(orEqual ? "<=" : "<") ?", [FieldValues.databaseValue(value)])
        case .present:
            return ("", [])
        }
    }

    /// Unicode lower-casing, as Swift does it (SQLite's own `lower` folds
    /// ASCII only, so "MÜLLER" would not contain "ü"). Registered on every
    /// connection of the pool.
    static let lowerFunction = DatabaseFunction("profiles_lower", argumentCount: 1, pure: true) { values in
        String.fromDatabaseValue(values[0])?.lowercased()
    }
}
