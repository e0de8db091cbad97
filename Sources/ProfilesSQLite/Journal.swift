import ProfilesStore
import GRDB
import ProfilesDomain

/// Writes what a `WriteIntent` asks for, inside the write's savepoint:
/// the change-feed event and the idempotency key with its answer. Both
/// commit or roll back with the write itself.
enum Journal {
    /// How long an idempotency key holds its answer (SPEC §8).
    static let keyLifetimeMilliseconds: Int64 = 24 * 60 * 60 * 1000

    /// Installs, on the writer's connection, the temporary log of profiles
    /// whose version a write changed: triggers fill it, the write's event
    /// lists it (`data.profiles`), and each write starts it empty. A temp
    /// table takes part in the savepoint, so a write that rolls back leaves
    /// nothing in it.
    static func prepare(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TEMP TABLE IF NOT EXISTS changed_profiles (id INTEGER PRIMARY KEY, version INTEGER NOT NULL);
            CREATE TEMP TRIGGER IF NOT EXISTS changed_profiles_insert AFTER INSERT ON main.profiles BEGIN
                INSERT OR REPLACE INTO changed_profiles(id, version) VALUES (new.id, new.version);
            END;
            CREATE TEMP TRIGGER IF NOT EXISTS changed_profiles_update AFTER UPDATE OF version ON main.profiles BEGIN
                INSERT OR REPLACE INTO changed_profiles(id, version) VALUES (new.id, new.version);
            END;
            CREATE TEMP TRIGGER IF NOT EXISTS changed_profiles_delete AFTER DELETE ON main.profiles BEGIN
                DELETE FROM changed_profiles WHERE id = old.id;
            END;
            """)
    }

    /// Called at the start of every write, with or without an intent.
    static func begin(_ db: Database) throws {
        try db.run("DELETE FROM temp.changed_profiles", [])
    }

    /// `changed`: whether the write changed any row; one that did not is
    /// no change to follow, so it has no event (its key is still kept).
    static func record(_ db: Database, intent: WriteIntent, record: WriteIntent.Record, changed: Bool) throws {
        let now = Timestamp.now().milliseconds
        if let type = record.eventType, changed {
            // `profiles`: every profile whose version this write changed,
            // with its new version, so a mirror knows what to refresh.
            // Members in sorted order, as every answer writes them (the
            // text is sent as stored).
            //
            // The seq is the workspace's next one (SPEC §9): its feed_heads
            // row, made from feed_origin at its first event, counts up by
            // one. SQLite has one writer, so writes take seqs in commit
            // order; both statements are in the write's savepoint, so one
            // that rolls back gives its seq back and leaves no gap.
            try db.run("""
                INSERT INTO feed_heads(workspace, last_seq, pruned_through)
                SELECT ?, last_seq + 1, pruned_through FROM feed_origin WHERE id = 1
                ON CONFLICT(workspace) DO UPDATE SET last_seq = last_seq + 1
                """, [intent.workspace])
            try db.run("""
                INSERT INTO events(workspace, seq, type, entity, at, data) VALUES (
                    ?1, (SELECT last_seq FROM feed_heads WHERE workspace = ?1), ?2, ?3, ?4,
                    '{"params":' || ?5 || ',"profiles":' ||
                    (SELECT json_group_array(json_object('id', id, 'version', version))
                     FROM (SELECT id, version FROM temp.changed_profiles ORDER BY id)) || ',"result":' || ?6 || '}')
                """, [intent.workspace, type, record.entity, now, intent.request, record.answer])
            // What the write noted of each profile it changed, under the
            // event's seq: history and feed agree.
            try ProfileHistory.flush(db, workspace: intent.workspace, type: type, at: now)
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
