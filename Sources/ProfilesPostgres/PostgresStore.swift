import Dispatch
import Foundation
import Logging
import PostgresNIO
import ProfilesDomain
import ProfilesStore
import Synchronization

/// The PostgreSQL store (SPEC §11): many stateless nodes on one database.
/// This file is the core: the client and its connections, the migration
/// at open, the LISTEN connection and the periodic wake-up. How reads and
/// writes run is in PostgresStore+Transaction.swift, the operations in
/// PostgresStore+<Area>.swift.
public final class PostgresStore: ProfileStore {
    public let committed = CommitSignal()
    public let executor: StoreExecutor? = StoreExecutor(label: "profiles.postgres")
    /// Other nodes commit too: nothing may cache what this store reads.
    public var profileChanges: ProfileChangeSignal? { nil }
    public var inlineReads: (any InlineProfileReads)? { nil }
    let url: PostgresURL
    let logger: Logger
    let client: PostgresClient
    /// How long a call waits for a pooled connection before it is answered
    /// `unavailable` (the pool itself would wait up to a minute).
    let leaseTimeout: Duration
    /// The deadlines of the calls in flight (`lease`).
    let deadlines: CallDeadlines
    /// `client.run()`, the LISTEN loop and the periodic wake-up.
    private let tasks = Mutex<[Task<Void, Never>]>([])
    /// The LISTEN connection while it is open, to close it on `close()`.
    private let listenConnection = Mutex<PostgresConnection?>(nil)
    private let closed = Atomic<Bool>(false)
    /// Transactions committed by this node, and of those the writes that
    /// recorded an event (for `stats`).
    /// The definitions filters are checked against, checked by each page.
    let filterDefinitions = FilterDefinitions()
    let commitCount = Atomic<Int>(0)
    let writeCount = Atomic<Int>(0)

    /// Connects, migrates and starts listening. Synchronous because the
    /// server's init is: the caller's thread waits (a semaphore) for the
    /// migration, which runs on the store's executor. Throws
    /// `PostgresOpenError` (naming `url.redacted`) when the database cannot
    /// be reached within `connectTimeout` or cannot be migrated.
    public init(url: PostgresURL, logger: Logger, connectTimeout: Duration = .seconds(5)) throws {
        self.url = url
        self.logger = logger
        leaseTimeout = connectTimeout
        deadlines = CallDeadlines(leaseTimeout: connectTimeout, callDeadline: .seconds(15))
        var configuration = url.clientConfiguration()
        configuration.options.connectTimeout = connectTimeout
        // No parallel query: the store's statements read a page, and on a
        // small machine the workers' start alone took 40 ms of a 60 ms plan
        // whose serial twin takes 4.4 ms (a filter of half the profiles and
        // one year, 1M profiles, 2 cores).
        configuration.options.additionalStartupParameters = [("max_parallel_workers_per_gather", "0")]
        configuration.options.maximumConnections = 16
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let client = client
        // The pool's own tasks run on the store's executor too: nothing of
        // the store may wait for a thread of the cooperative pool.
        let run = Task(executorPreference: executor) { await client.run() }
        tasks.withLock { $0.append(run) }
        do {
            let applied = try Self.blocking(executor: executor) { [self] in
                // A migration may take long: it has an hour, not a call's 15 s.
                try await lease(deadline: .seconds(3600)) { [logger] connection in
                    try await PostgresMigrations.migrate(connection, logger: logger)
                }
            }
            if !applied.isEmpty { logger.info("PostgreSQL database migrated: \(applied.joined(separator: ", "))") }
        } catch {
            run.cancel()
            throw PostgresOpenError(url: url, cause: error, timeout: connectTimeout)
        }
        startListening()
    }

    public convenience init(url: PostgresURL, logger: Logger) throws {
        try self.init(url: url, logger: logger, connectTimeout: .seconds(5))
    }

    /// Stops listening and shuts the client down (its connections close).
    /// The store must not be used afterwards.
    public func close() {
        guard !closed.exchange(true, ordering: .relaxed) else { return }
        let running = tasks.withLock { tasks in defer { tasks = [] }; return tasks }
        listenConnection.withLock { connection in
            if let connection { _ = connection.close() as EventLoopFuture<Void> }
            connection = nil
        }
        // Cancelling `run()` shuts the pool down: idle connections close at
        // once, leased ones when their call ends. Not waited for, so that a
        // drain is not held up by a call still running.
        for task in running { task.cancel() }
        deadlines.stop()
    }

    deinit { close() }

    public func submitWrite(_ body: @escaping @Sendable () async throws -> Void, done: @escaping @Sendable ((any Error)?) -> Void) {
        Task(executorPreference: executor) {
            do { try await body(); done(nil) } catch { done(error) }
        }
    }

    // MARK: Wake-ups

    /// The channel every node's writes are announced on, after commit.
    static let feedChannel = "profiles_feed"

