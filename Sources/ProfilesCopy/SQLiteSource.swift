import Foundation
import GRDB
import ProfilesDomain
import ProfilesSQLite
import Synchronization

/// One table as it is copied: what is read from SQLite, in which order,
/// and how each row becomes a row of PostgreSQL's table.
struct TableSpec: Sendable {
    let name: String
    /// PostgreSQL's columns, in the order `encode` writes them.
    let columns: [String]
    /// The SQLite query, in primary-key order.
    let sql: String
    let encode: @Sendable (Row, inout CopyText) throws -> Void

    /// Every column as it is stored, in the query's order; the columns at
    /// `booleans` are SQLite's 0/1.
    init(_ name: String, columns: [String], sql: String, booleans: Set<Int> = []) {
        self.name = name
        self.columns = columns
        self.sql = sql
        let count = columns.count
        encode = { row, out in
            for index in 0..<count {
                let value: DatabaseValue = row[index]
                if booleans.contains(index) { try out.boolean(value) } else { try out.value(value) }
            }
        }
    }

    init(_ name: String, columns: [String], sql: String, encode: @escaping @Sendable (Row, inout CopyText) throws -> Void) {
        self.name = name
        self.columns = columns
        self.sql = sql
        self.encode = encode
    }

    /// Every table but `feed_heads` (made from the snapshot), parents
    /// before children, as the foreign keys need.
    static let all: [TableSpec] = [
        TableSpec("profiles",
                  columns: ["workspace", "id", "name", "name_key", "version", "contact_count", "created_at", "updated_at", "search_doc"],
                  // search_doc is the same text in both stores (lower-cased
                  // name, then each contact's identifier and name, in id
                  // order, joined by newlines: SearchIndex.refresh): copied.
                  sql: """
                      SELECT workspace, id, name, name_key, version, contact_count, created_at, updated_at, search_doc
                      FROM profiles ORDER BY id
                      """),
        TableSpec("contacts",
                  columns: ["workspace", "id", "channel", "identifier", "name", "profile_id", "created_at"],
                  sql: "SELECT workspace, id, channel, identifier, name, profile_id, created_at FROM contacts ORDER BY id"),
        TableSpec("contact_aliases",
                  columns: ["workspace", "contact_id", "channel", "identifier"],
                  sql: "SELECT workspace, contact_id, channel, identifier FROM contact_aliases ORDER BY contact_id, identifier"),
        TableSpec("notes",
                  columns: ["workspace", "id", "profile_id", "body", "author", "created_at", "updated_at"],
                  sql: "SELECT workspace, id, profile_id, body, author, created_at, updated_at FROM notes ORDER BY id"),
        TableSpec("moments",
                  columns: ["workspace", "id", "contact_id", "ticket_id", "subject", "status", "started_at", "last_activity_at"],
                  sql: """
                      SELECT workspace, id, contact_id, ticket_id, subject, status, started_at, last_activity_at
                      FROM moments ORDER BY id
                      """),
        TableSpec("field_definitions",
                  columns: ["workspace", "key", "label", "type", "options", "required", "created_at", "position"],
                  sql: """
                      SELECT workspace, key, label, type, options, required, created_at, position
                      FROM field_definitions ORDER BY workspace, key
                      """,
                  booleans: [5]),
        // SQLite's one dynamically typed value becomes the typed column of
        // the definition's type, read as the SQLite store reads it
        // (FieldValues.decode). A value without a definition (none should
        // exist: field.delete removes them) cannot be kept: the foreign key
        // needs one. They are counted in the report.
        TableSpec("field_values",
                  columns: ["workspace", "profile_id", "key", "text_value", "number_value", "bool_value"],
                  sql: """
                      SELECT v.workspace, v.profile_id, v.key, v.value, d.type FROM field_values v
                      JOIN field_definitions d ON d.workspace = v.workspace AND d.key = v.key
                      ORDER BY v.profile_id, v.key
                      """) { row, out in
                          try out.value(row[0])
                          try out.value(row[1])
                          try out.value(row[2])
                          let value: DatabaseValue = row[3]
                          let type: String = row[4]
                          switch FieldDefinition.FieldType(rawValue: type) {
                          case .boolean:
                              out.null()
                              out.null()
                              out.boolean((Int64.fromDatabaseValue(value) ?? 0) != 0)
                          case .number:
                              out.null()
                              out.double(Double.fromDatabaseValue(value) ?? 0)
                              out.null()
                          default:
                              try out.text(String.fromDatabaseValue(value) ?? "")
                              out.null()
                              out.null()
                          }
                      },
        TableSpec("events",
                  columns: ["workspace", "seq", "type", "entity", "at", "data"],
                  sql: "SELECT workspace, seq, type, entity, at, data FROM events ORDER BY workspace, seq"),
        TableSpec("idempotency_keys",
                  columns: ["workspace", "key", "method", "request", "answer", "at"],
                  sql: "SELECT workspace, key, method, request, answer, at FROM idempotency_keys ORDER BY workspace, key"),
        // `changes` is the same JSON text in both stores (HistoryChanges).
        TableSpec("profile_history",
                  columns: ["workspace", "profile_id", "seq", "type", "at", "changes"],
                  sql: "SELECT workspace, profile_id, seq, type, at, changes FROM profile_history ORDER BY workspace, profile_id, seq"),
        // What each merge did, for profile.unmerge: the same JSON texts in
        // both stores (MergeRecordText), the merge_id kept. No foreign
        // keys: the absorbed profile is gone, the survivor may be too.
        TableSpec("merge_records",
                  columns: ["workspace", "id", "into_id", "from_id", "from_name", "from_fields", "from_created_at", "from_version",
                            "moved_contact_ids", "moved_note_ids", "taken_fields", "merged_at", "unmerged_at"],
                  sql: """
                      SELECT workspace, id, into_id, from_id, from_name, from_fields, from_created_at, from_version,
                             moved_contact_ids, moved_note_ids, taken_fields, merged_at, unmerged_at
                      FROM merge_records ORDER BY id
                      """),
    ]

