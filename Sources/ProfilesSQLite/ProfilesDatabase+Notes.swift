import ProfilesStore
import GRDB
import ProfilesDomain

extension ProfilesDatabase {
    public func addNote(workspace: String, profileID: Int64, body: String, author: String?) throws -> Note {
        try write { db in
            _ = try Profiles.fetch(db, workspace: workspace, id: profileID)
            let now = Timestamp.now().milliseconds
            try db.run("INSERT INTO notes(workspace, profile_id, body, author, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                       [workspace, profileID, body, author, now, now])
            let id = db.lastInsertedRowID
            try Profiles.bump(db, id: profileID)
            try ProfileHistory.record(db, profileID: profileID, HistoryChanges(notes: [.init(.added, id: id)]))
            return try Notes.fetch(db, workspace: workspace, id: id)
        }
    }

    public func updateNote(workspace: String, id: Int64, body: String) throws -> Note {
        try write { db in
            let note = try Notes.fetch(db, workspace: workspace, id: id)
            guard note.body != body else { return note }
            try db.run("UPDATE notes SET body = ?, updated_at = ? WHERE id = ?", [body, Timestamp.now().milliseconds, id])
            try Profiles.bump(db, id: note.profileID)
            try ProfileHistory.record(db, profileID: note.profileID, HistoryChanges(notes: [.init(.updated, id: id)]))
            return try Notes.fetch(db, workspace: workspace, id: id)
        }
    }

    public func deleteNote(workspace: String, id: Int64) throws -> NoteDeletion {
        try write { db in
            let note = try Notes.fetch(db, workspace: workspace, id: id)
            try db.run("DELETE FROM notes WHERE id = ?", [id])
            try Profiles.bump(db, id: note.profileID)
            try ProfileHistory.record(db, profileID: note.profileID, HistoryChanges(notes: [.init(.deleted, id: id)]))
            return NoteDeletion(id: id)
        }
    }

    /// Newest first.
    public func listNotes(workspace: String, profileID: Int64, limit: Int, cursor: String?) throws -> Page<Note> {
        let scope = Cursor.scope(("profile_id", String(profileID)))
        let after = try Cursor.pair(cursor, kind: "n", scope: scope)
        return try read { db in
            _ = try Profiles.fetch(db, workspace: workspace, id: profileID)
            var items: [Note]
            if let (created, id) = after {
                items = try db.rows("""
                    SELECT \(Columns.note) FROM notes n WHERE n.profile_id = ? AND (n.created_at, n.id) < (?, ?)
                    ORDER BY n.created_at DESC, n.id DESC LIMIT ?
                    """, [profileID, created, id, limit + 1]).map(Note.init(row:))
            } else {
                items = try db.rows("""
                    SELECT \(Columns.note) FROM notes n WHERE n.profile_id = ? ORDER BY n.created_at DESC, n.id DESC LIMIT ?
                    """, [profileID, limit + 1]).map(Note.init(row:))
            }
            let more = items.count > limit
            if more { items.removeLast() }
            let next = more ? items.last.map { Cursor.encode(kind: "n", scope: scope, [String($0.createdAt.milliseconds), String($0.id)]) } : nil
            return Page(items: items, nextCursor: next)
        }
    }
}

enum Notes {
    static func fetch(_ db: Database, workspace: String, id: Int64) throws -> Note {
        guard let row = try db.row("SELECT \(Columns.note) FROM notes n WHERE n.id = ? AND n.workspace = ?", [id, workspace])
        else { throw DomainError.notFound("note", id) }
        return Note(row: row)
    }
}
