import ProfilesStore
import Foundation
import GRDB
import ProfilesDomain

/// Custom field values of profiles, stored one row per (profile, key) and
/// typed by their definition.
enum FieldValues {
    static func load(_ db: Database, profileID: Int64) throws -> [String: FieldValue] {
        var fields: [String: FieldValue] = [:]
        for row in try db.rows("""
            SELECT v.key, v.value, d.type FROM field_values v
            JOIN field_definitions d ON d.workspace = v.workspace AND d.key = v.key
            WHERE v.profile_id = ?
            """, [profileID]) {
            fields[row[0]] = decode(row[1], type: row[2])
        }
        return fields
    }

    static func decode(_ value: DatabaseValue, type: String) -> FieldValue {
        switch FieldDefinition.FieldType(rawValue: type) {
        case .boolean: .bool((Int64.fromDatabaseValue(value) ?? 0) != 0)
        case .number: .number(Double.fromDatabaseValue(value) ?? 0)
        default: .string(String.fromDatabaseValue(value) ?? "")
        }
    }

    static func databaseValue(_ value: FieldValue) -> DatabaseValue {
        switch value {
        case .string(let s): s.databaseValue
        case .number(let n): n.databaseValue
        case .bool(let b): (b ? 1 : 0).databaseValue
        }
    }

    /// Validates a patch against the workspace's definitions and applies
    /// it. `nil` removes a value. When `checkRequired`, every required
    /// field must have a value afterwards. Returns whether anything changed.
    @discardableResult
    static func apply(_ db: Database, workspace: String, profileID: Int64, patch: [String: FieldValue?],
                      region: String?, checkRequired: Bool) throws -> Bool {
        let definitions = try FieldDefinitions.all(db, workspace: workspace)
        let byKey = Dictionary(uniqueKeysWithValues: definitions.map { ($0.key, $0) })
        var changed = false
        for key in patch.keys.sorted() {
            guard let definition = byKey[key] else {
                throw DomainError.invalid(key, "is not a defined field; define it with field.define")
            }
            if let value = patch[key]! {
                let stored = databaseValue(try definition.validate(value, region: region))
                let current = try DatabaseValue.fetchOne(
                    db.cachedStatement(sql: "SELECT value FROM field_values WHERE profile_id = ? AND key = ?"), arguments: [profileID, key])
                guard current != stored else { continue }
                // With the profile's sort keys (migration v8).
                try db.run("""
                    INSERT OR REPLACE INTO field_values(profile_id, workspace, key, value, name_key, updated_at)
                    SELECT ?1, ?2, ?3, ?4, p.name_key, p.updated_at FROM profiles p WHERE p.id = ?1
                    """, [profileID, workspace, key, stored])
                changed = true
            } else {
                try db.run("DELETE FROM field_values WHERE profile_id = ? AND key = ?", [profileID, key])
                changed = changed || db.changesCount > 0
            }
        }
        if checkRequired, definitions.contains(where: \.required) {
            let present = Set(try String.fetchAll(db.cachedStatement(sql: "SELECT key FROM field_values WHERE profile_id = ?"),
                                                  arguments: [profileID]))
            if let missing = definitions.first(where: { $0.required && !present.contains($0.key) }) {
                throw DomainError.invalid(missing.key, "is a required field")
            }
        }
        return changed
    }
}

/// Field definitions of a workspace.
enum FieldDefinitions {
    static func all(_ db: Database, workspace: String) throws -> [FieldDefinition] {
        try db.rows("SELECT key, label, type, options, required FROM field_definitions WHERE workspace = ? ORDER BY position",
                    [workspace]).map(decode)
    }

    /// Each field's type, by key.
    static func types(_ db: Database, workspace: String) throws -> [String: FieldDefinition.FieldType] {
        var types: [String: FieldDefinition.FieldType] = [:]
        let rows = try Row.fetchCursor(db.cachedStatement(sql: "SELECT key, type FROM field_definitions WHERE workspace = ?"),
                                       arguments: [workspace])
        while let row = try rows.next() { types[row[0]] = FieldDefinition.FieldType(rawValue: row[1]) ?? .text }
        return types
    }

    static func find(_ db: Database, workspace: String, key: String) throws -> FieldDefinition? {
        try db.row("SELECT key, label, type, options, required FROM field_definitions WHERE workspace = ? AND key = ?",
                   [workspace, key]).map(decode)
    }

    static func decode(_ row: Row) -> FieldDefinition {
        let options: [String]? = (row[3] as String?).flatMap {
            try? JSONDecoder().decode([String].self, from: Data($0.utf8))
        }
        return FieldDefinition(key: row[0], label: row[1], type: FieldDefinition.FieldType(rawValue: row[2]) ?? .text,
                               options: options, required: row[4])
    }

    static func encodeOptions(_ options: [String]?) -> String? {
        guard let options, let data = try? JSONEncoder().encode(options) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
