import Foundation
import Logging
import PostgresNIO
import ProfilesDomain
import ProfilesStore
import Synchronization

/// What a write's statements changed, for its event: each profile whose
/// version changed, with its new version (the event's `data.profiles`,
/// what SQLite's `changed_profiles` triggers collect), and whether any row
/// changed at all (a write that changed nothing records no event, as
/// SQLite's `journaledWrite` tells by `totalChangesCount`). The operations
/// set both from `RETURNING` of their statements.
struct ProfileVersions: Sendable {
    private(set) var versions: [Int64: Int64] = [:]
    /// Whether any statement changed a row.
    var changed = false
    /// What the write changed in each profile, for `profile.history`,
    /// stored under the write's event (`PGHistory.record`).
    fileprivate(set) var history: [Int64: HistoryChanges] = [:]

    /// A profile inserted or whose version changed.
    mutating func set(_ id: Int64, version: Int64) {
        versions[id] = version
        changed = true
    }

    /// A profile deleted: it is no longer listed (SQLite's delete trigger).
    mutating func removed(_ id: Int64) {
        versions[id] = nil
        history[id] = nil
        changed = true
    }

    /// A second note of the same profile in one write is joined to the first.
    mutating func recordHistory(_ id: Int64, _ changes: HistoryChanges) {
        guard !changes.isEmpty else { return }
        history[id] = history[id].map { $0.followed(by: changes) } ?? changes
    }

    /// `[{"id":1,"version":2},…]` by id, as SQLite's `json_group_array`.
    var json: String {
        "[" + versions.keys.sorted().map { #"{"id":\#($0),"version":\#(versions[$0]!)}"# }.joined(separator: ",") + "]"
    }
}

extension PostgresStore {
    // MARK: Reads

