import ProfilesStore
import Synchronization

/// Starts a store call with `Task.immediate`: it runs on the caller's
/// thread until it first suspends. A SQLite call never does (see
/// ProfileStore), so its outcome is returned at once, on the connection's
/// queue, as before the store was `async`. A PostgreSQL call suspends
/// while the database answers; then nil is returned and `later` gets the
/// outcome from whatever thread resumed it. No thread waits either way.
enum ImmediateCall {
    /// `executor`: where the call resumes if it suspends (the store's).
    static func start<Outcome: Sendable>(on executor: StoreExecutor?, _ body: @escaping @Sendable () async -> Outcome,
                                         later: @escaping @Sendable (Outcome) -> Void) -> Outcome? {
        let slot = Slot<Outcome>()
        Task.immediate(executorPreference: executor) {
            let outcome = await body()
            if slot.finish(outcome) { later(outcome) }
        }
        return slot.takeIfFinished()
    }

    /// Decides once who delivers the outcome: the starter, if the body
    /// finished before `Task.immediate` returned; `later` otherwise.
    private final class Slot<Outcome: Sendable>: Sendable {
        private enum State { case running, finished(Outcome), handedOff }
        private let state = Mutex<State>(.running)

        /// The body's end; true when the starter has already gone.
        func finish(_ outcome: Outcome) -> Bool {
            state.withLock { state in
                if case .handedOff = state { return true }
                state = .finished(outcome)
                return false
            }
        }

        /// The starter's turn, once `Task.immediate` returned.
        func takeIfFinished() -> Outcome? {
            state.withLock { state in
                if case .finished(let outcome) = state { return outcome }
                state = .handedOff
                return nil
            }
        }
    }
}
