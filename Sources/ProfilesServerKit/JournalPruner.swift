import Dispatch
import Foundation
import Logging
import ProfilesDomain
import ProfilesStore

/// Removes change-feed events older than the retention, and expired
/// idempotency keys, in the background: at start and then every tenth of
/// the retention (at most hourly), on a queue of its own.
///
/// `@unchecked Sendable`: `timer` is set in `start` and cleared in `stop`,
/// both called by the server's owner, never concurrently.
final class JournalPruner: @unchecked Sendable {
    private let database: ProfilesDatabase
    private let retention: TimeInterval
    private let logger: Logger
    private let queue = DispatchQueue(label: "profiles.pruner", qos: .utility)
    private var timer: DispatchSourceTimer?

    init(database: ProfilesDatabase, retention: TimeInterval, logger: Logger) {
        self.database = database
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

    private func prune() {
        let cutoff = Timestamp(milliseconds: Timestamp.now().milliseconds - Int64(retention * 1000))
        do {
            let removed = try database.pruneJournal(eventsBefore: cutoff)
            if removed.events > 0 || removed.keys > 0 {
                logger.info("pruned the change feed", metadata: ["events": "\(removed.events)", "idempotency_keys": "\(removed.keys)"])
            }
        } catch {
            logger.error("pruning the change feed failed", metadata: ["error": "\(error)"])
        }
    }
}