    /// The tables whose `id` is a `bigserial` in PostgreSQL and an
    /// AUTOINCREMENT rowid in SQLite (merge_records' id is the merge_id).
    static let serialTables = ["profiles", "contacts", "notes", "moments", "merge_records"]
}

/// Where one workspace's feed stands: the last seq handed out and the
/// newest one retention removed.
public struct FeedHead: Sendable, Equatable, CustomStringConvertible {
    public let workspace: String
    public let lastSeq: Int64
    public let prunedThrough: Int64

    public init(workspace: String, lastSeq: Int64, prunedThrough: Int64) {
        self.workspace = workspace
        self.lastSeq = lastSeq
        self.prunedThrough = prunedThrough
    }

    public var description: String { "\(workspace): last_seq \(lastSeq), pruned_through \(prunedThrough)" }
}

/// What the copy needs from the SQLite file besides the rows, read in the
/// same snapshot.
struct SourceSnapshot: Sendable {
    /// `sqlite_sequence`: the largest id each AUTOINCREMENT table handed
    /// out (SQLite never hands one out twice, even after a delete).
    var sequences: [String: Int64] = [:]
    /// One per workspace that has any row, from `feed_heads`, or at
    /// `feed_origin` for one that has no row there (SQLite's
    /// Journal.record numbers its next event from feed_origin).
    var feedHeads: [FeedHead] = []
    /// Field values whose key has no definition (not copied).
    var orphanFieldValues = 0
}

enum SourceMessage: Sendable {
    case snapshot(SourceSnapshot)
    /// COPY text of `count` rows of the table at `table` in `TableSpec.all`.
    case rows(table: Int, bytes: [UInt8], count: Int)
    case tableEnd(table: Int)
}

/// Reads the SQLite file in one read transaction, one consistent
/// snapshot even while a server writes to it (WAL: the reader never blocks
/// the writer), on a thread of its own, and hands the rows over as COPY
/// text in chunks. At most `permits` chunks wait unconsumed.
final class SQLiteSource: Sendable {
    static let chunkBytes = 256 * 1024

    let path: String
    let queue: DatabaseQueue
    private let permits = DispatchSemaphore(value: 8)
    private let stopped = Atomic<Bool>(false)

