import ProfilesStore
import Foundation
import GRDB
import GRDBSQLite
import Synchronization

/// Read-only connections for reads of one statement. A statement run
/// outside a transaction reads one consistent snapshot, the newest commit
/// when it starts, so these reads need neither `BEGIN`/`COMMIT` nor the
/// pool's barrier, semaphore and lock: each connection is a read-only
/// `DatabaseQueue` (its own serial queue), used with `unsafeRead`, and a
/// call takes the next one round-robin.
///
/// Read-your-writes: a write returns after its `COMMIT`, and a WAL reader
/// sees every commit made before its statement starts, provided the
/// connection holds no read transaction. None is left open: GRDB's
/// cursors reset their statement when they end (`checkNoOpenStatement`
/// checks it), and a body must run exactly one statement.
final class StatementReaders: Sendable {
    private let connections: [DatabaseQueue]
    private let next = Atomic<UInt>(0)

    /// About as many connections as cores: more cannot run at once.
    static var defaultCount: Int { max(2, ProcessInfo.processInfo.activeProcessorCount) }

    init(path: String, busyTimeout: TimeInterval, count: Int = StatementReaders.defaultCount) throws {
        var config = Configuration()
        config.readonly = true
        config.busyMode = .timeout(busyTimeout)
        config.label = "profiles.statement-reader"
        connections = try (0..<max(1, count)).map { _ in try DatabaseQueue(path: path, configuration: config) }
    }

    var count: Int { connections.count }

    /// Runs `body`, which must run one statement, on the next connection.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        let index = Int(next.wrappingAdd(1, ordering: .relaxed).oldValue % UInt(connections.count))
        return try connections[index].unsafeRead(body)
    }

    /// Throws when a connection still has a statement that was stepped
    /// and not reset (it would hold an old snapshot), or a transaction.
    func checkNoOpenStatement() throws {
        for (index, connection) in connections.enumerated() {
            try connection.unsafeRead { db in
                if db.isInsideTransaction {
                    throw DatabaseError(message: "statement reader \(index) is inside a transaction")
                }
                var statement = sqlite3_next_stmt(db.sqliteConnection, nil)
                while let current = statement {
                    if sqlite3_stmt_busy(current) != 0 {
                        throw DatabaseError(message: "statement reader \(index) has an open statement: \(String(cString: sqlite3_sql(current)))")
                    }
                    statement = sqlite3_next_stmt(db.sqliteConnection, current)
                }
            }
        }
    }

    func close() throws {
        for connection in connections { try connection.close() }
    }
}
