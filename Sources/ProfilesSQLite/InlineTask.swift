import ProfilesStore
import Synchronization

/// Runs an `async` body to its end on the calling thread. For bodies that
/// only await this store's operations: they are synchronous functions and
/// this module is built with `NonisolatedNonsendingByDefault`, so awaiting
/// them neither hops nor suspends, and the task started by
/// `Task.immediate` has finished when it returns. The writer needs that:
/// a write method's body runs inside the batch's transaction, and must be
/// done before the batch goes on.
enum InlineTask {
    static func run(_ body: @escaping @Sendable () async throws -> Void) throws {
        let outcome = Mutex<Result<Void, any Error>?>(nil)
        // The task inherits the caller's task-locals (WriteBatcher.active).
        Task.immediate {
            let result: Result<Void, any Error>
            do { try await body(); result = .success(()) } catch { result = .failure(error) }
            outcome.withLock { $0 = result }
        }
        guard let result = outcome.withLock({ $0 }) else {
            // A body that awaited something else than this store would go
            // on outside its savepoint: a programming error, never data.
            fatalError("a write body given to the SQLite store suspended; it may await only the store's operations")
        }
        try result.get()
    }
}