    /// Opens `path` read-only, never creating or migrating it, and checks
    /// that it holds this build's SQLite schema.
    init(path: String, busyTimeout: TimeInterval = 10) throws(CopyError) {
        self.path = path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw CopyError(.sourceMissing, "no SQLite database at \(path)")
        }
        var config = Configuration()
        config.readonly = true
        config.busyMode = .timeout(busyTimeout)
        config.label = "migrate-source"
        do {
            queue = try DatabaseQueue(path: path, configuration: config)
            try queue.inDatabase { db in try Self.checkSchema(db, path: path) }
        } catch let error as CopyError {
            throw error
        } catch {
            throw CopyError(.sourceUnreadable, "cannot read \(path) as a SQLite database: \(error)")
        }
    }

    static func checkSchema(_ db: Database, path: String) throws {
        guard try db.tableExists("grdb_migrations"), try db.tableExists("profiles") else {
            throw CopyError(.sourceSchema, "\(path) is not a profiles-server database (it has no profiles table or migrations)")
        }
        let applied = try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
        let known = ProfilesDatabase.schemaMigrations
        let unknown = Set(applied).subtracting(known).sorted()
        guard unknown.isEmpty else {
            throw CopyError(.sourceSchema, "\(path) was migrated by a newer profiles-server (it holds \(unknown.joined(separator: ", "))); migrate it with that version")
        }
        let missing = known.filter { !applied.contains($0) }
        guard missing.isEmpty else {
            throw CopyError(.sourceSchema, "\(path) has an older schema (it lacks \(missing.joined(separator: ", "))): start this version's profiles-server on it once (it migrates the file when it opens it), stop it, then migrate again")
        }
    }

    /// Stops the reader at its next chunk (after a failure on the
    /// PostgreSQL side), and lets it past a wait for a permit.
    func stop() {
        stopped.store(true, ordering: .relaxed)
        for _ in 0..<16 { permits.signal() }
    }

    /// Called for each `.rows` message consumed.
    func consumed() { permits.signal() }

    /// Starts the reader; the stream ends after the last table's
    /// `.tableEnd`, or with the reader's error.
    func start() -> AsyncThrowingStream<SourceMessage, any Error> {
        let (stream, continuation) = AsyncThrowingStream<SourceMessage, any Error>.makeStream()
        let thread = Thread { [self] in
            do {
                try read(continuation)
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        thread.name = "migrate-source"
        thread.start()
        return stream
    }

    private struct Stopped: Error {}

    private func read(_ continuation: AsyncThrowingStream<SourceMessage, any Error>.Continuation) throws {
        try queue.inDatabase { db in
            // One read transaction for everything: its first SELECT takes
            // the snapshot every later one reads.
            try db.inTransaction(.deferred) {
                try Self.checkSchema(db, path: path)
                continuation.yield(.snapshot(try Self.snapshot(db)))
                for (index, spec) in TableSpec.all.enumerated() {
                    var out = CopyText(capacity: Self.chunkBytes + 4096)
                    var count = 0
                    var total = 0
                    let cursor = try Row.fetchCursor(db, sql: spec.sql)
                    while let row = try cursor.next() {
                        do {
                            try spec.encode(row, &out)
                        } catch let error as CopyText.Unrepresentable {
                            throw CopyError(.sourceUnreadable, "\(spec.name), row \(total + 1) in key order: \(error.reason)")
                        }
                        out.endRow()
                        count += 1
                        total += 1
                        if out.bytes.count >= Self.chunkBytes {
                            try send(continuation, table: index, out.bytes, count)
                            out = CopyText(capacity: Self.chunkBytes + 4096)
                            count = 0
                        }
                    }
                    if count > 0 { try send(continuation, table: index, out.bytes, count) }
                    continuation.yield(.tableEnd(table: index))
                }
                return .commit
            }
        }
    }

    private func send(_ continuation: AsyncThrowingStream<SourceMessage, any Error>.Continuation,
                      table: Int, _ bytes: [UInt8], _ count: Int) throws {
        permits.wait()
        if stopped.load(ordering: .relaxed) { throw Stopped() }
        continuation.yield(.rows(table: table, bytes: bytes, count: count))
    }

    private static func snapshot(_ db: Database) throws -> SourceSnapshot {
        var snapshot = SourceSnapshot()
        for row in try Row.fetchAll(db, sql: "SELECT name, seq FROM sqlite_sequence") {
            let name: String = row[0]
            if TableSpec.serialTables.contains(name) { snapshot.sequences[name] = row[1] }
        }
        let tables = ["profiles", "contacts", "contact_aliases", "notes", "moments", "field_definitions", "field_values",
                      "events", "idempotency_keys", "feed_heads", "profile_history", "merge_records"]
        let workspaces = tables.map { "SELECT workspace FROM \($0)" }.joined(separator: " UNION ")
        snapshot.feedHeads = try Row.fetchAll(db, sql: """
            SELECT w.workspace, coalesce(h.last_seq, o.last_seq), coalesce(h.pruned_through, o.pruned_through)
            FROM (\(workspaces)) w
            JOIN feed_origin o ON o.id = 1
            LEFT JOIN feed_heads h ON h.workspace = w.workspace
            ORDER BY w.workspace
            """).map { FeedHead(workspace: $0[0], lastSeq: $0[1], prunedThrough: $0[2]) }
        snapshot.orphanFieldValues = try Int.fetchOne(db, sql: """
            SELECT count(*) FROM field_values v
            WHERE NOT EXISTS (SELECT 1 FROM field_definitions d WHERE d.workspace = v.workspace AND d.key = v.key)
            """) ?? 0
        return snapshot
    }
}
