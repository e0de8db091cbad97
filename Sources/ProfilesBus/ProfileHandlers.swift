import ProfilesDomain
import ProfilesProtocol
import ProfilesStore

/// profile.create / get / update / delete / list / attach_contact / detach_contact
extension CommandBus.Registry {
    mutating func registerProfileMethods(database: ProfilesDatabase) {
        register("profile.create", params: ["name", "fields", "contact_ids", "move"]) { p, ctx in
            let name = try Validation.name(p.string("name"))
            let fields = try p.fieldPatch("fields") ?? [:]
            let contactIDs = try p.optionalIDArray("contact_ids") ?? []
            guard Set(contactIDs).count == contactIDs.count else { throw DomainError.invalid("contact_ids", "must not repeat an id") }
            guard contactIDs.count <= 500 else { throw DomainError.invalid("contact_ids", "at most 500 contacts") }
            return try database.createProfile(workspace: ctx.workspace, name: name, fields: fields, contactIDs: contactIDs,
                                              move: p.bool("move", default: false))
        }

        register("profile.get", params: ["id", "include"]) { p, ctx in
            var include = Set<ProfileInclude>()
            for word in try p.optionalStringArray("include") ?? [] {
                guard let part = ProfileInclude(rawValue: word) else {
                    throw DomainError.invalid("include", "may hold only contacts, notes and moments, not '\(word)'")
                }
                include.insert(part)
            }
            return try database.profile(workspace: ctx.workspace, id: p.id("id"), include: include)
        }

        register("profile.update", params: ["id", "name", "fields", "expected_version"]) { p, ctx in
            let name = try p.optionalString("name").map { name throws(DomainError) in try Validation.name(name) }
            return try database.updateProfile(workspace: ctx.workspace, id: p.id("id"), name: name, fields: p.fieldPatch("fields"),
                                              expectedVersion: p.optionalInteger("expected_version"))
        }

        register("profile.delete", params: ["id", "expected_version"]) { p, ctx in
            try database.deleteProfile(workspace: ctx.workspace, id: p.id("id"), expectedVersion: p.optionalInteger("expected_version"))
        }

        register("profile.list", params: ["query", "sort", "limit", "cursor"]) { p, ctx in
            let query = try p.searchQuery()
            return try database.listProfiles(workspace: ctx.workspace, query: query, sort: p.optionalEnum("sort", ProfileSort.self) ?? .name,
                                             limit: p.limit(), cursor: p.optionalString("cursor"))
        }

        register("profile.attach_contact", params: ["profile_id", "contact_id", "move"]) { p, ctx in
            try database.attachContact(workspace: ctx.workspace, profileID: p.id("profile_id"), contactID: p.id("contact_id"),
                                       move: p.bool("move", default: false))
        }

        register("profile.detach_contact", params: ["profile_id", "contact_id"]) { p, ctx in
            try database.detachContact(workspace: ctx.workspace, profileID: p.id("profile_id"), contactID: p.id("contact_id"))
        }
    }
}

extension Params {
    /// `fields`: key → value, where `null` removes the value. Values are
    /// checked against their definitions in the store.
    func fieldPatch(_ key: String) throws(DomainError) -> [String: FieldValue?]? {
        guard let members = try optionalObject(key) else { return nil }
        var patch: [String: FieldValue?] = [:]
        for (name, value) in members {
            switch value {
            case .null: patch[name] = .some(nil)
            case .string(let s): patch[name] = .string(s)
            case .int(let n): patch[name] = .number(Double(n))
            case .double(let d): patch[name] = .number(d)
            case .bool(let b): patch[name] = .bool(b)
            case .array, .object: throw .invalid(name, "must be a string, number, boolean or null, not \(value.typeName)")
            }
        }
        return patch
    }
}
