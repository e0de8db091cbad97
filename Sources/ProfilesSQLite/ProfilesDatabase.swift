import ProfilesStore
import Foundation
import GRDB
import Logging
import ProfilesDomain
import Synchronization

/// Owns the SQLite file: a GRDB `DatabasePool` in WAL mode, migrated on
/// open. Domain operations live in `ProfilesDatabase+<Area>.swift`, each an
/// intent-named method that runs in one transaction.
public final class ProfilesDatabase: Sendable {
    public enum Synchronous: String, Sendable, CaseIterable {
        case full, normal
    }

    public let path: String
    public let synchronous: Synchronous
    let pool: DatabasePool
    /// Read-only connections for reads of one statement (`readStatement`).
    let statementReaders: StatementReaders
    private let writer: WriteBatcher
    /// Fired after every commit (the change feed listens).
    public let committed = CommitSignal()
    /// Which profiles each commit changed, told before its writes are
    /// answered (the bus's answer cache listens).
    public let profileChanges: ProfileChangeSignal? = ProfileChangeSignal()
    /// Set when a write failed for lack of disk space, cleared by the next
    /// write that commits: what `health` reports.
    private let outOfSpace = Atomic<Bool>(false)
    /// Field definitions for `listFields`.
    let fieldLists = FieldListCache()

