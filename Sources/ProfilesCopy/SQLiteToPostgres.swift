import Foundation
import Logging
import PostgresNIO
import ProfilesPostgres

/// Why a copy did not happen. Nothing is left half-copied: the whole copy
/// is one PostgreSQL transaction, rolled back on any failure.
public struct CopyError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        /// No SQLite file at the path.
        public static let sourceMissing = Code(name: "source_missing")
        /// Not a profiles-server file of this build's schema.
        public static let sourceSchema = Code(name: "source_schema")
        /// SQLite failed to read it, or it holds what PostgreSQL cannot.
        public static let sourceUnreadable = Code(name: "source_unreadable")
        /// The PostgreSQL server cannot be reached or refused the login.
        public static let targetUnreachable = Code(name: "target_unreachable")
        /// The target database already holds data.
        public static let targetNotEmpty = Code(name: "target_not_empty")
        /// Another client holds the target's tables (a server running on it).
        public static let targetBusy = Code(name: "target_busy")
        /// PostgreSQL refused the copy; see the message.
        public static let copyFailed = Code(name: "copy_failed")
        public var description: String { name }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// What a copy did.
public struct CopyReport: Sendable {
    public struct Table: Sendable {
        public let name: String
        public let rows: Int
        public let seconds: Double
    }

    public struct Sequence: Sendable {
        public let table: String
        /// The `setval` given: the next id handed out is one more.
        public let lastValue: Int64
    }

    public let sourcePath: String
    /// The target's URL, password redacted.
    public let target: String
    /// PostgreSQL migrations applied to the target first (empty when its
    /// schema was current).
    public let appliedMigrations: [String]
    /// In copy order, `feed_heads` last.
    public let tables: [Table]
    public let sequences: [Sequence]
    public let feedHeads: [FeedHead]
    /// Field values of a key without a definition: not copied.
    public let skippedFieldValues: Int
    public let seconds: Double

    public var totalRows: Int { tables.reduce(0) { $0 + $1.rows } }
    public func rows(_ table: String) -> Int { tables.first { $0.name == table }?.rows ?? 0 }
}

/// `profiles-server migrate`: copies a SQLite file into an empty
/// PostgreSQL database.
public enum SQLiteToPostgres {
    /// Every table the PostgreSQL schema holds data in; the target must have
    /// no row in any of them.
    public static let tables = ["profiles", "contacts", "contact_aliases", "notes", "moments", "field_definitions",
                                "field_values", "events", "feed_heads", "idempotency_keys", "profile_history", "merge_records"]

    /// Copies every row of the SQLite file at `sourcePath` into the
    /// PostgreSQL database at `target`:
    ///
    /// 1. opens the file read-only (a server may be running on it) and
    ///    checks its schema;
    /// 2. migrates the target to the current PostgreSQL schema;
    /// 3. in one transaction: locks the tables against writers (waiting at
    ///    most `lockTimeout`), refuses unless every table is empty, copies
    ///    each table with `COPY … FROM STDIN` from one SQLite read
    ///    transaction (a consistent snapshot), ids and seqs kept; writes a
    ///    `feed_heads` row for every workspace that has any row; sets each
    ///    `bigserial` past the largest id SQLite handed out; checks the row
    ///    counts; commits.
    ///
    /// Throws a `CopyError` whose message never holds the URL's password.
    public static func copy(from sourcePath: String, to target: PostgresURL, logger: Logger,
                            lockTimeout: Duration = .seconds(10)) async throws(CopyError) -> CopyReport {
        let clock = ContinuousClock()
        let started = clock.now
        let source = try SQLiteSource(path: sourcePath)
        defer { try? source.queue.close() }

        let connection: PostgresConnection
        do {
            let configuration = try target.connectionConfiguration()
            connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        } catch {
            throw CopyError(.targetUnreachable, "cannot connect to \(target.redacted): \(describe(error))")
        }
        do throws(CopyError) {
            let report = try await copy(source, connection: connection, target: target, logger: logger,
                                        lockTimeout: lockTimeout, clock: clock, started: started)
            try? await connection.close()
            return report
        } catch {
            try? await connection.close()
            throw error
        }
    }