    /// Runs `body` on a pooled connection, outside any transaction: for a
    /// read of one statement (one statement reads one snapshot). A read
    /// that fails because the connection was lost is tried once more.
    func read<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await lease(body)
            } catch {
                let mapped = Self.storeError(error)
                if attempt < 2, Self.isConnectionLoss(error), !(error is LeaseTimeout) { continue }
                throw mapped
            }
        }
    }

    /// A read of several statements that must agree: one
    /// `REPEATABLE READ READ ONLY` transaction.
    func readSnapshot<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await read { [self] connection in
            try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            do {
                let result = try await body(connection)
                try await connection.query("COMMIT", logger: logger)
                return result
            } catch {
                await rollback(connection, after: error)
                throw error
            }
        }
    }

    // MARK: Writes

    /// Runs `body` as one transaction (READ COMMITTED; the operations lock
    /// what they check with `FOR UPDATE`). When the call bound a
    /// `WriteIntent` and the result records something, its idempotency key
    /// and its event are written in the same transaction, the event's seq
    /// taken last (see `recordIntent`). After COMMIT, outside the
    /// transaction, other nodes are told by `pg_notify` and this node's
    /// feed by `committed`. A transaction that lost a race (40001, 40P01)
    /// is run again whole, a few times.
    func write<T: Sendable>(workspace: String,
                            _ body: @escaping @Sendable (PostgresConnection, inout ProfileVersions) async throws -> T) async throws -> T {
        let intent = WriteIntent.current
        var attempt = 0
        while true {
            attempt += 1
            do {
                let (result, recorded) = try await lease { [self] connection in
                    try await transaction(connection, workspace: workspace, intent: intent, body)
                }
                commitCount.add(1, ordering: .relaxed)
                if recorded { writeCount.add(1, ordering: .relaxed) }
                committed.fire()
                return result
            } catch {
                switch PostgresStoreError.mapping(error) {
                case PostgresStoreError.serializationFailure where attempt < 4:
                    try? await Task.sleep(for: .milliseconds(5 * attempt))
                    continue
                case PostgresStoreError.uniqueViolation where attempt < 2:
                    // Another node inserted the same key between this
                    // write's check and its INSERT (no savepoint to catch
                    // it in): run again, and the check answers as SQLite's.
                    continue
                default:
                    throw Self.storeError(error)
                }
            }
        }
    }

    private func transaction<T: Sendable>(
        _ connection: PostgresConnection, workspace: String, intent: WriteIntent?,
        _ body: @Sendable (PostgresConnection, inout ProfileVersions) async throws -> T
    ) async throws -> (T, Bool) {
        try await connection.query("BEGIN", logger: logger)
        let recorded: Bool
        let result: T
        do {
            var versions = ProfileVersions()
            result = try await body(connection, &versions)
            if let intent, let value = result as? any Encodable, let record = try intent.record(value) {
                precondition(intent.workspace == workspace, "a write's intent names another workspace")
                recorded = try await recordIntent(connection, intent: intent, record: record, versions: versions)
            } else {
                recorded = false
            }
            try await connection.query("COMMIT", logger: logger)
        } catch {
            await rollback(connection, after: error)
            throw error
        }
        if recorded, !connection.isClosed {
            // A wake-up for the other nodes, never inside the transaction:
            // a listener told before the commit would read nothing new.
            _ = try? await connection.query("SELECT pg_notify(\(Self.feedChannel), \(workspace))", logger: logger)
        }
        return (result, recorded)
    }

    /// The idempotency key and the event of a write, as SQLite's
    /// `Journal.record`. Returns whether an event was written.
    private func recordIntent(_ connection: PostgresConnection, intent: WriteIntent, record: WriteIntent.Record,
                              versions: ProfileVersions) async throws -> Bool {
        let now = Timestamp.now().milliseconds
        if let key = intent.idempotencyKey {
            // An expired key is taken over; a live one means another write
            // with this key committed first (a second node's INSERT waits
            // for the first's row, then sees it): this one must not happen.
            let taken = try await connection.query("""
                INSERT INTO idempotency_keys (workspace, key, method, request, answer, at)
                VALUES (\(intent.workspace), \(PGText.storedKey(key)), \(intent.method), \(intent.request), \(record.answer), \(now))
                ON CONFLICT (workspace, key) DO UPDATE SET
                    method = excluded.method, request = excluded.request, answer = excluded.answer, at = excluded.at
                WHERE idempotency_keys.at <= excluded.at - \(Self.keyLifetimeMilliseconds)
                RETURNING 1
                """, logger: logger).collect().isEmpty
            if taken { throw IdempotencyKeyTaken() }
        }
        guard let type = record.eventType, versions.changed else { return false }
        // The workspace's next seq, taken by the LAST statement before
        // COMMIT: the feed_heads row lock then serializes the workspace's
        // writers only through their commit, so seqs are dense and in
        // commit order, and a write that rolls back gives its seq back.
        // Members of data in sorted order, as every answer writes them.
        let data = #"{"params":"# + intent.request + #","profiles":"# + versions.json + #","result":"# + record.answer + "}"
        guard !versions.history.isEmpty else {
            try await connection.query("""
                WITH head AS (
                    INSERT INTO feed_heads (workspace, last_seq) VALUES (\(intent.workspace), 1)
                    ON CONFLICT (workspace) DO UPDATE SET last_seq = feed_heads.last_seq + 1
                    RETURNING last_seq)
                INSERT INTO events (workspace, seq, type, entity, at, data)
                SELECT \(intent.workspace), last_seq, \(type), \(record.entity), \(now), \(data) FROM head
                """, logger: logger)
            return true
        }
        // The same statement stores the profiles' history under the
        // event's seq: history and feed agree.
        let ids = versions.history.keys.sorted()
        let changes = try ids.map { try versions.history[$0]!.encoded() }
        try await connection.query("""
            WITH head AS (
                INSERT INTO feed_heads (workspace, last_seq) VALUES (\(intent.workspace), 1)
                ON CONFLICT (workspace) DO UPDATE SET last_seq = feed_heads.last_seq + 1
                RETURNING last_seq),
            event AS (
                INSERT INTO events (workspace, seq, type, entity, at, data)
                SELECT \(intent.workspace), last_seq, \(type), \(record.entity), \(now), \(data) FROM head
                RETURNING seq)
            INSERT INTO profile_history (workspace, profile_id, seq, type, at, changes)
            SELECT \(intent.workspace), h.profile_id, event.seq, \(type), \(now), h.changes
            FROM event, unnest(\(ids)::bigint[], \(changes)::text[]) AS h (profile_id, changes)
            """, logger: logger)
        return true
    }

    /// Rolls back after `error`, unless the connection is gone: a
    /// statement sent on a connection postgres-nio is closing may never be
    /// answered (seen when PostgreSQL shut down under load), and a lost
    /// connection's transaction is over anyway. The error that matters is
    /// the first, so the rollback's own is dropped.
    func rollback(_ connection: PostgresConnection, after error: any Error) async {
        guard !connection.isClosed, !Self.isConnectionLoss(error) else { return }
        _ = try? await connection.query("ROLLBACK", logger: logger)
    }

    // MARK: Connections

    /// Runs `body` on a pooled connection, waiting at most `leaseTimeout`
    /// for one (the pool would wait up to a minute while the database is
    /// down). Once `body` has a connection it runs to its end, unless the
    /// database leaves it unanswered past `callDeadline`: then the
    /// connection is closed and the call fails `unavailable`. A write cut
    /// off so may have committed; it was not acknowledged, and a retry
    /// with its idempotency key writes it once.
    ///
    /// One task per call leases the connection and runs `body` in the
    /// lease; the caller waits for it, or for `deadlines` to answer first.
    /// `deadline`: how long the call may hold its connection (default
    /// the store's call deadline, 15 s).
    func lease<T: Sendable>(deadline: Duration? = nil,
                            _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (caller: CheckedContinuation<T, any Error>) in
            let outcome = CallOutcome(caller)
            let deadlines = self.deadlines
            let call = deadlines.begin { error in outcome.resume(with: .failure(error)) }
            let holder = Task(executorPreference: executor) { [client] in
                do {
                    try await client.withConnection { connection in
                        guard deadlines.leased(call, connection, deadline: deadline) else { return }
                        let result: Result<T, any Error>
                        do { result = .success(try await body(connection)) } catch { result = .failure(error) }
                        deadlines.end(call)
                        outcome.resume(with: result)
                    }
                } catch {
                    deadlines.end(call)
                    outcome.resume(with: .failure(error))
                }
            }
            deadlines.leasing(call, by: holder)
        }
    }

    // MARK: Errors

    static let unavailable = DomainError(kind: .unavailable,
                                         message: "the database cannot be reached for now; nothing was written; retry")

    /// What the bus receives: a domain error for collisions SQLite answers
    /// the same way, `unavailable` for a lost database, and the rest as
    /// `PostgresStoreError.mapping` makes it.
    static func storeError(_ error: any Error) -> any Error {
        if error is DomainError || error is IdempotencyKeyTaken { return error }
        if isConnectionLoss(error) { return unavailable }
        let mapped = PostgresStoreError.mapping(error)
        if let mapped = mapped as? PostgresStoreError, let domain = mapped.domainError { return domain }
        return mapped
    }

    /// Whether `error` says the database could not be reached or the
    /// connection was lost (rather than that a statement failed).
    static func isConnectionLoss(_ error: any Error) -> Bool {
        switch error {
        case is LeaseTimeout, is CallDeadlinePassed:
            return true
        case let error as PostgresTransactionError:
            return [error.beginError, error.closureError, error.commitError].contains { $0.map(isConnectionLoss) ?? false }
        case let error as PSQLError:
            if let state = error.serverInfo?[.sqlState] {
                return state.hasPrefix("08") || ["57P01", "57P02", "57P03", "53300"].contains(state)
            }
            return [.connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed,
                    .sslUnsupported, .failedToAddSSLHandler, .queryCancelled].contains(error.code)
        case is ChannelError, is IOError:
            return true
        default:
            // The pool's own errors (its circuit breaker) are of a type
            // postgres-nio does not re-export.
            return String(reflecting: type(of: error)).contains("ConnectionPoolError")
        }
    }
}