    /// Opens (creating folder and file if needed) and migrates.
    public init(path: String, synchronous: Synchronous = .full, busyTimeout: TimeInterval = 5, logger: Logger? = nil) throws {
        self.path = path
        self.synchronous = synchronous
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw DatabaseOpenError(path: path, reason: "cannot create its folder \(folder): \((error as NSError).localizedDescription)")
        }
        do {
            pool = try Self.openPool(path: path, busyTimeout: busyTimeout)
            // GRDB sets synchronous=NORMAL on the writer after prepareDatabase,
            // so the chosen level is applied here, once the pool is open.
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = \(synchronous == .full ? "FULL" : "NORMAL")")
            }
            try Migrations.migrator.migrate(pool)
            try pool.writeWithoutTransaction { db in
                try Journal.prepare(db)
                try SearchIndex.prepare(db)
                try TouchedProfiles.prepare(db)
            }
            // Opened once the schema is in place and the WAL exists.
            statementReaders = try StatementReaders(path: path, busyTimeout: busyTimeout)
        } catch {
            throw DatabaseOpenError.explaining(error, path: path)
        }
        writer = WriteBatcher(pool: pool, committed: committed) { [profileChanges] db in
            try SearchIndex.flush(db)
            if let changes = try TouchedProfiles.take(db) {
                WriteBatcher.active?.onCommit { profileChanges?.fire(changes) }
            }
        }
    }

    private static func openPool(path: String, busyTimeout: TimeInterval) throws -> DatabasePool {
        var config = Configuration()
        config.busyMode = .timeout(busyTimeout)
        config.foreignKeysEnabled = true
        config.maximumReaderCount = 8
        config.label = "profiles"
        config.prepareDatabase { db in db.add(function: FilterSQL.lowerFunction) }
        return try DatabasePool(path: path, configuration: config)
    }

    /// Runs `body` as one atomic write (a savepoint in a group-committed
    /// transaction) and returns once it is durable.
    /// When the caller bound a `WriteIntent`, its event and idempotency
    /// key are written in the same savepoint.
    ///
    /// Called from a body given to `submit` (a write method run by the
    /// writer), it runs at once on the writer's connection, in a savepoint
    /// of its own, and returns before the commit: `submit`'s `done` tells
    /// when it is durable.
    public func write<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            let result = try journaledWrite(body)
            if WriteBatcher.active == nil { outOfSpace.store(false, ordering: .relaxed) }
            return result
        } catch let error as DatabaseError where StorageFull.matches(error, folder: folder) {
            outOfSpace.store(true, ordering: .relaxed)
            throw StorageFull.error(folder: folder)
        }
    }

    /// Runs `body` on the writer's thread in the next group-commit batch
    /// and calls `done` from that thread once the batch is durable (nil)
    /// or has failed (the cause, a full disk as `StorageFull`'s error).
    /// The caller never waits. Inside `body`, `write` runs inline in a
    /// savepoint, and `read` reads the writer's connection, so it sees the
    /// writes batched before it. `body` must not block.
    public func submit(_ body: @escaping @Sendable () throws -> Void, done: @escaping @Sendable ((any Error)?) -> Void) {
        writer.submit(body) { [self] failure in
            guard let failure else {
                outOfSpace.store(false, ordering: .relaxed)
                return done(nil)
            }
            if let error = failure as? DatabaseError, StorageFull.matches(error, folder: folder) {
                outOfSpace.store(true, ordering: .relaxed)
                return done(StorageFull.error(folder: folder))
            }
            done(failure)
        }
    }

    /// Runs `work` once the write being made has committed: after the
    /// batch's commit when called from a body given to `submit`, at once
    /// otherwise (a `write` has returned, so it is durable).
    func afterCommit(_ work: @escaping () -> Void) {
        if let batch = WriteBatcher.active { batch.onCommit(work) } else { work() }
    }

    /// Whether the last write failed because the disk is full.
    public var isOutOfSpace: Bool { outOfSpace.load(ordering: .relaxed) }

    /// The folder holding the database, its WAL and its shared memory.
    var folder: String { URL(fileURLWithPath: path).deletingLastPathComponent().path }

    /// In a batch (a body given to `submit`): a savepoint on the writer's
    /// connection, now. Otherwise: a savepoint in the next batch, waited for.
    private func savepoint<T>(_ body: (Database) throws -> T) throws -> T {
        guard let batch = WriteBatcher.active else { return try writer.write(body) }
        return try batch.db.withSavepoint { try body(batch.db) }
    }

    private func journaledWrite<T>(_ body: (Database) throws -> T) throws -> T {
        guard let intent = WriteIntent.current else {
            return try savepoint { db in
                try Journal.begin(db)
                return try body(db)
            }
        }
        return try savepoint { db in
            // Bound here, inside the savepoint's body: that runs on the
            // writer's thread, which a body handed to a batch may not.
            try ProfileHistory.$pending.withValue(ProfileHistory.Pending()) {
                try Journal.begin(db)
                // A write whose statements changed no row (an upsert of
                // what is there, a repeated attach) records no event.
                let changesBefore = db.totalChangesCount
                let result = try body(db)
                let changed = db.totalChangesCount != changesBefore
                if let value = result as? any Encodable, let record = try intent.record(value) {
                    try Journal.record(db, intent: intent, record: record, changed: changed)
                }
                return result
            }
        }
    }

    /// Group-commit transactions and the writes they held, since open.
    public var groupCommitCounts: (commits: Int, writes: Int) { writer.counts }

    /// Runs `body` in one read transaction on a reader connection.
    /// In a batch (a body given to `submit`), on the writer's connection.
    public func read<T>(_ body: (Database) throws -> T) throws -> T {
        if let batch = WriteBatcher.active { return try body(batch.db) }
        return try pool.read(body)
    }

    /// Runs `body`, which must run exactly ONE statement, outside any
    /// transaction on a read-only connection: one statement reads one
    /// snapshot, which holds every write that returned before it started.
    /// Reads of several statements that must agree use `read`.
    /// In a batch (a body given to `submit`), on the writer's connection.
    func readStatement<T>(_ body: (Database) throws -> T) throws -> T {
        if let batch = WriteBatcher.active { return try body(batch.db) }
        return try statementReaders.read(body)
    }

    /// How many read-only connections serve one-statement reads.
    public var statementReaderCount: Int { statementReaders.count }

    /// Throws when a one-statement reader was left with a statement not
    /// reset or a transaction open (it would read an old snapshot).
    public func checkStatementReadersIdle() throws {
        try statementReaders.checkNoOpenStatement()
    }

    /// The writer's current `synchronous` level (0 off, 1 normal, 2 full).
    public func currentSynchronousLevel() throws -> Int {
        try pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    public func journalMode() throws -> String {
        try pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "unknown" }
    }

    /// Sizes of the database file and its WAL, in bytes (0 when absent).
    public func fileSizes() -> (database: Int64, wal: Int64) {
        func size(_ p: String) -> Int64 {
            ((try? FileManager.default.attributesOfItem(atPath: p))?[.size] as? NSNumber)?.int64Value ?? 0
        }
        return (size(path), size(path + "-wal"))
    }

    /// Moves the WAL's content into the database file, for a clean stop.
    public func checkpoint() throws {
        try pool.writeWithoutTransaction { db in
            _ = try db.checkpoint(.truncate)
        }
    }

    /// Closes every connection; the object must not be used afterwards.
    public func close() throws {
        try statementReaders.close()
        try pool.close()
    }
}
