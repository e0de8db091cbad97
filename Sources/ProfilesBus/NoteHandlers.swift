import ProfilesDomain
import ProfilesStore

/// note.add / update / delete / list
extension CommandBus.Registry {
    mutating func registerNoteMethods(database: ProfilesDatabase) {
        registerWrite("note.add", params: ["profile_id", "body", "author"], database: database,
                      feed: .named("note.added")) { p, ctx in
            let body = try Validation.text(p.string("body"), field: "body", max: 10_000, multiline: true)
            let author = try p.optionalString("author").map { a throws(DomainError) in try Validation.name(a, field: "author") }
            return try database.addNote(workspace: ctx.workspace, profileID: p.id("profile_id"), body: body, author: author)
        }

        registerWrite("note.update", params: ["id", "body"], database: database,
                      feed: .named("note.updated")) { p, ctx in
            let body = try Validation.text(p.string("body"), field: "body", max: 10_000, multiline: true)
            return try database.updateNote(workspace: ctx.workspace, id: p.id("id"), body: body)
        }

        registerWrite("note.delete", params: ["id"], database: database,
                      feed: .named("note.deleted")) { p, ctx in
            try database.deleteNote(workspace: ctx.workspace, id: p.id("id"))
        }

        register("note.list", params: ["profile_id", "limit", "cursor"]) { p, ctx in
            try database.listNotes(workspace: ctx.workspace, profileID: p.id("profile_id"), limit: p.limit(), cursor: p.optionalString("cursor"))
        }
    }
}
