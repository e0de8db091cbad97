import Foundation
import Logging
import PostgresNIO
import ProfilesDomain
import ProfilesStore

/// Field definitions and values, as SQLite's ProfilesDatabase+Fields.swift
/// and FieldValues.swift. Every read goes to the database: no node caches
/// definitions (another node may change them at any time).
extension PostgresStore {
    public func defineField(workspace: String, definition: FieldDefinition) async throws -> FieldDefinition {
        try PGText.check(definition.key, "key")
        try PGText.check(definition.label, "label")
        for option in definition.options ?? [] { try PGText.check(option, "options") }
        return try await write(workspace: workspace) { [logger] connection, versions in
            // A concurrent define of the same key waits on the first's row
            // and then fails on field_definitions_pkey: the same conflict.
            if try await PGFields.find(connection, workspace: workspace, key: definition.key, logger: logger) != nil {
                throw DomainError.conflict("field '\(definition.key)' is already defined", reason: "duplicate_key")
            }
            try await connection.run("""
                INSERT INTO field_definitions (workspace, key, label, type, options, required, created_at, position)
                VALUES (\(workspace), \(definition.key), \(definition.label), \(definition.type.rawValue),
                        \(PGFields.encodeOptions(definition.options)), \(definition.required), \(Timestamp.now().milliseconds),
                        (SELECT coalesce(max(position), 0) + 1 FROM field_definitions WHERE workspace = \(workspace)))
                """, logger)
            versions.changed = true
            return definition
        }
    }

    public func updateField(workspace: String, key: String, label: String?, options: [String]?, required: Bool?) async throws -> FieldDefinition {
        // No key holding a NUL can be defined.
        if PGText.holdsNUL(key) { throw DomainError.notFound("field", "'\(key)'") }
        try PGText.check(label, "label")
        for option in options ?? [] { try PGText.check(option, "options") }
        return try await write(workspace: workspace) { [logger] connection, versions in
            guard var definition = try await PGFields.find(connection, workspace: workspace, key: key, forUpdate: true, logger: logger) else {
                throw DomainError.notFound("field", "'\(key)'")
            }
            if let label { definition.label = label }
            if let options { definition.options = try FieldDefinition.validateOptions(options, type: definition.type) }
            if let required { definition.required = required }
            // Only a real change touches the row (and so makes an event).
            let options = PGFields.encodeOptions(definition.options)
            let updated = try await connection.run("""
                UPDATE field_definitions SET label = \(definition.label), options = \(options), required = \(definition.required)
                WHERE workspace = \(workspace) AND key = \(key)
                AND (label IS DISTINCT FROM \(definition.label) OR options IS DISTINCT FROM \(options)
                     OR required IS DISTINCT FROM \(definition.required))
                RETURNING 1
                """, logger)
            if updated > 0 { versions.changed = true }
            return definition
        }
    }

    public func deleteField(workspace: String, key: String) async throws -> FieldDeletion {
        if PGText.holdsNUL(key) { throw DomainError.notFound("field", "'\(key)'") }
        return try await write(workspace: workspace) { [logger] connection, versions in
            guard try await PGFields.find(connection, workspace: workspace, key: key, forUpdate: true, logger: logger) != nil else {
                throw DomainError.notFound("field", "'\(key)'")
            }
            // Losing a value is a change to each profile that had one.
            for row in try await connection.rows("""
                SELECT v.profile_id, v.text_value, v.number_value, v.bool_value, d.type FROM field_values v
                JOIN field_definitions d ON d.workspace = v.workspace AND d.key = v.key
                WHERE v.workspace = \(workspace) AND v.key = \(key)
                """, logger) {
                let (id, text, number, bool, type) = try row.decode((Int64, String?, Double?, Bool?, String).self)
                PGHistory.record(&versions, profileID: id, HistoryChanges(fields: [
                    key: .init(from: PGFields.value(text: text, number: number, bool: bool, type: type), to: nil),
                ]))
            }
            for row in try await connection.rows("""
                UPDATE profiles SET version = version + 1, updated_at = \(Timestamp.now().milliseconds)
                WHERE workspace = \(workspace)
                AND id IN (SELECT profile_id FROM field_values WHERE workspace = \(workspace) AND key = \(key))
                RETURNING id, version
                """, logger) {
                let (id, version) = try row.decode((Int64, Int64).self)
                versions.set(id, version: version)
            }
            let cleared = try await connection.run("""
                DELETE FROM field_values WHERE workspace = \(workspace) AND key = \(key) RETURNING 1
                """, logger)
            try await connection.run("DELETE FROM field_definitions WHERE workspace = \(workspace) AND key = \(key)", logger)
            versions.changed = true
            return FieldDeletion(key: key, clearedValues: cleared)
        }
    }

    public func listFields(workspace: String) async throws -> FieldList {
        try await read { [logger] connection in FieldList(items: try await PGFields.all(connection, workspace: workspace, logger: logger)) }
    }

    public func fieldType(workspace: String, key: String) async throws -> FieldDefinition.FieldType? {
        if PGText.holdsNUL(key) { return nil }
        return try await read { [logger] connection in try await PGFields.find(connection, workspace: workspace, key: key, logger: logger)?.type }
    }
}

/// Field definitions and values of a workspace. SQLite keeps one
/// dynamically typed `value`; here one typed column per kind of value.
enum PGFields {
    static func all(_ connection: PostgresConnection, workspace: String, logger: Logger) async throws -> [FieldDefinition] {
        try await connection.rows("""
            SELECT key, label, type, options, required FROM field_definitions WHERE workspace = \(workspace) ORDER BY position, key
            """, logger).map(decode)
    }

