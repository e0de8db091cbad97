import GRDB
import ProfilesDomain

/// Writes what a `WriteIntent` asks for, inside the write's savepoint:
/// the change-feed event and the idempotency key with its answer. Both
/// commit or roll back with the write itself.
enum Journal {
    /// How long an idempotency key holds its answer (SPEC §8).
    static let keyLifetimeMilliseconds: Int64 = 24 * 60 * 60 * 1000

    static func record(_ db: Database, intent: WriteIntent, record: WriteIntent.Record) throws {
        let now = Timestamp.now().milliseconds
        if let type = record.eventType {
            try db.run("""
                INSERT INTO events(workspace, type, entity, at, data) VALUES (?, ?, ?, ?, '{"params":' || ? || ',"result":' || ? || '}')
                """, [intent.workspace, type, record.entity, now, intent.request, record.answer])
        }
        if let key = intent.idempotencyKey {
            // An expired key is taken over; a live one means another write
            // with this key committed first: this one must not happen.
            try db.run("""
                INSERT INTO idempotency_keys(workspace, key, method, request, answer, at) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(workspace, key) DO UPDATE SET
                    method = excluded.method, request = excluded.request, answer = excluded.answer, at = excluded.at
                WHERE idempotency_keys.at <= excluded.at - \(keyLifetimeMilliseconds)
                """, [intent.workspace, key, intent.method, intent.request, record.answer, now])
            if db.changesCount == 0 { throw IdempotencyKeyTaken() }
        }
    }
}