    /// A dedicated connection LISTENs on `profiles_feed` and fires
    /// `committed` for each notification, reconnecting by itself; a timer
    /// fires it every second anyway, so a notification missed while the
    /// connection was down (or coalesced) delays an event by at most a
    /// second. The feed's subscriptions re-read from their last seq, so a
    /// spurious fire costs one empty read.
    private func startListening() {
        let listener = Task(executorPreference: executor) { [weak self] in
            while let store = self, !store.closed.load(ordering: .relaxed) {
                await store.listenOnce()
                guard !Task.isCancelled else { return }
                try? await Task.sleep(for: .seconds(1))
            }
        }
        let timer = Task(executorPreference: executor) { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                guard let store = self, !store.closed.load(ordering: .relaxed) else { return }
                store.committed.fire()
            }
        }
        tasks.withLock { $0 += [listener, timer] }
    }

    /// One LISTEN connection's life: until it fails or the store closes.
    private func listenOnce() async {
        do {
            let connection = try await PostgresConnection.connect(configuration: url.connectionConfiguration(),
                                                                  id: 0, logger: logger)
            let keep = listenConnection.withLock { slot in
                guard !closed.load(ordering: .relaxed) else { return false }
                slot = connection
                return true
            }
            guard keep else { try? await connection.close(); return }
            // Closed on every way out: postgres-nio requires a connection
            // to be closed before it is released.
            var failure: (any Error)?
            do {
                try await connection.listen(on: Self.feedChannel) { notifications in
                    // What committed while this connection was down: read now.
                    committed.fire()
                    for try await _ in notifications { committed.fire() }
                }
            } catch {
                failure = error
            }
            listenConnection.withLock { if $0 === connection { $0 = nil } }
            try? await connection.close()
            if let failure { throw failure }
        } catch {
            if !closed.load(ordering: .relaxed) {
                logger.debug("the PostgreSQL LISTEN connection failed; retrying in 1 s: \(String(reflecting: error))")
            }
        }
    }

    // MARK: Health and stats

    public func health() async throws -> StoreHealth {
        do {
            try await read { [logger] connection in
                try await connection.query("SELECT 1", logger: logger)
                return ()
            }
            return StoreHealth(database: "ok", journalMode: "postgresql", degradedReason: nil)
        } catch {
            return StoreHealth(database: "unavailable", journalMode: "postgresql",
                               degradedReason: "the PostgreSQL database cannot be reached: \(Self.reason(error))")
        }
    }

    public func storageStats() async -> StorageStats {
        let size = try? await read { [logger] connection in
            try await connection.query("SELECT pg_database_size(current_database())", logger: logger)
                .collect().first?.decode(Int64.self) ?? 0
        }
        return StorageStats(sizeBytes: size ?? 0, walBytes: 0, commits: commitCount.load(ordering: .relaxed),
                            writes: writeCount.load(ordering: .relaxed))
    }

    // MARK: Helpers

    /// Runs `operation` on `executor` and waits for it on the calling
    /// thread (used only at open and close, from synchronous code).
    static func blocking<T: Sendable>(executor: StoreExecutor?, timeout: Duration? = nil,
                                      _ operation: @escaping @Sendable () async throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        let result = Mutex<Result<T, any Error>?>(nil)
        let task = Task(executorPreference: executor) {
            let outcome: Result<T, any Error>
            do { outcome = .success(try await operation()) } catch { outcome = .failure(error) }
            result.withLock { $0 = outcome }
            done.signal()
        }
        if let timeout {
            let (seconds, attoseconds) = timeout.components
            let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
            if done.wait(timeout: .now() + .nanoseconds(nanoseconds)) == .timedOut {
                task.cancel()
                throw CancellationError()
            }
        } else {
            done.wait()
        }
        return try result.withLock { $0! }.get()
    }

    /// A short, password-free account of why a call failed.
    static func reason(_ error: any Error) -> String {
        if let error = error as? DomainError { return error.message }
        if let error = error as? PostgresOpenError { return error.reason }
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                return "\(message) (SQLSTATE \(error.serverInfo?[.sqlState] ?? "?"))"
            }
            if let underlying = error.underlying { return "\(error.code): \(underlying)" }
            return "\(error.code)"
        }
        return "\(error)"
    }
}

/// The store could not be opened: the database cannot be reached, refuses
/// the credentials, or cannot be migrated. Names the database by its
/// redacted URL only.
public struct PostgresOpenError: Error, CustomStringConvertible {
    public let url: PostgresURL
    public let reason: String

    init(url: PostgresURL, cause: any Error, timeout: Duration) {
        self.url = url
        switch cause {
        case is LeaseTimeout:
            reason = "it cannot be reached: no connection within \(timeout) (is the server running, and the URL right?)"
        case let error as DomainError where error.kind == .unavailable:
            reason = "it cannot be reached: no connection within \(timeout) (is the server running, and the URL right?)"
        case let error as PostgresStoreError:
            reason = error.description
        default:
            reason = PostgresStore.reason(cause)
        }
    }

    public var description: String { "cannot open the PostgreSQL database \(url.redacted): \(reason)" }
}
