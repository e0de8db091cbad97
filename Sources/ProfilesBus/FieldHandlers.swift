import ProfilesDomain
import ProfilesStore

/// field.define / update / delete / list
extension CommandBus.Registry {
    mutating func registerFieldMethods(database: ProfilesDatabase) {
        registerWrite("field.define", params: ["key", "label", "type", "options", "required"], database: database,
                      feed: .named("field.defined") { (definition: FieldDefinition, _) in .string(definition.key) }) { p, ctx in
            let type = try p.requiredEnum("type", FieldDefinition.FieldType.self)
            let definition = FieldDefinition(
                key: try Validation.fieldKey(p.string("key")),
                label: try Validation.text(p.string("label"), field: "label", max: 200),
                type: type,
                options: try FieldDefinition.validateOptions(p.optionalStringArray("options"), type: type),
                required: try p.bool("required", default: false))
            return try database.defineField(workspace: ctx.workspace, definition: definition)
        }

        registerWrite("field.update", params: ["key", "label", "type", "options", "required"], database: database,
                      feed: .named("field.updated") { (definition: FieldDefinition, _) in .string(definition.key) }) { p, ctx in
            let key = try Validation.fieldKey(p.string("key"))
            if let type = try p.optionalEnum("type", FieldDefinition.FieldType.self),
               let current = try database.fieldType(workspace: ctx.workspace, key: key), type != current {
                throw DomainError.invalid("type", "cannot change from \(current.rawValue) to \(type.rawValue); delete and define the field again")
            }
            let label = try p.optionalString("label").map { l throws(DomainError) in try Validation.text(l, field: "label", max: 200) }
            return try database.updateField(workspace: ctx.workspace, key: key, label: label, options: p.optionalStringArray("options"),
                                            required: p.optionalBool("required"))
        }

        registerWrite("field.delete", params: ["key"], database: database,
                      feed: .named("field.deleted") { (deletion: FieldDeletion, _) in .string(deletion.key) }) { p, ctx in
            try database.deleteField(workspace: ctx.workspace, key: Validation.fieldKey(p.string("key")))
        }

        register("field.list") { _, ctx in
            try database.listFields(workspace: ctx.workspace)
        }
    }
}
