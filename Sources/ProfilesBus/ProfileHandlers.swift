import ProfilesDomain
import ProfilesProtocol
import ProfilesStore

/// profile.create / get / update / delete / list / attach_contact / detach_contact / merge / unmerge / suggestions / export / erase
extension CommandBus.Registry {
    /// `profile.get`'s fast path, with no task started: the cached answer
    /// of a profile alone, else the store's read when it answers at once
    /// (SQLite; then a miss fills the cache). Nil without either
    /// (PostgreSQL): every get is a started call.
    private static func profileAtOnce(cache: ProfileAnswerCache?, reads: (any InlineProfileReads)?) -> CommandBus.FastPath? {
        guard let reads else { return nil }
        return { p, ctx in
            let include = try profileIncludes(p)
            let id = try p.id("id")
            guard include.isEmpty, let cache, let cached = cache.lookup(id: id, workspace: ctx.workspace) else {
                return try reads.profile(workspace: ctx.workspace, id: id, include: include)
            }
            switch cached {
            case .hit(let answer):
                return EncodedAnswer(json: answer)
            case .miss(let miss):
                var answer: [UInt8] = []
                try reads.profile(workspace: ctx.workspace, id: id, include: []).writeJSON(to: &answer)
                cache.store(id: id, workspace: ctx.workspace, answer: answer, after: miss)
                return EncodedAnswer(json: answer)
            }
        }
    }

    /// profile.get's `include`.
    private static func profileIncludes(_ p: Params) throws -> Set<ProfileInclude> {
        var include = Set<ProfileInclude>()
        for word in try p.optionalStringArray("include") ?? [] {
            guard let part = ProfileInclude(rawValue: word) else {
                throw DomainError.invalid("include", "may hold only contacts, notes and moments, not '\(word)'")
            }
            include.insert(part)
        }
        return include
    }

