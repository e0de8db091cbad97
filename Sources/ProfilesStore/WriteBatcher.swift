import Dispatch
import Foundation
import GRDB

/// Group commit: writes that arrive while the writer is busy are run
/// together in one transaction, each in a savepoint of its own, and
/// committed with one fsync. Each caller is answered only after the commit
/// that holds its write, so an acknowledged write is durable; a write that
/// fails rolls back its savepoint alone and leaves the others in the batch.
///
/// `@unchecked Sendable`: `pending` and `draining` are guarded by `lock`;
/// the database is touched only on `queue`, one batch at a time.
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

    /// Fired after each successful commit, before the callers are answered.
    private let committed: CommitSignal
    /// Run once per batch, inside its transaction, after the last write's
    /// savepoint and right before COMMIT (the search index's update). A
    /// failure fails the whole batch.
    private let beforeCommit: (Database) throws -> Void

    init(pool: DatabasePool, committed: CommitSignal, beforeCommit: @escaping (Database) throws -> Void = { _ in }) {
        self.pool = pool
        self.committed = committed
        self.beforeCommit = beforeCommit
    }

    /// One caller's write. The caller waits on `done` and reads `outcome`
    /// afterwards; `outcome` is written only by the writer before `done`
    /// is signalled.
    private final class Job: @unchecked Sendable {
        /// Dropped by the writer as soon as it ran, so the caller's
        /// non-escaping closure is released before the caller resumes.
        var body: ((Database) throws -> Void)?
        let done = DispatchSemaphore(value: 0)
        var failure: (any Error)?
        init(body: @escaping (Database) throws -> Void) { self.body = body }
    }

    /// Transactions committed and writes they held, since start.
    var counts: (commits: Int, writes: Int) { lock.withLock { (commits, writes) } }

    /// Runs `body` in the next batch and returns once that batch is
    /// committed (or has failed).
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        try withoutActuallyEscaping(body) { body in
            // The closure escapes only into the job, which the writer runs
            // and drops before `done` is signalled, while this caller waits.
            var result: T?
            let job = Job { db in result = try body(db) }
            enqueue(job)
            job.done.wait()
            if let failure = job.failure { throw failure }
            return result!
        }
    }

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
        do {
            try pool.writeWithoutTransaction { db in
                try db.inTransaction {
                    for job in batch {
                        do {
                            try db.inSavepoint {
                                try job.body?(db)
                                return .commit
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
            committed.fire()
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
        for job in batch { job.done.signal() }
    }

    private static func isAborted(_ error: (any Error)?) -> Bool {
        (error as? DatabaseError)?.resultCode == .SQLITE_ABORT
    }
}