    /// `forUpdate`: locks the definition until the write commits, so a
    /// concurrent update or delete of it waits.
    static func find(_ connection: PostgresConnection, workspace: String, key: String, forUpdate: Bool = false,
                     logger: Logger) async throws -> FieldDefinition? {
        let rows = forUpdate
            ? try await connection.rows("""
                SELECT key, label, type, options, required FROM field_definitions WHERE workspace = \(workspace) AND key = \(key)
                FOR UPDATE
                """, logger)
            : try await connection.rows("""
                SELECT key, label, type, options, required FROM field_definitions WHERE workspace = \(workspace) AND key = \(key)
                """, logger)
        return try rows.first.map(decode)
    }

    static func decode(_ row: PostgresRow) throws -> FieldDefinition {
        let (key, label, type, options, required) = try row.decode((String, String, String, String?, Bool).self)
        return definition(key: key, label: label, type: type, options: options, required: required)
    }

    static func definition(key: String, label: String, type: String, options: String?, required: Bool) -> FieldDefinition {
        let decoded: [String]? = options.flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) }
        return FieldDefinition(key: key, label: label, type: FieldDefinition.FieldType(rawValue: type) ?? .text,
                               options: decoded, required: required)
    }

    static func encodeOptions(_ options: [String]?) -> String? {
        guard let options, let data = try? JSONEncoder().encode(options) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// The value of a row's `text_value, number_value, bool_value`, read
    /// as its definition's type says (as SQLite's `FieldValues.decode`).
    static func value(text: String?, number: Double?, bool: Bool?, type: String) -> FieldValue {
        switch FieldDefinition.FieldType(rawValue: type) {
        case .boolean: .bool(bool ?? ((number ?? 0) != 0))
        case .number: .number(number ?? 0)
        default: .string(text ?? "")
        }
    }

    /// The typed columns of a value: one set, the others NULL.
    static func columns(_ value: FieldValue) -> (text: String?, number: Double?, bool: Bool?) {
        switch value {
        case .string(let s): (s, nil, nil)
        case .number(let n): (nil, n, nil)
        case .bool(let b): (nil, nil, b)
        }
    }

    /// One profile's field values (list pages read theirs with the page,
    /// `PGPage`).
    static func load(_ connection: PostgresConnection, workspace: String, profileID: Int64,
                     logger: Logger) async throws -> [String: FieldValue] {
        var fields: [String: FieldValue] = [:]
        for row in try await connection.rows("""
            SELECT v.key, v.text_value, v.number_value, v.bool_value, d.type FROM field_values v
            JOIN field_definitions d ON d.workspace = v.workspace AND d.key = v.key
            WHERE v.workspace = \(workspace) AND v.profile_id = \(profileID)
            """, logger) {
            let (key, text, number, bool, type) = try row.decode((String, String?, Double?, Bool?, String).self)
            fields[key] = value(text: text, number: number, bool: bool, type: type)
        }
        return fields
    }

    /// Validates a patch against the workspace's definitions and applies
    /// it, as SQLite's `FieldValues.apply`. `nil` removes a value. When
    /// `checkRequired`, every required field must have a value afterwards.
    /// Returns whether anything changed.
    @discardableResult
    static func apply(_ connection: PostgresConnection, workspace: String, profileID: Int64, patch: [String: FieldValue?],
                      region: String?, checkRequired: Bool, logger: Logger) async throws -> Bool {
        let definitions = try await all(connection, workspace: workspace, logger: logger)
        let byKey = Dictionary(uniqueKeysWithValues: definitions.map { ($0.key, $0) })
        var current: [String: (String?, Double?, Bool?)] = [:]
        if !patch.isEmpty || checkRequired {
            for row in try await connection.rows("""
                SELECT key, text_value, number_value, bool_value FROM field_values
                WHERE workspace = \(workspace) AND profile_id = \(profileID)
                """, logger) {
                let (key, text, number, bool) = try row.decode((String, String?, Double?, Bool?).self)
                current[key] = (text, number, bool)
            }
        }
        var changed = false
        for key in patch.keys.sorted() {
            guard let definition = byKey[key] else {
                throw DomainError.invalid(key, "is not a defined field; define it with field.define")
            }
            if let value = patch[key]! {
                let stored = columns(try definition.validate(value, region: region))
                try PGText.check(stored.text, key)
                if let old = current[key], old.0 == stored.text, old.1 == stored.number, old.2 == stored.bool { continue }
                try await connection.run("""
                    INSERT INTO field_values (workspace, profile_id, key, text_value, number_value, bool_value)
                    VALUES (\(workspace), \(profileID), \(key), \(stored.text), \(stored.number), \(stored.bool))
                    ON CONFLICT (workspace, profile_id, key) DO UPDATE SET
                        text_value = excluded.text_value, number_value = excluded.number_value, bool_value = excluded.bool_value
                    """, logger)
                current[key] = (stored.text, stored.number, stored.bool)
                changed = true
            } else if current.removeValue(forKey: key) != nil {
                try await connection.run("""
                    DELETE FROM field_values WHERE workspace = \(workspace) AND profile_id = \(profileID) AND key = \(key)
                    """, logger)
                changed = true
            }
        }
        if checkRequired, let missing = definitions.first(where: { $0.required && current[$0.key] == nil }) {
            throw DomainError.invalid(missing.key, "is a required field")
        }
        return changed
    }
}
