import ProfilesDomain
import ProfilesStore

/// moment.create / get / update / list
extension CommandBus.Registry {
    mutating func registerMomentMethods(store: any ProfileStore) {
        registerWrite("moment.create", MethodSpec(
            "Records a conversation (ticket) with a contact.",
            params: [.required("contact_id", Schema.id), .optional("ticket_id", Schema.text(max: 255), "unique per workspace"),
                     .optional("subject", Schema.text(max: 500)), .optional("status", Schema.enum(MomentStatus.self), "default open"),
                     .optional("started_at", Schema.timestampParam, "default now")],
            result: Schema.ref("Moment"), errors: [.notFound, .conflict]), store: store,
                      feed: .named("moment.created")) { p, ctx in
            try await store.createMoment(
                workspace: ctx.workspace, contactID: p.id("contact_id"), ticketID: p.ticketID(), subject: p.subject(),
                status: p.optionalEnum("status", MomentStatus.self) ?? .open, startedAt: p.timestamp("started_at"))
        }

        registerRead("moment.get", MethodSpec("One contact moment.", params: [.required("id", Schema.id)], result: Schema.ref("Moment"),
                                          errors: [.notFound])) { p, ctx in
            try await store.moment(workspace: ctx.workspace, id: p.id("id"))
        }

        registerWrite("moment.update", MethodSpec(
            "Changes a moment's status, subject (null clears it) or last activity.",
            params: [.required("id", Schema.id), .optional("status", Schema.enum(MomentStatus.self)),
                     .optional("subject", Schema.nullable(Schema.text(max: 500)), "null clears the subject"),
                     .optional("last_activity_at", Schema.timestampParam)],
            result: Schema.ref("Moment"), errors: [.notFound]), store: store,
                      feed: .named("moment.updated")) { p, ctx in
            // `subject: null` clears it; absent leaves it.
            let subject: String?? = p.has("subject") ? .some(try p.subject()) : nil
            let change = MomentChange(status: try p.optionalEnum("status", MomentStatus.self), subject: subject,
                                      lastActivityAt: try p.timestamp("last_activity_at"))
            return try await store.updateMoment(workspace: ctx.workspace, id: p.id("id"), change: change)
        }

        registerRead("moment.list", MethodSpec(
            "A page of the moments of a profile or of a contact (exactly one of the two), newest started_at first.",
            params: [.optional("profile_id", Schema.id, "give this or contact_id"), .optional("contact_id", Schema.id, "give this or profile_id"),
                     .optional("status", Schema.enum(MomentStatus.self)), .limit, .cursor],
            result: Schema.ref("MomentPage"), errors: [.notFound])) { p, ctx in
            let owner: MomentOwner
            switch (try p.optionalID("profile_id"), try p.optionalID("contact_id")) {
            case (let profile?, nil): owner = .profile(profile)
            case (nil, let contact?): owner = .contact(contact)
            case (nil, nil): throw DomainError.invalid("profile_id", "give exactly one of profile_id and contact_id")
            case (_?, _?): throw DomainError.invalid("contact_id", "give exactly one of profile_id and contact_id, not both")
            }
            return try await store.listMoments(workspace: ctx.workspace, owner: owner, status: p.optionalEnum("status", MomentStatus.self),
                                            limit: p.limit(), cursor: p.optionalString("cursor"))
        }
    }
}

extension Params {
    func ticketID() throws(DomainError) -> String? {
        try optionalString("ticket_id").map { t throws(DomainError) in try Validation.text(t, field: "ticket_id", max: 255) }
    }

    func subject() throws(DomainError) -> String? {
        try optionalString("subject").map { s throws(DomainError) in try Validation.text(s, field: "subject", max: 500) }
    }

    /// An RFC 3339 timestamp param.
    func timestamp(_ key: String) throws(DomainError) -> Timestamp? {
        guard let text = try optionalString(key) else { return nil }
        guard let value = Timestamp(rfc3339: text) else {
            throw .invalid(key, "must be an RFC 3339 timestamp like 2026-11-29T10:47:35.123Z")
        }
        return value
    }
}
