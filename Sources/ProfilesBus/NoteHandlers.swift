import ProfilesDomain
import ProfilesStore

/// note.add / update / delete / list
extension CommandBus.Registry {
    mutating func registerNoteMethods(database: ProfilesDatabase) {
        register("note.add", params: ["profile_id", "body", "author"]) { p, ctx in
            let body = try Validation.text(p.string("body"), field: "body", max: 10_000, multiline: true)
            let author = try p.optionalString("author").map { a throws(DomainError) in try Validation.name(a, field: "author") }
            return try database.addNote(workspace: ctx.workspace, profileID: p.id("profile_id"), body: body, author: author)
        }

        register("note.update", params: ["id", "body"]) { p, ctx in
            let body = try Validation.text(p.string("body"), field: "body", max: 10_000, multiline: true)
            return try database.updateNote(workspace: ctx.workspace, id: p.id("id"), body: body)
        }

        register("note.delete", params: ["id"]) { p, ctx in
            try database.deleteNote(workspace: ctx.workspace, id: p.id("id"))
        }

        register("note.list", params: ["profile_id", "limit", "cursor"]) { p, ctx in
            try database.listNotes(workspace: ctx.workspace, profileID: p.id("profile_id"), limit: p.limit(), cursor: p.optionalString("cursor"))
        }
    }
}
