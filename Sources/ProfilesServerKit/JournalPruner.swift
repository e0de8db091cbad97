import Dispatch
import Foundation
import Logging
import ProfilesDomain
import ProfilesSQLite
import ProfilesStore
import Synchronization

/// Removes change-feed events older than the retention, and expired
/// idempotency keys, in the background: at start and then every tenth of
/// the retention (at most hourly), on a queue of its own.
///
/// `@unchecked Sendable`: `timer` is set in `start` and cleared in `stop`,
/// both called by the server's owner, never concurrently.
final class JournalPruner: @unchecked Sendable {
    private let store: any ProfileStore
    private let retention: TimeInterval
    private let logger: Logger
    private let queue = DispatchQueue(label: "profiles.pruner", qos: .utility)
    private var timer: DispatchSourceTimer?

    init(store: any ProfileStore, retention: TimeInterval, logger: Logger) {
        self.store = store
        self.retention = retention
        self.logger = logger
    }

    func start() {
        let timer = DispatchSource.makeTimerSource(queue: queue)
        let interval = max(1, min(retention / 10, 3600))
        timer.schedule(deadline: .now(), repeating: interval)
        timer.setEventHandler { [self] in prune() }
        self.timer = timer
        timer.resume()
    }

    func stop() {
        timer?.cancel()
        timer = nil
        // A prune in progress finishes before the database closes.
        queue.sync {}
    }

    /// On the pruner's queue: waits for the store (a rare background job,
    /// so a parked utility thread is fine here, unlike on the request path).
    private func prune() {
        let cutoff = Timestamp(milliseconds: Timestamp.now().milliseconds - Int64(retention * 1000))
        let outcome = WaitedResult<(events: Int, keys: Int)>()
        let done = DispatchSemaphore(value: 0)
        // Inline with SQLite; on the store's own threads with PostgreSQL.
        Task.immediate(executorPreference: store.executor) { [store] in
            do { outcome.set(.success(try await store.pruneJournal(eventsBefore: cutoff))) } catch { outcome.set(.failure(error)) }
            done.signal()
        }
        done.wait()
        do {
            let removed = try outcome.get()
            if removed.events > 0 || removed.keys > 0 {
                logger.info("pruned the change feed", metadata: ["events": "\(removed.events)", "idempotency_keys": "\(removed.keys)"])
            }
        } catch {
            logger.error("pruning the change feed failed", metadata: ["error": "\(error)"])
        }
    }
}

/// A result handed from a task to the thread waiting for it.
private final class WaitedResult<Value: Sendable>: Sendable {
    private let value = Mutex<Result<Value, any Error>?>(nil)
    func set(_ result: Result<Value, any Error>) { value.withLock { $0 = result } }
    func get() throws -> Value { try value.withLock { $0! }.get() }
}
