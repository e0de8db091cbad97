import ProfilesStore
import GRDB
import ProfilesDomain

extension ProfilesDatabase {
    public func createMoment(workspace: String, contactID: Int64, ticketID: String?, subject: String?, status: MomentStatus,
                             startedAt: Timestamp?) throws -> Moment {
        try write { db in
            _ = try Contacts.fetch(db, workspace: workspace, id: contactID)
            if let ticketID { try Moments.checkTicketFree(db, workspace: workspace, ticketID: ticketID) }
            let started = (startedAt ?? .now()).milliseconds
            try db.run("""
                INSERT INTO moments(workspace, contact_id, ticket_id, subject, status, started_at, last_activity_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, [workspace, contactID, ticketID, subject, status.rawValue, started, started])
            return try Moments.fetch(db, workspace: workspace, id: db.lastInsertedRowID)
        }
    }

    public func moment(workspace: String, id: Int64) throws -> Moment {
        try readStatement { db in try Moments.fetch(db, workspace: workspace, id: id) }
    }

    public func updateMoment(workspace: String, id: Int64, change: MomentChange) throws -> Moment {
        try write { db in
            var moment = try Moments.fetch(db, workspace: workspace, id: id)
            if let status = change.status { moment.status = status }
            if let subject = change.subject { moment.subject = subject }
            if let last = change.lastActivityAt {
                guard last >= moment.startedAt else {
                    throw DomainError.invalid("last_activity_at", "must not be before started_at (\(moment.startedAt))")
                }
                moment.lastActivityAt = last
            }
            // Only a real change touches the row (and so makes an event).
            try db.run("""
                UPDATE moments SET status = ?1, subject = ?2, last_activity_at = ?3 WHERE id = ?4
                AND (status IS NOT ?1 OR subject IS NOT ?2 OR last_activity_at IS NOT ?3)
                """, [moment.status.rawValue, moment.subject, moment.lastActivityAt.milliseconds, id])
            return moment
        }
    }

    /// Newest `started_at` first.
    public func listMoments(workspace: String, owner: MomentOwner, status: MomentStatus?, limit: Int,
                            cursor: String?) throws -> Page<Moment> {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        switch owner {
        case .profile(let id):
            conditions.append("c.profile_id = ?")
            arguments += [id]
        case .contact(let id):
            conditions.append("m.contact_id = ?")
            arguments += [id]
        }
        if let status {
            conditions.append("m.status = ?")
            arguments += [status.rawValue]
        }
        let scope: String
        switch owner {
        case .profile(let id): scope = Cursor.scope(("profile_id", String(id)), ("status", status?.rawValue))
        case .contact(let id): scope = Cursor.scope(("contact_id", String(id)), ("status", status?.rawValue))
        }
        if let (started, id) = try Cursor.pair(cursor, kind: "m", scope: scope) {
            conditions.append("(m.started_at, m.id) < (?, ?)")
            arguments += [started, id]
        }
        arguments += [limit + 1]
        let sql = """
            SELECT \(Columns.moment) FROM moments m JOIN contacts c ON c.id = m.contact_id
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY m.started_at DESC, m.id DESC LIMIT ?
            """
        return try read { db in
            switch owner {
            case .profile(let id): _ = try Profiles.fetch(db, workspace: workspace, id: id)
            case .contact(let id): _ = try Contacts.fetch(db, workspace: workspace, id: id)
            }
            var items = try db.rows(sql, arguments).map(Moment.init(row:))
            let more = items.count > limit
            if more { items.removeLast() }
            let next = more ? items.last.map { Cursor.encode(kind: "m", scope: scope, [String($0.startedAt.milliseconds), String($0.id)]) } : nil
            return Page(items: items, nextCursor: next)
        }
    }
}

enum Moments {
    static func fetch(_ db: Database, workspace: String, id: Int64) throws -> Moment {
        guard let row = try db.row("""
            SELECT \(Columns.moment) FROM moments m JOIN contacts c ON c.id = m.contact_id WHERE m.id = ? AND m.workspace = ?
            """, [id, workspace])
        else { throw DomainError.notFound("moment", id) }
        return Moment(row: row)
    }

    static func checkTicketFree(_ db: Database, workspace: String, ticketID: String) throws {
        if let existing = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM moments WHERE workspace = ? AND ticket_id = ?"),
                                             arguments: [workspace, ticketID]) {
            throw DomainError.conflict("ticket_id '\(ticketID)' is already used by moment \(existing)", reason: "duplicate_ticket_id",
                                       details: ["moment_id": .int(existing)])
        }
    }
}
