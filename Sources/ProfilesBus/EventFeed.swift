import Dispatch
import Foundation
import ProfilesDomain
import ProfilesProtocol
import ProfilesStore

/// Where a subscription's events go: one connection, written on its queue.
public protocol EventPusher: AnyObject, Sendable {
    /// The connection's serial queue; `push` is called only on it.
    var queue: DispatchQueue { get }
    /// A subscription began or ended on this connection (on `queue`).
    func subscriptionStarted()
    func subscriptionEnded()
    /// Flushes what is queued and closes the connection (on `queue`),
    /// giving up on the flush after the connection's close deadline.
    func disconnect()
    /// Queues one line. Returns false when the peer has fallen too far
    /// behind; the pusher has then closed the connection.
    func push(_ line: [UInt8]) -> Bool
    /// True while a write of this connection waits for its answer, and
    /// while it answers a batch (on `queue`): no event is pushed meanwhile,
    /// so the connection gets its write's answer before the event of it,
    /// and no event lands inside a batch's array. `Session.writeAnswered`
    /// wakes the subscription again.
    var holdsPushes: Bool { get }
    /// Runs `body` on `queue`: at once when called there, otherwise
    /// waiting for it (a handler that resumed elsewhere after awaiting the
    /// store touches the session this way).
    func onQueue(_ body: () -> Void)
}

/// Live subscriptions to the change feed (SPEC §9). A subscription never
/// holds events itself: on every commit it reads from the events table
/// what follows the last seq it sent, so replay and live push are the same
/// read, with no gap and no duplicate at the seam.
///
/// `@unchecked Sendable`: `subscriptions` is guarded by `lock`.
public final class EventFeed: @unchecked Sendable {
    let store: any ProfileStore
    private let lock = NSLock()
    private var subscriptions: [ObjectIdentifier: Subscription] = [:]
    /// Events read per step of a subscription's catch-up.
    static let batch = 500

    public init(store: any ProfileStore) {
        self.store = store
        store.committed.observe { [weak self] in self?.wakeAll() }
    }

    func add(_ subscription: Subscription) {
        lock.withLock { subscriptions[ObjectIdentifier(subscription)] = subscription }
        subscription.wake()
    }

    func remove(_ subscription: Subscription) {
        _ = lock.withLock { subscriptions.removeValue(forKey: ObjectIdentifier(subscription)) }
    }

    private func wakeAll() {
        for subscription in lock.withLock({ Array(subscriptions.values) }) { subscription.wake() }
    }
}

/// One connection's subscription: sends the events of its workspace after
/// `lastSeq`, in seq order, as `event` notifications.
///
/// `@unchecked Sendable`: `lastSeq`, `active`, `reading` and `readAgain`
/// are touched only on the
/// pusher's queue; `scheduled` is guarded by `lock`.
final class Subscription: @unchecked Sendable {
    private let feed: EventFeed
    private let workspace: String
    private let pusher: any EventPusher
    private var lastSeq: Int64
    private var active = true
    /// A read of the store is in flight, and another was asked for
    /// meanwhile (both on the pusher's queue).
    private var reading = false
    private var readAgain = false
    private let lock = NSLock()
    private var scheduled = false

    init(feed: EventFeed, workspace: String, after: Int64, pusher: any EventPusher) {
        self.feed = feed
        self.workspace = workspace
        self.pusher = pusher
        self.lastSeq = after
    }

    /// From any thread: new events may exist. At most one pump is queued.
    func wake() {
        let start: Bool = lock.withLock {
            if scheduled { return false }
            scheduled = true
            return true
        }
        if start { pusher.queue.async { self.pump() } }
    }

    /// On the pusher's queue: stop sending.
    func cancel() {
        active = false
        feed.remove(self)
    }

    private func pump() {
        // Cleared before reading, so a commit during the read queues
        // another pump rather than being missed.
        lock.withLock { scheduled = false }
        if reading {
            // A read is in flight (PostgreSQL): it reads again when done.
            readAgain = true
            return
        }
        read()
    }

