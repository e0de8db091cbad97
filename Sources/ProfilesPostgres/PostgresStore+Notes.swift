import Logging
import PostgresNIO
import ProfilesDomain
import ProfilesStore

/// Notes, as SQLite's ProfilesDatabase+Notes.swift. A note is part of its
/// profile: writing one bumps the profile's version.
extension PostgresStore {
    public func addNote(workspace: String, profileID: Int64, body: String, author: String?) async throws -> Note {
        try PGText.check(body, "body")
        try PGText.check(author, "author")
        return try await write(workspace: workspace) { [logger] connection, versions in
            _ = try await PGProfiles.fetch(connection, workspace: workspace, id: profileID, forUpdate: true, logger: logger)
            let now = Timestamp.now().milliseconds
            guard let row = try await connection.row("""
                INSERT INTO notes (workspace, profile_id, body, author, created_at, updated_at)
                VALUES (\(workspace), \(profileID), \(body), \(author), \(now), \(now))
                RETURNING id, profile_id, body, author, created_at, updated_at
                """, logger) else { throw DomainError.notFound("profile", profileID) }
            try await PGProfiles.bump(connection, workspace: workspace, id: profileID, versions: &versions, logger: logger)
            let note = try Note(pgRow: row)
            PGHistory.record(&versions, profileID: profileID, HistoryChanges(notes: [.init(.added, id: note.id)]))
            return note
        }
    }

    public func updateNote(workspace: String, id: Int64, body: String) async throws -> Note {
        try PGText.check(body, "body")
        return try await write(workspace: workspace) { [logger] connection, versions in
            let note = try await PGNotes.fetch(connection, workspace: workspace, id: id, forUpdate: true, logger: logger)
            guard note.body != body else { return note }
            guard let row = try await connection.row("""
                UPDATE notes SET body = \(body), updated_at = \(Timestamp.now().milliseconds) WHERE workspace = \(workspace) AND id = \(id)
                RETURNING id, profile_id, body, author, created_at, updated_at
                """, logger) else { throw DomainError.notFound("note", id) }
            try await PGProfiles.bump(connection, workspace: workspace, id: note.profileID, versions: &versions, logger: logger)
            PGHistory.record(&versions, profileID: note.profileID, HistoryChanges(notes: [.init(.updated, id: id)]))
            return try Note(pgRow: row)
        }
    }

    public func deleteNote(workspace: String, id: Int64) async throws -> NoteDeletion {
        try await write(workspace: workspace) { [logger] connection, versions in
            let note = try await PGNotes.fetch(connection, workspace: workspace, id: id, forUpdate: true, logger: logger)
            try await connection.run("DELETE FROM notes WHERE workspace = \(workspace) AND id = \(id)", logger)
            try await PGProfiles.bump(connection, workspace: workspace, id: note.profileID, versions: &versions, logger: logger)
            PGHistory.record(&versions, profileID: note.profileID, HistoryChanges(notes: [.init(.deleted, id: id)]))
            return NoteDeletion(id: id)
        }
    }

    /// Newest first.
    public func listNotes(workspace: String, profileID: Int64, limit: Int, cursor: String?) async throws -> Page<Note> {
        let scope = Cursor.scope(("profile_id", String(profileID)))
        let after = try Cursor.pair(cursor, kind: "n", scope: scope)
        return try await readSnapshot { [logger] connection in
            _ = try await PGProfiles.fetch(connection, workspace: workspace, id: profileID, logger: logger)
            var items: [Note]
            if let (created, id) = after {
                items = try await connection.rows("""
                    SELECT \(unescaped: PGColumns.note) FROM notes n
                    WHERE n.workspace = \(workspace) AND n.profile_id = \(profileID) AND (n.created_at, n.id) < (\(created), \(id))
                    ORDER BY n.created_at DESC, n.id DESC LIMIT \(Int64(limit + 1))
                    """, logger).map(Note.init(pgRow:))
            } else {
                items = try await connection.rows("""
                    SELECT \(unescaped: PGColumns.note) FROM notes n WHERE n.workspace = \(workspace) AND n.profile_id = \(profileID)
                    ORDER BY n.created_at DESC, n.id DESC LIMIT \(Int64(limit + 1))
                    """, logger).map(Note.init(pgRow:))
            }
            let more = items.count > limit
            if more { items.removeLast() }
            let next = more ? items.last.map { Cursor.encode(kind: "n", scope: scope, [String($0.createdAt.milliseconds), String($0.id)]) } : nil
            return Page(items: items, nextCursor: next)
        }
    }
}

enum PGNotes {
    static func fetch(_ connection: PostgresConnection, workspace: String, id: Int64, forUpdate: Bool = false,
                      logger: Logger) async throws -> Note {
        guard let row = try await connection.row("""
            SELECT \(unescaped: PGColumns.note) FROM notes n WHERE n.workspace = \(workspace) AND n.id = \(id)
            \(unescaped: forUpdate ? "FOR UPDATE" : "")
            """, logger) else { throw DomainError.notFound("note", id) }
        return try Note(pgRow: row)
    }
}
