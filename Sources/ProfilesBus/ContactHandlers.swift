import ProfilesDomain
import ProfilesStore

/// contact.upsert / get / update / delete / list
extension CommandBus.Registry {
    mutating func registerContactMethods(database: ProfilesDatabase) {
        registerWrite("contact.upsert", params: ["channel", "identifier", "name", "region"], database: database,
                      feed: .typed(type: { (upsert: ContactUpsert) in upsert.created ? "contact.created" : "contact.updated" }, entity: { upsert, _ in .int(upsert.contact.id) })) { p, ctx in
            let channel = try p.requiredEnum("channel", Channel.self)
            // `region` reads a national phone number; other channels ignore it.
            let identifier = try ContactIdentifier.normalize(p.string("identifier"), channel: channel, region: p.region())
            let name = try p.optionalString("name").map { n throws(DomainError) in try Validation.name(n) }
            return try database.upsertContact(workspace: ctx.workspace, channel: channel, identifier: identifier, name: name)
        }

        register("contact.get", params: ["id"]) { p, ctx in
            try database.contact(workspace: ctx.workspace, id: p.id("id"))
        }

        registerWrite("contact.update", params: ["id", "name"], database: database,
                      feed: .named("contact.updated")) { p, ctx in
            // `name: null` clears the name; a string sets it.
            guard p.has("name") else { throw DomainError.invalid("name", "is required (null clears it)") }
            let name = try p.optionalString("name").map { n throws(DomainError) in try Validation.name(n) }
            return try database.updateContact(workspace: ctx.workspace, id: p.id("id"), name: name)
        }

        registerWrite("contact.delete", params: ["id"], database: database,
                      feed: .named("contact.deleted")) { p, ctx in
            try database.deleteContact(workspace: ctx.workspace, id: p.id("id"))
        }

        register("contact.list", params: ["channel", "profile_id", "unassigned", "query", "limit", "cursor"]) { p, ctx in
            let filter = ContactFilter(channel: try p.optionalEnum("channel", Channel.self), profileID: try p.optionalID("profile_id"),
                                       unassigned: try p.bool("unassigned", default: false), query: try p.searchQuery())
            if filter.unassigned && filter.profileID != nil {
                throw DomainError.invalid("unassigned", "cannot be combined with profile_id")
            }
            return try database.listContacts(workspace: ctx.workspace, filter: filter, limit: p.limit(), cursor: p.optionalString("cursor"))
        }
    }
}