    /// Reads and pushes until caught up. A read the store answers at once
    /// (SQLite) is pushed in this loop; one it answers later is pushed by
    /// `deliver` on the pusher's queue, which then goes on reading.
    private func read() {
        while active && !pusher.holdsPushes {
            reading = true
            readAgain = false
            let immediate = ImmediateCall.start(on: feed.store.executor, { [feed, workspace, lastSeq] () async -> Result<[FeedEvent], any Error> in
                do { return .success(try await feed.store.events(workspace: workspace, after: lastSeq, limit: EventFeed.batch)) }
                catch { return .failure(error) }
            }, later: { result in
                self.pusher.queue.async {
                    // The connection began answering a write or a batch
                    // while this read was in flight (PostgreSQL): an event
                    // now would land before that answer, or inside a
                    // batch's array. The events are read again from
                    // `lastSeq` when the hold ends (`Session.writeAnswered`).
                    if self.pusher.holdsPushes {
                        self.reading = false
                        return
                    }
                    if self.push(result) { self.read() }
                }
            })
            guard let result = immediate, push(result) else { return }
        }
    }

    /// Pushes what a read returned (on the pusher's queue); true when
    /// there may be more to read.
    private func push(_ result: Result<[FeedEvent], any Error>) -> Bool {
        reading = false
        guard active else { return false }
        let events: [FeedEvent]
        switch result {
        case .success(let read): events = read
        case .failure:
            // Retention removed events this subscriber had not yet
            // received (or the database failed): it must not go on with
            // a gap. Disconnected, it learns why when it subscribes again.
            cancel()
            pusher.subscriptionEnded()
            pusher.disconnect()
            return false
        }
        for event in events {
            guard pusher.push(Envelope.encodeNotification(method: "event", params: event)) else {
                cancel()
                pusher.subscriptionEnded()
                return false
            }
            lastSeq = event.seq
        }
        return events.count == EventFeed.batch || readAgain
    }
}

/// The event as the protocol shows it (SPEC §9), written from its stored
/// parts: `{"at":…,"data":…,"id":…,"seq":…,"type":…,"workspace":…}`
/// (the members sorted, as `JSONEncoder` sorted them). `id` is the stored
/// `entity` and `data` the stored `data`, both JSON text the server wrote
/// in the write's own transaction (Journal.swift), appended as they are
/// (`JSONText`): the same JSON value as reading them back and writing
/// them again, without doing either. (Inside `data`, members come in the
/// order Journal.swift wrote them: `params`, `result`, `profiles`.)
extension FeedEvent: JSONWritable {
    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        JSONWriter.append(#"{"at":"#, to: &bytes)
        try at.writeJSON(to: &bytes)
        JSONWriter.append(#","data":"#, to: &bytes)
        try JSONText(trusted: data).writeJSON(to: &bytes)
        JSONWriter.append(#","id":"#, to: &bytes)
        try JSONText(trusted: entity).writeJSON(to: &bytes)
        JSONWriter.append(#","seq":"#, to: &bytes)
        JSONWriter.write(seq, into: &bytes)
        JSONWriter.append(#","type":"#, to: &bytes)
        JSONWriter.write(type, into: &bytes)
        JSONWriter.append(#","workspace":"#, to: &bytes)
        JSONWriter.write(workspace, into: &bytes)
        bytes.append(UInt8(ascii: "}"))
    }
}

extension FeedEvent {
    /// The event as a `JSONValue` tree, its stored JSON read back into
    /// values (`null` if it were not JSON): what was written before
    /// `writeJSON`, kept as the reference `EventPage` encodes and the tests
    /// compare with.
    var json: JSONValue {
        .object([
            "seq": .int(seq), "type": .string(type), "workspace": .string(workspace),
            "id": (try? Envelope.decodeJSON(entity)) ?? .null, "at": .string(at.description),
            "data": (try? Envelope.decodeJSON(data)) ?? .null,
        ])
    }
}
