import ProfilesStore
import Dispatch
import Foundation
import GRDB

/// Group commit: writes that arrive while the writer is busy are run
/// together in one transaction and committed with one fsync. Each caller
/// is answered only after the commit that holds its write, so an
/// acknowledged write is durable; a write that fails rolls back its own
/// savepoint and leaves the others in the batch.
///
/// Two ways in:
/// - `submit`: the body runs on the writer's thread inside a batch, and
///   `done` is called from that thread once the batch is durable. Nothing
///   waits: this is how the server runs its write methods, so a request
///   queue shared by many connections never waits for an fsync.
/// - `write`: the same, for callers that may block (tests, maintenance);
///   the calling thread waits for the commit.
///
/// While a batch runs, `WriteBatcher.active` holds its connection, so
/// store code called from a submitted body writes and reads on it inline
/// (`ProfilesDatabase.write` and `read`): it sees the batch's earlier
/// writes and never re-enters GRDB's writer.
///
/// `@unchecked Sendable`: `pending`, `draining` and the counts are guarded
/// by `lock`; the database is touched only on `queue`, one batch at a time.
final class WriteBatcher: @unchecked Sendable {
    private let pool: DatabasePool
    private let queue = DispatchQueue(label: "profiles.writer")
    private let lock = NSLock()
    private var pending: [Job] = []
    private var draining = false
    private var commits = 0
    private var writes = 0
    /// The most writes one transaction takes; bounds how long a batch
    /// holds the write lock.
    static let maxBatch = 256

    /// Fired after each successful commit, once the callers are answered:
    /// a caller subscribed to the feed gets its write's answer before the
    /// event of it (both are queued on its connection's queue, in this order).
    private let committed: CommitSignal
    /// Run once per batch, inside its transaction, after the last write
    /// and right before COMMIT (the search index's update). A failure
    /// fails the whole batch.
    private let beforeCommit: (Database) throws -> Void

    init(pool: DatabasePool, committed: CommitSignal, beforeCommit: @escaping (Database) throws -> Void = { _ in }) {
        self.pool = pool
        self.committed = committed
        self.beforeCommit = beforeCommit
    }

    /// The batch being run on this thread, if any.
    @TaskLocal static var active: ActiveBatch?

    /// The writer's connection while a batch runs, and the work to do once
    /// it has committed.
    ///
    /// `@unchecked Sendable`: it is created, used and dropped on the
    /// writer's thread within one batch; the task-local only makes it
    /// reachable from the code that batch calls.
    final class ActiveBatch: @unchecked Sendable {
        let db: Database
        fileprivate var afterCommit: [() -> Void] = []
        fileprivate init(db: Database) { self.db = db }

        /// Runs `work` on the writer's thread after this batch commits
        /// (not at all if it fails), before any caller is answered.
        func onCommit(_ work: @escaping () -> Void) { afterCommit.append(work) }
    }

    /// One caller's write. `failure` is written by the writer only.
    ///
    /// `@unchecked Sendable`: created by the caller, then touched only on
    /// the writer's queue until `done` hands it back.
    private final class Job: @unchecked Sendable {
        /// Dropped as soon as it ran, so what it captured is released
        /// before the caller is answered.
        var body: ((Database) throws -> Void)?
        /// True: the writer wraps the body in a savepoint. False: the body
        /// makes its own (through `ProfilesDatabase.write`), and throws
        /// only what it did not write.
        let savepoint: Bool
        let done: @Sendable ((any Error)?) -> Void
        var failure: (any Error)?
        init(savepoint: Bool, body: @escaping (Database) throws -> Void, done: @escaping @Sendable ((any Error)?) -> Void) {
            self.savepoint = savepoint
            self.body = body
            self.done = done
        }
    }

    /// Transactions committed and writes they held, since start.
    var counts: (commits: Int, writes: Int) { lock.withLock { (commits, writes) } }

    /// Runs `body` in the next batch, on the writer's thread, with
    /// `WriteBatcher.active` set; calls `done` from that thread once the
    /// batch is committed (nil) or has failed (the cause). `body` is not
    /// wrapped in a savepoint: it must make its writes atomic itself and
    /// throw only after rolling back what it wrote.
    func submit(_ body: @escaping @Sendable () throws -> Void, done: @escaping @Sendable ((any Error)?) -> Void) {
        enqueue(Job(savepoint: false, body: { _ in try body() }, done: done))
    }

    /// Runs `body` in a savepoint of the next batch and returns once that
    /// batch is committed (or has failed). Blocks the calling thread.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        try withoutActuallyEscaping(body) { body in
            // The closure escapes only into the job, which the writer runs
            // and drops before `done` is called, while this caller waits.
            var result: T?
            let finished = DispatchSemaphore(value: 0)
            let outcome = Outcome()
            let job = Job(savepoint: true, body: { db in result = try body(db) }) { failure in
                outcome.failure = failure
                finished.signal()
            }
            enqueue(job)
            finished.wait()
            if let failure = outcome.failure { throw failure }
            return result!
        }
    }

    /// `@unchecked Sendable`: written by the writer before the semaphore is
    /// signalled, read by the waiting caller after.
    private final class Outcome: @unchecked Sendable { var failure: (any Error)? }

    private func enqueue(_ job: Job) {
        let start: Bool = lock.withLock {
            pending.append(job)
            if draining { return false }
            draining = true
            return true
        }
        if start { queue.async { self.drain() } }
    }

    /// Commits batches until no write is waiting.
    private func drain() {
        while true {
            let batch: [Job] = lock.withLock {
                let batch = Array(pending.prefix(Self.maxBatch))
                pending.removeFirst(batch.count)
                if batch.isEmpty { draining = false }
                return batch
            }
            if batch.isEmpty { return }
            commit(batch)
        }
    }

    private func commit(_ batch: [Job]) {
        /// The failure that ended the whole transaction, if one did: SQLite
        /// rolls the transaction back on its own after some errors (a full
        /// disk), and GRDB then refuses every later statement as aborted.
        var abort: (any Error)?
        var afterCommit: [() -> Void] = []
        var didCommit = false
        do {
            try pool.writeWithoutTransaction { db in
                let active = ActiveBatch(db: db)
                defer { afterCommit = active.afterCommit }
                try Self.$active.withValue(active) {
                    try db.inTransaction {
                        for job in batch {
                            do {
                                if job.savepoint {
                                    try db.withSavepoint { try job.body?(db) }
                                } else {
                                    try job.body?(db)
                                }
                            } catch {
                                job.failure = error
                                if abort == nil && !db.isInsideTransaction { abort = error }
                            }
                            job.body = nil
                        }
                        // After an abort SQLite has rolled back already; the
                        // COMMIT below fails and reports it.
                        if abort == nil { try beforeCommit(db) }
                        return .commit
                    }
                }
            }
            didCommit = true
            for work in afterCommit { work() }
        } catch {
            // The commit itself failed: nothing of this batch is durable.
            // Every write of it learns the cause, not "transaction aborted".
            let cause = abort ?? error
            for job in batch where job.failure == nil || Self.isAborted(job.failure) { job.failure = cause }
        }
        for job in batch { job.body = nil }
        // Counted before anyone is answered, so a caller that reads the
        // counts after its write sees that write counted.
        lock.withLock {
            commits += 1
            writes += batch.count
        }
        for job in batch { job.done(job.failure) }
        if didCommit { committed.fire() }
    }

    private static func isAborted(_ error: (any Error)?) -> Bool {
        (error as? DatabaseError)?.resultCode == .SQLITE_ABORT
    }
}
