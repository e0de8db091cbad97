import ProfilesDomain
import ProfilesStore

/// field.define / update / delete / list
extension CommandBus.Registry {
    mutating func registerFieldMethods(store: any ProfileStore) {
        registerWrite("field.define", MethodSpec(
            "Defines a custom profile field; a select field needs options.",
            params: [.required("key", Schema.fieldKey), .required("label", Schema.text(max: 200)),
                     .required("type", Schema.enum(FieldDefinition.FieldType.self)), .options,
                     .optional("required", Schema.boolean, "whether every profile must have a value (default false)")],
            result: Schema.ref("FieldDefinition"), errors: [.conflict]), store: store,
                      feed: .named("field.defined") { (definition: FieldDefinition, _) in .string(definition.key) }) { p, ctx in
            let type = try p.requiredEnum("type", FieldDefinition.FieldType.self)
            let definition = FieldDefinition(
                key: try Validation.fieldKey(p.string("key")),
                label: try Validation.text(p.string("label"), field: "label", max: 200),
                type: type,
                options: try FieldDefinition.validateOptions(p.optionalStringArray("options"), type: type),
                required: try p.bool("required", default: false))
            return try await store.defineField(workspace: ctx.workspace, definition: definition)
        }

        registerWrite("field.update", MethodSpec(
            "Changes a field's label, options or required flag; the type cannot change.",
            params: [.required("key", Schema.fieldKey), .optional("label", Schema.text(max: 200)),
                     .optional("type", Schema.enum(FieldDefinition.FieldType.self), "only the current type is accepted"), .options,
                     .optional("required", Schema.boolean)],
            result: Schema.ref("FieldDefinition"), errors: [.notFound]), store: store,
                      feed: .named("field.updated") { (definition: FieldDefinition, _) in .string(definition.key) }) { p, ctx in
            let key = try Validation.fieldKey(p.string("key"))
            if let type = try p.optionalEnum("type", FieldDefinition.FieldType.self),
               let current = try await store.fieldType(workspace: ctx.workspace, key: key), type != current {
                throw DomainError.invalid("type", "cannot change from \(current.rawValue) to \(type.rawValue); delete and define the field again")
            }
            let label = try p.optionalString("label").map { l throws(DomainError) in try Validation.text(l, field: "label", max: 200) }
            return try await store.updateField(workspace: ctx.workspace, key: key, label: label, options: p.optionalStringArray("options"),
                                            required: p.optionalBool("required"))
        }

        registerWrite("field.delete", MethodSpec(
            "Deletes a field definition and clears its values from every profile.", params: [.required("key", Schema.fieldKey)],
            result: Schema.ref("FieldDeletion"), errors: [.notFound]), store: store,
                      feed: .named("field.deleted") { (deletion: FieldDeletion, _) in .string(deletion.key) }) { p, ctx in
            try await store.deleteField(workspace: ctx.workspace, key: Validation.fieldKey(p.string("key")))
        }

        registerRead("field.list", MethodSpec("Every field definition, in order of creation.",
                                          result: Schema.ref("FieldList"))) { _, ctx in
            try await store.listFields(workspace: ctx.workspace)
        }
    }
}
