import ProfilesDomain
import ProfilesStore

/// note.add / update / delete / list
extension CommandBus.Registry {
    mutating func registerNoteMethods(store: any ProfileStore) {
        registerWrite("note.add", MethodSpec(
            "Adds a note to a profile.",
            params: [.required("profile_id", Schema.id), .required("body", Schema.text(max: 10_000)),
                     .optional("author", Schema.text(max: 200))],
            result: Schema.ref("Note"), errors: [.notFound]), store: store,
                      feed: .named("note.added")) { p, ctx in
            let body = try Validation.text(p.string("body"), field: "body", max: 10_000, multiline: true)
            let author = try p.optionalString("author").map { a throws(DomainError) in try Validation.name(a, field: "author") }
            return try await store.addNote(workspace: ctx.workspace, profileID: p.id("profile_id"), body: body, author: author)
        }

        registerWrite("note.update", MethodSpec(
            "Replaces a note's body.", params: [.required("id", Schema.id), .required("body", Schema.text(max: 10_000))],
            result: Schema.ref("Note"), errors: [.notFound]), store: store,
                      feed: .named("note.updated")) { p, ctx in
            let body = try Validation.text(p.string("body"), field: "body", max: 10_000, multiline: true)
            return try await store.updateNote(workspace: ctx.workspace, id: p.id("id"), body: body)
        }

        registerWrite("note.delete", MethodSpec(
            "Deletes a note.", params: [.required("id", Schema.id)], result: Schema.ref("NoteDeletion"), errors: [.notFound]),
                      store: store,
                      feed: .named("note.deleted")) { p, ctx in
            try await store.deleteNote(workspace: ctx.workspace, id: p.id("id"))
        }

        registerRead("note.list", MethodSpec(
            "A page of a profile's notes, newest first.", params: [.required("profile_id", Schema.id), .limit, .cursor],
            result: Schema.ref("NotePage"), errors: [.notFound])) { p, ctx in
            try await store.listNotes(workspace: ctx.workspace, profileID: p.id("profile_id"), limit: p.limit(), cursor: p.optionalString("cursor"))
        }
    }
}
