import ProfilesStore
import GRDB
import ProfilesDomain

extension ProfilesDatabase {
    public func defineField(workspace: String, definition: FieldDefinition) throws -> FieldDefinition {
        try write { db in
            invalidateFieldListsOnCommit()
            if try FieldDefinitions.find(db, workspace: workspace, key: definition.key) != nil {
                throw DomainError.conflict("field '\(definition.key)' is already defined", reason: "duplicate_key")
            }
            try db.run("""
                INSERT INTO field_definitions(workspace, key, label, type, options, required, created_at, position)
                VALUES (?, ?, ?, ?, ?, ?, ?, (SELECT coalesce(max(position), 0) + 1 FROM field_definitions WHERE workspace = ?))
                """, [workspace, definition.key, definition.label, definition.type.rawValue,
                      FieldDefinitions.encodeOptions(definition.options), definition.required, Timestamp.now().milliseconds, workspace])
            return definition
        }
    }

    /// Changes label, options or required; the type never changes.
    public func updateField(workspace: String, key: String, label: String?, options: [String]?, required: Bool?) throws -> FieldDefinition {
        try write { db in
            invalidateFieldListsOnCommit()
            guard var definition = try FieldDefinitions.find(db, workspace: workspace, key: key) else {
                throw DomainError.notFound("field", "'\(key)'")
            }
            if let label { definition.label = label }
            if let options { definition.options = try FieldDefinition.validateOptions(options, type: definition.type) }
            if let required { definition.required = required }
            // Only a real change touches the row (and so makes an event).
            let options = FieldDefinitions.encodeOptions(definition.options)
            try db.run("""
                UPDATE field_definitions SET label = ?1, options = ?2, required = ?3 WHERE workspace = ?4 AND key = ?5
                AND (label IS NOT ?1 OR options IS NOT ?2 OR required IS NOT ?3)
                """, [definition.label, options, definition.required, workspace, key])
            return definition
        }
    }

    /// Deletes the definition and every profile's value for it.
    public func deleteField(workspace: String, key: String) throws -> FieldDeletion {
        try write { db in
            invalidateFieldListsOnCommit()
            guard try FieldDefinitions.find(db, workspace: workspace, key: key) != nil else {
                throw DomainError.notFound("field", "'\(key)'")
            }
            // Losing a value is a change to each profile that had one.
            for row in try db.rows("""
                SELECT v.profile_id, v.value, d.type FROM field_values v
                JOIN field_definitions d ON d.workspace = v.workspace AND d.key = v.key
                WHERE v.workspace = ? AND v.key = ?
                """, [workspace, key]) {
                try ProfileHistory.record(db, profileID: row[0], HistoryChanges(fields: [
                    key: .init(from: FieldValues.decode(row[1], type: row[2]), to: nil),
                ]))
            }
            try db.run("""
                UPDATE profiles SET version = version + 1, updated_at = ?
                WHERE id IN (SELECT profile_id FROM field_values WHERE workspace = ? AND key = ?)
                """, [Timestamp.now().milliseconds, workspace, key])
            try db.run("DELETE FROM field_values WHERE workspace = ? AND key = ?", [workspace, key])
            let cleared = db.changesCount
            try db.run("DELETE FROM field_definitions WHERE workspace = ? AND key = ?", [workspace, key])
            return FieldDeletion(key: key, clearedValues: cleared)
        }
    }

    /// From the cache while no definition changed; else one statement,
    /// outside a transaction.
    public func listFields(workspace: String) throws -> FieldList {
        let read = { try self.readStatement { db in FieldList(items: try FieldDefinitions.all(db, workspace: workspace)) } }
        // In a batch, the writer's uncommitted definitions count.
        if WriteBatcher.active != nil { return try read() }
        return try fieldLists.list(workspace: workspace, read: read)
    }

    /// The type of a defined field, or nil.
    public func fieldType(workspace: String, key: String) throws -> FieldDefinition.FieldType? {
        try read { db in try FieldDefinitions.find(db, workspace: workspace, key: key)?.type }
    }

    /// Once the write commits, which is after `write` returns when it runs
    /// inside a batch (a write method's body): invalidated earlier, a read
    /// in between would keep the old definitions as current. A write body
    /// always runs in a batch (`savepoint`), so the fallback is only there
    /// to fail safe.
    private func invalidateFieldListsOnCommit() {
        guard let batch = WriteBatcher.active else { return fieldLists.invalidate() }
        batch.onCommit { [fieldLists] in fieldLists.invalidate() }
    }
}
