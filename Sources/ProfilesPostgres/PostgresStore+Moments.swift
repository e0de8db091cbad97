import Logging
import PostgresNIO
import ProfilesDomain
import ProfilesStore

/// Moments, as SQLite's ProfilesDatabase+Moments.swift. A moment belongs to
/// a contact; writing one bumps no profile.
extension PostgresStore {
    public func createMoment(workspace: String, contactID: Int64, ticketID: String?, subject: String?, status: MomentStatus,
                             startedAt: Timestamp?) async throws -> Moment {
        try PGText.check(ticketID, "ticket_id")
        try PGText.check(subject, "subject")
        return try await write(workspace: workspace) { [logger] connection, versions in
            _ = try await PGContacts.fetch(connection, workspace: workspace, id: contactID, forUpdate: true, logger: logger)
            // A concurrent create with the same ticket fails on
            // moments_by_ticket; `write` runs it again, and this check then
            // gives SQLite's answer.
            if let ticketID { try await PGMoments.checkTicketFree(connection, workspace: workspace, ticketID: ticketID, logger: logger) }
            let started = (startedAt ?? .now()).milliseconds
            guard let row = try await connection.row("""
                INSERT INTO moments (workspace, contact_id, ticket_id, subject, status, started_at, last_activity_at)
                VALUES (\(workspace), \(contactID), \(ticketID), \(subject), \(status.rawValue), \(started), \(started))
                RETURNING id
                """, logger) else { throw DomainError.notFound("contact", contactID) }
            versions.changed = true
            return try await PGMoments.fetch(connection, workspace: workspace, id: try row.decode(Int64.self), logger: logger)
        }
    }

    public func moment(workspace: String, id: Int64) async throws -> Moment {
        try await read { [logger] connection in try await PGMoments.fetch(connection, workspace: workspace, id: id, logger: logger) }
    }

    public func updateMoment(workspace: String, id: Int64, change: MomentChange) async throws -> Moment {
        try PGText.check(change.subject ?? nil, "subject")
        return try await write(workspace: workspace) { [logger] connection, versions in
            var moment = try await PGMoments.fetch(connection, workspace: workspace, id: id, forUpdate: true, logger: logger)
            if let status = change.status { moment.status = status }
            if let subject = change.subject { moment.subject = subject }
            if let last = change.lastActivityAt {
                guard last >= moment.startedAt else {
                    throw DomainError.invalid("last_activity_at", "must not be before started_at (\(moment.startedAt))")
                }
                moment.lastActivityAt = last
            }
            // Only a real change touches the row (and so makes an event).
            let (status, subject, last) = (moment.status.rawValue, moment.subject, moment.lastActivityAt.milliseconds)
            if try await connection.run("""
                UPDATE moments SET status = \(status), subject = \(subject), last_activity_at = \(last)
                WHERE workspace = \(workspace) AND id = \(id)
                AND (status IS DISTINCT FROM \(status) OR subject IS DISTINCT FROM \(subject)
                     OR last_activity_at IS DISTINCT FROM \(last))
                RETURNING 1
                """, logger) > 0 {
                versions.changed = true
            }
            return moment
        }
    }

    /// Newest `started_at` first.
    public func listMoments(workspace: String, owner: MomentOwner, status: MomentStatus?, limit: Int,
                            cursor: String?) async throws -> Page<Moment> {
        let scope: String
        var profileID: Int64?
        var contactID: Int64?
        switch owner {
        case .profile(let id):
            scope = Cursor.scope(("profile_id", String(id)), ("status", status?.rawValue))
            profileID = id
        case .contact(let id):
            scope = Cursor.scope(("contact_id", String(id)), ("status", status?.rawValue))
            contactID = id
        }
        let after = try Cursor.pair(cursor, kind: "m", scope: scope)
        let (byProfile, byContact) = (profileID, contactID)
        let statusText = status?.rawValue
        return try await readSnapshot { [logger] connection in
            if let byProfile { _ = try await PGProfiles.fetch(connection, workspace: workspace, id: byProfile, logger: logger) }
            if let byContact { _ = try await PGContacts.fetch(connection, workspace: workspace, id: byContact, logger: logger) }
            // Each filter holds when it is not given (a NULL param).
            var items = try await connection.rows("""
                SELECT \(unescaped: PGColumns.moment) FROM moments m
                JOIN contacts c ON c.workspace = m.workspace AND c.id = m.contact_id
                WHERE m.workspace = \(workspace)
                AND (\(byProfile)::bigint IS NULL OR c.profile_id = \(byProfile))
                AND (\(byContact)::bigint IS NULL OR m.contact_id = \(byContact))
                AND (\(statusText)::text IS NULL OR m.status = \(statusText))
                AND (\(after?.0)::bigint IS NULL OR (m.started_at, m.id) < (\(after?.0), \(after?.1)))
                ORDER BY m.started_at DESC, m.id DESC LIMIT \(Int64(limit + 1))
                """, logger).map(Moment.init(pgRow:))
            let more = items.count > limit
            if more { items.removeLast() }
            let next = more ? items.last.map { Cursor.encode(kind: "m", scope: scope, [String($0.startedAt.milliseconds), String($0.id)]) } : nil
            return Page(items: items, nextCursor: next)
        }
    }
}

enum PGMoments {
    static func fetch(_ connection: PostgresConnection, workspace: String, id: Int64, forUpdate: Bool = false,
                      logger: Logger) async throws -> Moment {
        guard let row = try await connection.row("""
            SELECT \(unescaped: PGColumns.moment) FROM moments m JOIN contacts c ON c.workspace = m.workspace AND c.id = m.contact_id
            WHERE m.workspace = \(workspace) AND m.id = \(id)
            \(unescaped: forUpdate ? "FOR UPDATE OF m" : "")
            """, logger) else { throw DomainError.notFound("moment", id) }
        return try Moment(pgRow: row)
    }

    static func checkTicketFree(_ connection: PostgresConnection, workspace: String, ticketID: String, logger: Logger) async throws {
        if let row = try await connection.row("""
            SELECT id FROM moments WHERE workspace = \(workspace) AND ticket_id = \(ticketID)
            """, logger) {
            let existing = try row.decode(Int64.self)
            throw DomainError.conflict("ticket_id '\(ticketID)' is already used by moment \(existing)", reason: "duplicate_ticket_id",
                                       details: ["moment_id": .int(existing)])
        }
    }
}