    private static func copy(_ source: SQLiteSource, connection: PostgresConnection, target: PostgresURL, logger: Logger,
                             lockTimeout: Duration, clock: ContinuousClock,
                             started: ContinuousClock.Instant) async throws(CopyError) -> CopyReport {
        let applied: [String]
        do {
            applied = try await PostgresMigrations.migrate(connection, logger: logger)
        } catch {
            throw CopyError(.copyFailed, "cannot migrate \(target.redacted) to the current schema: \(describe(error))")
        }
        do {
            try await connection.query("BEGIN ISOLATION LEVEL READ COMMITTED", logger: logger)
        } catch {
            throw CopyError(.copyFailed, "cannot begin a transaction on \(target.redacted): \(describe(error))")
        }
        do throws(CopyError) {
            let report = try await copyInTransaction(source, connection: connection, target: target, logger: logger,
                                                     lockTimeout: lockTimeout, clock: clock, started: started,
                                                     applied: applied)
            // Fresh statistics, so the first queries on the copy get the
            // plans they will get later, and the visibility map set, so
            // profile.list's walks are index-only scans (autovacuum would
            // take a while to do both).
            do {
                try await connection.query("VACUUM (ANALYZE)", logger: logger)
            } catch {
                logger.warning("VACUUM (ANALYZE) after the copy failed; autovacuum will do it", metadata: ["error": "\(describe(error))"])
            }
            return report
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }

    private static func copyInTransaction(_ source: SQLiteSource, connection: PostgresConnection, target: PostgresURL,
                                          logger: Logger, lockTimeout: Duration, clock: ContinuousClock,
                                          started: ContinuousClock.Instant,
                                          applied: [String]) async throws(CopyError) -> CopyReport {
        // No writer may slip in between the emptiness check and the copy:
        // EXCLUSIVE lets plain reads through and nothing else.
        do {
            let milliseconds = max(1, lockTimeout.components.seconds * 1000 + lockTimeout.components.attoseconds / 1_000_000_000_000_000)
            try await connection.query(PostgresQuery(unsafeSQL: "SET LOCAL lock_timeout = \(milliseconds)"), logger: logger)
            try await connection.query(PostgresQuery(unsafeSQL: "LOCK TABLE \(tables.joined(separator: ", ")) IN EXCLUSIVE MODE"),
                                       logger: logger)
            try await connection.query("SET LOCAL lock_timeout = 0", logger: logger)
        } catch {
            if sqlState(error) == "55P03" {
                throw CopyError(.targetBusy, "another client holds the tables of \(target.redacted) (is a profiles-server running on it?); stop it and migrate again")
            }
            throw CopyError(.copyFailed, "cannot lock the tables of \(target.redacted): \(describe(error))")
        }
        try await checkEmpty(connection, target: target, logger: logger)
        let indexes = try await dropSecondaryIndexes(connection, target: target, logger: logger)
        let foreignKeys = try await dropForeignKeys(connection, target: target, logger: logger)

        let iterator = Inbox(source.start())
        defer { source.stop() }
        var tableReports: [CopyReport.Table] = []
        let snapshot: SourceSnapshot
        do {
            guard case .snapshot(let first)? = try await iterator.next() else {
                throw CopyError(.sourceUnreadable, "the SQLite reader ended before it read anything")
            }
            snapshot = first
            for (index, spec) in TableSpec.all.enumerated() {
                let tableStarted = clock.now
                var rows = 0
                try await connection.copyFrom(table: spec.name, columns: spec.columns, logger: logger) { writer in
                    while let message = try await iterator.next() {
                        switch message {
                        case .rows(let table, let bytes, let count):
                            source.consumed()
                            guard table == index else { throw CopyError(.sourceUnreadable, "rows of another table came in") }
                            var buffer = ByteBufferAllocator().buffer(capacity: bytes.count)
                            buffer.writeBytes(bytes)
                            try await writer.write(buffer)
                            rows += count
                        case .tableEnd(let table):
                            guard table == index else { throw CopyError(.sourceUnreadable, "the end of another table came in") }
                            return
                        case .snapshot:
                            throw CopyError(.sourceUnreadable, "a second snapshot came in")
                        }
                    }
                    throw CopyError(.sourceUnreadable, "the SQLite reader ended in the middle of \(spec.name)")
                }
                tableReports.append(.init(name: spec.name, rows: rows, seconds: seconds(clock.now - tableStarted)))
            }
            // The reader commits its read transaction and ends.
            while try await iterator.next() != nil {}
        } catch let error as CopyError {
            source.stop()
            throw error
        } catch {
            source.stop()
            throw CopyError(.copyFailed, "the copy into \(target.redacted) failed: \(describe(error))")
        }

        do {
            let headsStarted = clock.now
            if !snapshot.feedHeads.isEmpty {
                try await connection.copyFrom(table: "feed_heads", columns: ["workspace", "last_seq", "pruned_through"],
                                              logger: logger) { writer in
                    var out = CopyText()
                    for head in snapshot.feedHeads {
                        try out.text(head.workspace)
                        out.integer(head.lastSeq)
                        out.integer(head.prunedThrough)
                        out.endRow()
                    }
                    var buffer = ByteBufferAllocator().buffer(capacity: out.bytes.count)
                    buffer.writeBytes(out.bytes)
                    try await writer.write(buffer)
                }
            }
            tableReports.append(.init(name: "feed_heads", rows: snapshot.feedHeads.count, seconds: seconds(clock.now - headsStarted)))

            // Built once over all the rows: far cheaper than row by row
            // (the trigram GIN index above all).
            if !indexes.isEmpty { try await connection.query("SET LOCAL maintenance_work_mem = '256MB'", logger: logger) }
            for index in indexes {
                try await connection.query(PostgresQuery(unsafeSQL: index.definition), logger: logger)
            }
            // Each foreign key checked once, over all the rows (one join),
            // instead of by a trigger per row; a row it does not hold fails
            // the whole copy.
            for key in foreignKeys {
                do {
                    try await connection.query(PostgresQuery(unsafeSQL: "ALTER TABLE \(key.table) ADD CONSTRAINT \(key.name) \(key.definition)"),
                                               logger: logger)
                } catch {
                    throw CopyError(.copyFailed, "the copied rows break the foreign key \(key.name) of \(key.table): \(describe(error)); nothing was kept")
                }
            }

            // Each bigserial continues after the largest id SQLite handed
            // out: its AUTOINCREMENT counter (an id is never reused, even
            // after a delete), or the largest id copied if larger.
            var sequences: [CopyReport.Sequence] = []
            for table in TableSpec.serialTables {
                let largest = try await connection.query(PostgresQuery(unsafeSQL: "SELECT coalesce(max(id), 0)::bigint FROM \(table)"),
                                                         logger: logger).collect().first?.decode(Int64.self) ?? 0
                let value = max(largest, snapshot.sequences[table] ?? 0)
                if value > 0 {
                    try await connection.query("SELECT setval(pg_get_serial_sequence(\(table), 'id'), \(value), true)", logger: logger)
                } else {
                    try await connection.query("SELECT setval(pg_get_serial_sequence(\(table), 'id'), 1, false)", logger: logger)
                }
                sequences.append(.init(table: table, lastValue: value))
            }

            // What PostgreSQL holds is what was sent.
            for table in tableReports {
                let count = try await connection.query(PostgresQuery(unsafeSQL: "SELECT count(*)::bigint FROM \(table.name)"),
                                                       logger: logger).collect().first?.decode(Int64.self) ?? -1
                guard count == Int64(table.rows) else {
                    throw CopyError(.copyFailed, "\(table.name) holds \(count) rows after the copy, not the \(table.rows) sent; nothing was kept")
                }
            }
            try await connection.query("COMMIT", logger: logger)
            return CopyReport(sourcePath: source.path, target: target.redacted, appliedMigrations: applied, tables: tableReports,
                              sequences: sequences, feedHeads: snapshot.feedHeads,
                              skippedFieldValues: snapshot.orphanFieldValues, seconds: seconds(clock.now - started))
        } catch let error as CopyError {
            throw error
        } catch {
            throw CopyError(.copyFailed, "the copy into \(target.redacted) failed: \(describe(error))")
        }
    }

    /// The indexes of the tables that back no constraint (the sort
    /// orders, the trigram index, the partial unique index on ticket_id),
    /// dropped for the copy and made again after it from their own
    /// definitions, in the same transaction. Primary keys and unique
    /// constraints stay: the foreign keys are checked against them.
    private static func dropSecondaryIndexes(_ connection: PostgresConnection, target: PostgresURL,
                                             logger: Logger) async throws(CopyError) -> [(name: String, definition: String)] {
        do {
            var indexes: [(name: String, definition: String)] = []
            let rows = try await connection.query("""
                SELECT i.indexname, i.indexdef FROM pg_indexes i
                WHERE i.schemaname = current_schema() AND i.tablename = ANY(\(tables))
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                                  WHERE c.conindid = format('%I.%I', i.schemaname, i.indexname)::regclass)
                ORDER BY i.tablename, i.indexname
                """, logger: logger)
            for try await (name, definition) in rows.decode((String, String).self) { indexes.append((name, definition)) }
            for index in indexes {
                try await connection.query(PostgresQuery(unsafeSQL: "DROP INDEX \"\(index.name)\""), logger: logger)
            }
            return indexes
        } catch {
            throw CopyError(.copyFailed, "cannot prepare the indexes of \(target.redacted) for the copy: \(describe(error))")
        }
    }

    /// The foreign keys among the tables, dropped for the copy and added
    /// again after it from their own definitions, in the same transaction.
    private static func dropForeignKeys(_ connection: PostgresConnection, target: PostgresURL,
                                        logger: Logger) async throws(CopyError) -> [(table: String, name: String, definition: String)] {
        do {
            var keys: [(table: String, name: String, definition: String)] = []
            let rows = try await connection.query("""
                SELECT format('%I', t.relname), format('%I', c.conname), pg_get_constraintdef(c.oid)
                FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
                WHERE c.contype = 'f' AND t.relnamespace = current_schema()::regnamespace AND t.relname = ANY(\(tables))
                ORDER BY t.relname, c.conname
                """, logger: logger)
            for try await (table, name, definition) in rows.decode((String, String, String).self) {
                keys.append((table, name, definition))
            }
            for key in keys {
                try await connection.query(PostgresQuery(unsafeSQL: "ALTER TABLE \(key.table) DROP CONSTRAINT \(key.name)"), logger: logger)
            }
            return keys
        } catch {
            throw CopyError(.copyFailed, "cannot prepare the foreign keys of \(target.redacted) for the copy: \(describe(error))")
        }
    }

    private static func checkEmpty(_ connection: PostgresConnection, target: PostgresURL,
                                   logger: Logger) async throws(CopyError) {
        do {
            var held: [String] = []
            for table in tables {
                let count = try await connection.query(PostgresQuery(unsafeSQL: "SELECT count(*)::bigint FROM \(table)"),
                                                       logger: logger).collect().first?.decode(Int64.self) ?? 0
                if count > 0 { held.append("\(count) \(table)") }
            }
            guard !held.isEmpty else { return }
            let union = tables.map { "SELECT workspace FROM \($0)" }.joined(separator: " UNION ")
            var workspaces: [String] = []
            for try await name in try await connection.query(PostgresQuery(unsafeSQL: "SELECT workspace FROM (\(union)) w ORDER BY 1 LIMIT 11"),
                                                               logger: logger).decode(String.self) {
                workspaces.append(name)
            }
            let named = workspaces.prefix(10).joined(separator: ", ") + (workspaces.count > 10 ? ", …" : "")
            throw CopyError(.targetNotEmpty, "\(target.redacted) is not empty: it holds \(held.joined(separator: ", ")) (workspaces \(named)); migrate copies into an empty database only, and nothing was changed")
        } catch let error as CopyError {
            throw error
        } catch {
            throw CopyError(.copyFailed, "cannot read \(target.redacted): \(describe(error))")
        }
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// PostgreSQL's own message for an error (postgres-nio's description
    /// of a `PSQLError` hides it).
    static func describe(_ error: any Error) -> String {
        if let error = error as? CopyError { return error.message }
        guard let error = error as? PSQLError else { return "\(error)" }
        if let info = error.serverInfo {
            var text = info[.message] ?? "error"
            if let detail = info[.detail] { text += " (\(detail))" }
            if let state = info[.sqlState] { text += " [SQLSTATE \(state)]" }
            return text
        }
        if let underlying = error.underlying { return "\(error.code): \(underlying)" }
        return "\(error.code)"
    }
}

/// The reader's messages, taken one at a time by the one task copying
/// (handed into each `copyFrom` closure in turn, never used at once).
private final class Inbox: @unchecked Sendable {
    private var iterator: AsyncThrowingStream<SourceMessage, any Error>.AsyncIterator

    init(_ stream: AsyncThrowingStream<SourceMessage, any Error>) { iterator = stream.makeAsyncIterator() }

    func next() async throws -> SourceMessage? {
        var current = iterator
        defer { iterator = current }
        return try await current.next()
    }
}
