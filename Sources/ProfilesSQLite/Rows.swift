import ProfilesStore
import GRDB
import ProfilesDomain

/// Row decoding for each table, by column position of the SELECT lists
/// below, so hot paths need no name lookups.
enum Columns {
    static let profile = "p.id, p.name, p.contact_count, p.version, p.created_at, p.updated_at"
    static let contact = "c.id, c.channel, c.identifier, c.name, c.profile_id, c.created_at"
    static let note = "n.id, n.profile_id, n.body, n.author, n.created_at, n.updated_at"
    static let moment = "m.id, m.contact_id, c.channel, m.ticket_id, m.subject, m.status, m.started_at, m.last_activity_at"
}

extension Profile {
    /// Without fields, which come from other columns or rows
    /// (`Profiles.fetch`, `ListedProfiles`, `FieldValues.load`).
    init(row: Row) {
        self.init(id: row[0], name: row[1], fields: [:], contactCount: row[2], version: row[3],
                  createdAt: Timestamp(milliseconds: row[4]), updatedAt: Timestamp(milliseconds: row[5]))
    }
}

extension Contact {
    init(row: Row) {
        self.init(id: row[0], channel: Channel(rawValue: row[1]) ?? .custom, identifier: row[2], name: row[3],
                  profileID: row[4], createdAt: Timestamp(milliseconds: row[5]))
    }
}

extension Note {
    init(row: Row) {
        self.init(id: row[0], profileID: row[1], body: row[2], author: row[3],
                  createdAt: Timestamp(milliseconds: row[4]), updatedAt: Timestamp(milliseconds: row[5]))
    }
}

extension Moment {
    init(row: Row) {
        self.init(id: row[0], contactID: row[1], channel: Channel(rawValue: row[2]) ?? .custom, ticketID: row[3],
                  subject: row[4], status: MomentStatus(rawValue: row[5]) ?? .open,
                  startedAt: Timestamp(milliseconds: row[6]), lastActivityAt: Timestamp(milliseconds: row[7]))
    }
}

extension Database {
    /// Rows of a cached statement: prepared once per connection.
    func rows(_ sql: String, _ arguments: StatementArguments = []) throws -> [Row] {
        try Row.fetchAll(cachedStatement(sql: sql), arguments: arguments)
    }

    func row(_ sql: String, _ arguments: StatementArguments = []) throws -> Row? {
        try Row.fetchOne(cachedStatement(sql: sql), arguments: arguments)
    }

    func run(_ sql: String, _ arguments: StatementArguments = []) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }

    /// What GRDB's `inSavepoint` does, with its statements prepared once
    /// per connection: GRDB prepares `SAVEPOINT` and `RELEASE` from text on
    /// every call, about 19,000 instructions of each durable create
    /// (callgrind). A body that throws has its changes rolled back.
    func withSavepoint<T>(_ body: () throws -> T) throws -> T {
        try cachedStatement(sql: "SAVEPOINT profiles_write").execute()
        let result: T
        do {
            result = try body()
        } catch {
            // After an error that made SQLite roll back the whole
            // transaction (a full disk) there is no savepoint left: the
            // caller learns of it from the error and `isInsideTransaction`.
            if isInsideTransaction {
                try? cachedStatement(sql: "ROLLBACK TO SAVEPOINT profiles_write").execute()
                try? cachedStatement(sql: "RELEASE SAVEPOINT profiles_write").execute()
            }
            throw error
        }
        try cachedStatement(sql: "RELEASE SAVEPOINT profiles_write").execute()
        return result
    }
}
