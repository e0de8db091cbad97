import Dispatch
import Foundation
import PostgresNIO
import Synchronization

/// The deadlines of every leased call of a store, checked by one timer
/// (every 100 ms) instead of a sleeping task per call: a call that waits
/// for a pooled connection past `leaseTimeout`, or holds one past
/// `callDeadline`, is answered `unavailable` at once (`expire`), and its
/// waiting lease is cancelled or its connection closed.
///
/// `@unchecked Sendable`: `timer` is set up in `init` and afterwards only
/// cancelled (a DispatchSource is thread-safe); `calls` is behind a Mutex.
final class CallDeadlines: @unchecked Sendable {
    /// One leased call, from its start until it ends.
    final class Call: Sendable {
        fileprivate struct State {
            var deadline: ContinuousClock.Instant
            var connection: PostgresConnection?
            var holder: Task<Void, Never>?
        }
        fileprivate let state: Mutex<State>
        /// Answers the caller with an error; false when it was answered.
        fileprivate let expire: @Sendable (any Error) -> Bool

        fileprivate init(deadline: ContinuousClock.Instant, expire: @escaping @Sendable (any Error) -> Bool) {
            state = Mutex(State(deadline: deadline))
            self.expire = expire
        }
    }

    private let calls = Mutex<[ObjectIdentifier: Call]>([:])
    private let timer: DispatchSourceTimer
    let leaseTimeout: Duration
    let callDeadline: Duration

    init(leaseTimeout: Duration, callDeadline: Duration) {
        self.leaseTimeout = leaseTimeout
        self.callDeadline = callDeadline
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "profiles.postgres.deadlines"))
        timer.schedule(deadline: .now() + .milliseconds(100), repeating: .milliseconds(100), leeway: .milliseconds(20))
        timer.setEventHandler { [weak self] in self?.sweep() }
        timer.resume()
    }

    deinit { timer.cancel() }

    /// A call begins to wait for a connection.
    func begin(expire: @escaping @Sendable (any Error) -> Bool) -> Call {
        let call = Call(deadline: .now + leaseTimeout, expire: expire)
        calls.withLock { $0[ObjectIdentifier(call)] = call }
        return call
    }

    /// The task leasing for `call`, cancelled if the lease times out.
    func leasing(_ call: Call, by holder: Task<Void, Never>) {
        call.state.withLock { $0.holder = holder }
    }

    /// The call got `connection`: its deadline is now the call's. False
    /// when its lease had already timed out: its caller was answered
    /// `unavailable`, so the body must not run (a write would happen
    /// after "nothing was written").
    func leased(_ call: Call, _ connection: PostgresConnection, deadline: Duration? = nil) -> Bool {
        calls.withLock { calls in
            guard calls[ObjectIdentifier(call)] != nil else { return false }
            call.state.withLock {
                $0.connection = connection
                $0.deadline = .now + (deadline ?? callDeadline)
            }
            return true
        }
    }

    /// The call ended (answered or not).
    func end(_ call: Call) {
        _ = calls.withLock { $0.removeValue(forKey: ObjectIdentifier(call)) }
    }

    func stop() { timer.cancel() }

    private func sweep() {
        let now = ContinuousClock.now
        let overdue = calls.withLock { calls in
            let overdue = calls.values.filter { call in call.state.withLock { $0.deadline <= now } }
            for call in overdue { calls[ObjectIdentifier(call)] = nil }
            return overdue
        }
        for call in overdue {
            let (connection, holder) = call.state.withLock { ($0.connection, $0.holder) }
            if let connection {
                // A call the database left unanswered (postgres-nio, now
                // and then, left a query pending when PostgreSQL shut down).
                if call.expire(CallDeadlinePassed()) { Task { try? await connection.close() } }
            } else if call.expire(LeaseTimeout()) {
                // No connection in time; the pool's lease request goes.
                holder?.cancel()
            }
        }
    }
}

/// No pooled connection within the lease timeout.
struct LeaseTimeout: Error {}

/// A leased call left unanswered past its deadline.
struct CallDeadlinePassed: Error {}

/// Who answers a leased call first, its body or its deadline: the caller
/// is resumed once.
final class CallOutcome<T: Sendable>: Sendable {
    private let caller: Mutex<CheckedContinuation<T, any Error>?>

    init(_ caller: CheckedContinuation<T, any Error>) { self.caller = Mutex(caller) }

    /// True when this was the first answer.
    @discardableResult
    func resume(with result: Result<T, any Error>) -> Bool {
        guard let caller = caller.withLock({ $0.take() }) else { return false }
        caller.resume(with: result)
        return true
    }
}
