import Logging
import PostgresNIO
import ProfilesDomain
import ProfilesStore

/// Row decoding for each table, by column position of the SELECT lists
/// below (the same lists as SQLite's `Columns`).
enum PGColumns {
    static let profile = "p.id, p.name, p.contact_count, p.version, p.created_at, p.updated_at"
    static let contact = "c.id, c.channel, c.identifier, c.name, c.profile_id, c.created_at"
    static let note = "n.id, n.profile_id, n.body, n.author, n.created_at, n.updated_at"
    static let moment = "m.id, m.contact_id, c.channel, m.ticket_id, m.subject, m.status, m.started_at, m.last_activity_at"
}

extension Profile {
    /// The first six columns are `PGColumns.profile`; fields are loaded
    /// separately.
    init(pgRow row: PostgresRow) throws {
        let (id, name, count, version, created, updated) = try row.decode((Int64, String, Int32, Int64, Int64, Int64).self)
        self.init(id: id, name: name, fields: [:], contactCount: Int(count), version: version,
                  createdAt: Timestamp(milliseconds: created), updatedAt: Timestamp(milliseconds: updated))
    }
}

extension Contact {
    init(pgRow row: PostgresRow) throws {
        let (id, channel, identifier, name, profileID, created) = try row.decode((Int64, String, String, String?, Int64?, Int64).self)
        self.init(id: id, channel: Channel(rawValue: channel) ?? .custom, identifier: identifier, name: name,
                  profileID: profileID, createdAt: Timestamp(milliseconds: created))
    }
}

extension Note {
    init(pgRow row: PostgresRow) throws {
        let (id, profileID, body, author, created, updated) = try row.decode((Int64, Int64, String, String?, Int64, Int64).self)
        self.init(id: id, profileID: profileID, body: body, author: author,
                  createdAt: Timestamp(milliseconds: created), updatedAt: Timestamp(milliseconds: updated))
    }
}

extension Moment {
    init(pgRow row: PostgresRow) throws {
        let (id, contactID, channel, ticketID, subject, status, started, last) =
            try row.decode((Int64, Int64, String, String?, String?, String, Int64, Int64).self)
        self.init(id: id, contactID: contactID, channel: Channel(rawValue: channel) ?? .custom, ticketID: ticketID,
                  subject: subject, status: MomentStatus(rawValue: status) ?? .open,
                  startedAt: Timestamp(milliseconds: started), lastActivityAt: Timestamp(milliseconds: last))
    }
}

extension PostgresConnection {
    /// All rows of a statement.
    func rows(_ query: PostgresQuery, _ logger: Logger, file: String = #fileID, line: Int = #line) async throws -> [PostgresRow] {
        try await self.query(query, logger: logger, file: file, line: line).collect()
    }

    /// The first row of a statement, if any.
    func row(_ query: PostgresQuery, _ logger: Logger, file: String = #fileID, line: Int = #line) async throws -> PostgresRow? {
        try await self.query(query, logger: logger, file: file, line: line).collect().first
    }

    /// Runs a statement; returns how many rows it returned (a statement
    /// ending in `RETURNING 1` counts the rows it changed).
    @discardableResult
    func run(_ query: PostgresQuery, _ logger: Logger, file: String = #fileID, line: Int = #line) async throws -> Int {
        try await self.query(query, logger: logger, file: file, line: line).collect().count
    }
}

extension PostgresQuery {
    /// Appends `value` as the next bind parameter (`$n`), for statements
    /// built piece by piece.
    mutating func append<Value: PostgresDynamicTypeEncodable>(_ value: Value) {
        binds.append(value)
        sql += "$\(binds.count)"
    }

    /// Appends a list's keyset condition: ` AND (name, id) > (…)` after a
    /// name-order cursor, ` AND (updated, id) < (…)` after a recent-first
    /// one, on the columns named (a profile's, or a field value's copies).
    mutating func appendAfter(_ nameAfter: (key: String, id: Int64)?, _ recentAfter: (updated: Int64, id: Int64)?,
                              name: String, updated: String, id: String) {
        if let nameAfter {
            sql += " AND (\(name), \(id)) > ("
            append(nameAfter.key)
            sql += ", "
            append(nameAfter.id)
            sql += ")"
        }
        if let recentAfter {
            sql += " AND (\(updated), \(id)) < ("
            append(recentAfter.updated)
            sql += ", "
            append(recentAfter.id)
            sql += ")"
        }
    }
}
