import ProfilesDomain
import ProfilesStore

/// contact.upsert / get / update / delete / list
extension CommandBus.Registry {
    mutating func registerContactMethods(store: any ProfileStore) {
        registerWrite("contact.upsert", MethodSpec(
            "Creates the contact, or finds it by channel and normalized identifier (and sets its name when given).",
            params: [.required("channel", Schema.enum(Channel.self)),
                     .required("identifier", Schema.string(minLength: 1, maxLength: 255),
                               "an e-mail address, a phone number (E.164, or national with region) or an opaque id"),
                     .optional("name", Schema.text(max: 200)), .region],
            result: Schema.ref("ContactUpsert"), errors: [.conflict]), store: store,
                      feed: .typed(type: { (upsert: ContactUpsert) in upsert.created ? "contact.created" : "contact.updated" }, entity: { upsert, _ in .int(upsert.contact.id) }), prepare: { p, ctx in
            let channel = try p.requiredEnum("channel", Channel.self)
            // `region` reads a national phone number; other channels ignore
            // it. Normalized before the writer.
            let identifier = try ContactIdentifier.normalize(p.string("identifier"), channel: channel, region: p.region())
            let name = try p.optionalString("name").map { n throws(DomainError) in try Validation.name(n) }
            return { try await store.upsertContact(workspace: ctx.workspace, channel: channel, identifier: identifier, name: name) }
        })

        registerRead("contact.get", MethodSpec("One contact.", params: [.required("id", Schema.id)], result: Schema.ref("Contact"),
                                           errors: [.notFound])) { p, ctx in
            try await store.contact(workspace: ctx.workspace, id: p.id("id"))
        }

        registerWrite("contact.update", MethodSpec(
            "Renames a contact; name null clears it.",
            params: [.required("id", Schema.id), .required("name", Schema.nullable(Schema.text(max: 200)), "null clears the name")],
            result: Schema.ref("Contact"), errors: [.notFound]), store: store,
                      feed: .named("contact.updated")) { p, ctx in
            // `name: null` clears the name; a string sets it.
            guard p.has("name") else { throw DomainError.invalid("name", "is required (null clears it)") }
            let name = try p.optionalString("name").map { n throws(DomainError) in try Validation.name(n) }
            return try await store.updateContact(workspace: ctx.workspace, id: p.id("id"), name: name)
        }

        registerWrite("contact.delete", MethodSpec(
            "Deletes a contact and its moments.", params: [.required("id", Schema.id)],
            result: Schema.ref("ContactDeletion"), errors: [.notFound]), store: store,
                      feed: .named("contact.deleted")) { p, ctx in
            try await store.deleteContact(workspace: ctx.workspace, id: p.id("id"))
        }

        registerRead("contact.list", MethodSpec(
            "A page of contacts; profile_id and unassigned exclude each other.",
            params: [.optional("channel", Schema.enum(Channel.self)), .optional("profile_id", Schema.id),
                     .optional("unassigned", Schema.boolean, "only contacts in no profile"), .query, .limit, .cursor],
            result: Schema.ref("ContactPage"), errors: [.notFound])) { p, ctx in
            let filter = ContactFilter(channel: try p.optionalEnum("channel", Channel.self), profileID: try p.optionalID("profile_id"),
                                       unassigned: try p.bool("unassigned", default: false), query: try p.searchQuery())
            if filter.unassigned && filter.profileID != nil {
                throw DomainError.invalid("unassigned", "cannot be combined with profile_id")
            }
            return try await store.listContacts(workspace: ctx.workspace, filter: filter, limit: p.limit(), cursor: p.optionalString("cursor"))
        }
    }
}