    mutating func registerProfileMethods(store: any ProfileStore, cache: ProfileAnswerCache?) {
        registerWrite("profile.create", MethodSpec(
            "Creates a profile, with field values and contacts.",
            params: [.required("name", Schema.text(max: 200)), .fields("values by field key"), .region,
                     .optional("contact_ids", Schema.array(Schema.id, maxItems: 500, unique: true), "contacts to attach"),
                     .optional("contacts", Schema.array(Schema.contactDraft, maxItems: 500),
                               "contacts to find or create (as contact.upsert) and attach, in the same transaction"),
                     .move],
            result: Schema.ref("Profile"), errors: [.notFound, .conflict]), store: store,
                      feed: .named("profile.created"), prepare: { p, ctx in
            // Parsed and normalized (the contacts' identifiers: phone
            // numbers by libphonenumber's rules) before the writer.
            let name = try Validation.name(p.string("name"))
            let fields = try p.fieldPatch("fields") ?? [:]
            let contactIDs = try p.optionalIDArray("contact_ids") ?? []
            guard Set(contactIDs).count == contactIDs.count else { throw DomainError.invalid("contact_ids", "must not repeat an id") }
            guard contactIDs.count <= 500 else { throw DomainError.invalid("contact_ids", "at most 500 contacts") }
            let region = try p.region()
            let contacts = try p.contactDrafts("contacts")
            let move = try p.bool("move", default: false)
            return {
                try await store.createProfile(workspace: ctx.workspace, name: name, fields: fields, region: region,
                                              contactIDs: contactIDs, contacts: contacts, move: move)
            }
        })

        registerRead("profile.get", MethodSpec(
            "One profile, with its contacts, notes (50 newest) and moments (50 newest) when asked.",
            params: [.required("id", Schema.id),
                     .optional("include", Schema.array(Schema.enum(ProfileInclude.self)), "the parts to add")],
            result: Schema.ref("ProfileDetail"), errors: [.notFound]),
            // The read called most: answered without a task when the
            // store reads at once, from the cache when it can
            // (ProfileAnswerCache says why it is never stale).
            fastPath: Self.profileAtOnce(cache: cache, reads: store.inlineReads)) { p, ctx in
            try await store.profile(workspace: ctx.workspace, id: p.id("id"), include: Self.profileIncludes(p))
        }

        registerWrite("profile.update", MethodSpec(
            "Renames a profile or changes field values (a partial patch; null removes a value).",
            params: [.required("id", Schema.id), .optional("name", Schema.text(max: 200)), .fields("a patch: null removes a value"),
                     .region, .expectedVersion],
            result: Schema.ref("Profile"), errors: [.notFound, .conflict]), store: store,
                      feed: .named("profile.updated")) { p, ctx in
            let name = try p.optionalString("name").map { name throws(DomainError) in try Validation.name(name) }
            return try await store.updateProfile(workspace: ctx.workspace, id: p.id("id"), name: name, fields: p.fieldPatch("fields"),
                                              region: p.region(), expectedVersion: p.optionalInteger("expected_version"))
        }

        registerWrite("profile.delete", MethodSpec(
            "Deletes a profile and its notes; its contacts are detached, not deleted.",
            params: [.required("id", Schema.id), .expectedVersion],
            result: Schema.ref("ProfileDeletion"), errors: [.notFound, .conflict]), store: store,
                      feed: .named("profile.deleted")) { p, ctx in
            try await store.deleteProfile(workspace: ctx.workspace, id: p.id("id"), expectedVersion: p.optionalInteger("expected_version"))
        }

        registerRead("profile.list", MethodSpec(
            "A page of profiles; query matches names, contact identifiers and contact names.",
            params: [.query, .profileFilter, .optional("sort", Schema.enum(ProfileSort.self), "default name"), .limit, .cursor],
            result: Schema.ref("ProfilePage"))) { p, ctx in
            let query = try p.searchQuery()
            return try await store.listProfiles(workspace: ctx.workspace, query: query, filter: try p.profileFilterTerms(),
                                             sort: p.optionalEnum("sort", ProfileSort.self) ?? .name,
                                             limit: p.limit(), cursor: p.optionalString("cursor"))
        }

        registerWrite("profile.attach_contact", MethodSpec(
            "Attaches a contact to a profile; one in another profile is a conflict unless move is true.",
            params: [.required("profile_id", Schema.id), .required("contact_id", Schema.id), .move],
            result: Schema.ref("Profile"), errors: [.notFound, .conflict]), store: store,
                      feed: .named("contact.attached") { (_: Profile, p) in p.raw("contact_id") ?? .null }) { p, ctx in
            try await store.attachContact(workspace: ctx.workspace, profileID: p.id("profile_id"), contactID: p.id("contact_id"),
                                       move: p.bool("move", default: false))
        }

        registerWrite("profile.detach_contact", MethodSpec(
            "Detaches a contact from its profile.", params: [.required("profile_id", Schema.id), .required("contact_id", Schema.id)],
            result: Schema.ref("ContactDetachment"), errors: [.notFound]), store: store,
                      feed: .named("contact.detached") { (detachment: ContactDetachment, _) in .int(detachment.contactID) }) { p, ctx in
            try await store.detachContact(workspace: ctx.workspace, profileID: p.id("profile_id"), contactID: p.id("contact_id"))
        }

        registerWrite("profile.merge", MethodSpec(
            "Moves from's contacts and notes into into, keeps into's values where both have one, deletes from.",
            params: [.required("into", Schema.id, "the profile that stays"), .required("from", Schema.id, "the profile absorbed"), .dryRun],
            result: Schema.ref("ProfileMerge"), errors: [.notFound]), store: store,
                      feed: .named("profile.merged") { (merge: ProfileMerge, _) in .int(merge.into) }) { p, ctx in
            let into = try p.id("into")
            let from = try p.id("from")
            guard into != from else { throw DomainError.invalid("from", "must be another profile than into") }
            return try await store.mergeProfiles(workspace: ctx.workspace, into: into, from: from, dryRun: p.bool("dry_run", default: false))
        }

        // The event is about the profile that comes back; `data.profiles`
        // lists it and the survivor with their new versions.
        registerWrite("profile.unmerge", MethodSpec(
            "Undoes a merge within the change feed's retention: from comes back with its id, name, values and the contacts and notes still on into; into loses the values it took. What changed since stays and is reported as conflicts.",
            params: [.required("merge_id", Schema.id, "profile.merge's merge_id"), .dryRun],
            result: Schema.ref("ProfileUnmerge"), errors: [.notFound]), store: store,
                      feed: .named("profile.unmerged") { (unmerge: ProfileUnmerge, _) in .int(unmerge.from) }) { p, ctx in
            try await store.unmergeProfiles(workspace: ctx.workspace, mergeID: p.id("merge_id"), dryRun: p.bool("dry_run", default: false))
        }

        registerRead("profile.suggestions", MethodSpec(
            "Candidate profiles (or unassigned contacts) for the same person as a profile or a contact (exactly one of the two).",
            params: [.optional("profile_id", Schema.id, "give this or contact_id"), .optional("contact_id", Schema.id, "give this or profile_id"),
                     .limit],
            result: Schema.ref("ProfileSuggestions"), errors: [.notFound])) { p, ctx in
            let subject: SuggestionSubject
            switch (try p.optionalID("profile_id"), try p.optionalID("contact_id")) {
            case (let id?, nil): subject = .profile(id)
            case (nil, let id?): subject = .contact(id)
            case (.some, .some): throw DomainError.invalid("contact_id", "give either profile_id or contact_id, not both")
            case (nil, nil): throw DomainError.invalid("profile_id", "is required (or contact_id)")
            }
            return try await store.suggestions(workspace: ctx.workspace, subject: subject, limit: p.limit())
        }

        registerRead("profile.export", MethodSpec(
            "Everything stored about one profile (data-subject access).", params: [.required("id", Schema.id)],
            result: Schema.ref("ProfileExport"), errors: [.notFound])) { p, ctx in
            try await store.exportProfile(workspace: ctx.workspace, id: p.id("id"))
        }

        // The event carries ids and counts only (params `id`, `dry_run`).
        registerWrite("profile.erase", MethodSpec(
            "Erases a profile, its contacts, moments, notes, values and every feed event holding them.",
            params: [.required("id", Schema.id), .dryRun],
            result: Schema.ref("ProfileErasure"), errors: [.notFound]), store: store,
                      feed: .named("profile.erased")) { p, ctx in
            try await store.eraseProfile(workspace: ctx.workspace, id: p.id("id"), dryRun: p.bool("dry_run", default: false))
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
