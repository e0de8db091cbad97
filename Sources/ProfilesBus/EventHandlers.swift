import ProfilesDomain
import ProfilesProtocol
import ProfilesStore

/// events.read / subscribe / unsubscribe: the change feed (SPEC §9).
extension CommandBus.Registry {
    mutating func registerEventMethods(store: any ProfileStore, feed: EventFeed) {
        registerRead("events.read", MethodSpec(
            "A page of the workspace's change feed, oldest first.",
            params: [.optional("after", Schema.seq, "events with a greater seq (default: from the oldest kept)"), .limit],
            result: Schema.ref("EventPage"), errors: [.conflict])) { p, ctx in
            // Without `after`, the page starts at the oldest event kept.
            let after = try p.raw("after") == nil ? nil : p.sequence("after")
            return EventPage(try await store.feedPage(workspace: ctx.workspace, after: after, limit: p.limit()))
        }

        registerRead("events.subscribe", MethodSpec(
            "Pushes every event after `after` as `event` notifications on this connection.",
            params: [.optional("after", Schema.seq, "replay events after this seq first (default: only new events)")],
            result: Schema.record(["subscribed": Schema.constant(true), "after": Schema.seq]), errors: [.conflict])) { p, ctx in
            guard let pusher = ctx.session.pusher else {
                throw DomainError.invalid("after", "this connection cannot receive pushed events")
            }
            let after = try p.has("after") ? p.sequence("after") : await store.lastEventSeq(workspace: ctx.workspace)
            // Fails now, rather than in the push, when retention already
            // removed events the subscriber would need.
            _ = try await store.events(workspace: ctx.workspace, after: after, limit: 0)
            // The session belongs to the connection's queue, where a
            // PostgreSQL call has not resumed.
            pusher.onQueue {
                ctx.session.subscription?.cancel()
                let subscription = Subscription(feed: feed, workspace: ctx.workspace, after: after, pusher: pusher)
                ctx.session.subscription = subscription
                pusher.subscriptionStarted()
                // Its events wait until this answer is sent: the connection
                // holds pushes while a call is pending, and on SQLite the
                // first pump runs on the queue after the answer was queued.
                feed.add(subscription)
            }
            return JSONValue.object(["subscribed": true, "after": .int(after)])
        }

        register("events.unsubscribe", MethodSpec(
            "Stops the pushes; false when there was no subscription.",
            result: Schema.record(["unsubscribed": Schema.boolean]))) { _, ctx in
            let was = ctx.session.subscription != nil
            ctx.session.endSubscription()
            return JSONValue.object(["unsubscribed": .bool(was)])
        }
    }
}

extension Params {
    /// A seq of the change feed: an integer ≥ 0, 0 when absent.
    func sequence(_ key: String) throws(DomainError) -> Int64 {
        guard let value = try optionalInteger(key) else { return 0 }
        guard value >= 0 else { throw .invalid(key, "must be 0 or more") }
        return value
    }
}

/// The answer of `events.read`: `{"events":[…],"first_seq":…,"head_seq":…,"last_seq":…}`,
/// `first_seq` `null` when the workspace keeps no event, `last_seq` the
/// page's last event (the page's start when it is empty).
struct EventPage: Encodable, Sendable, JSONWritable {
    let events: [FeedEvent]
    let firstSeq: Int64?
    let headSeq: Int64
    let lastSeq: Int64

    init(_ page: FeedPage) {
        events = page.events
        firstSeq = page.firstSeq
        headSeq = page.headSeq
        lastSeq = page.events.last?.seq ?? page.after
    }

    /// Written from each event's stored parts, its JSON texts as they are
    /// (`FeedEvent.writeJSON`).
    func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        JSONWriter.append(#"{"events":"#, to: &bytes)
        try events.writeJSON(to: &bytes)
        JSONWriter.append(#","first_seq":"#, to: &bytes)
        try firstSeq.writeJSON(to: &bytes)
        JSONWriter.append(#","head_seq":"#, to: &bytes)
        JSONWriter.write(headSeq, into: &bytes)
        JSONWriter.append(#","last_seq":"#, to: &bytes)
        JSONWriter.write(lastSeq, into: &bytes)
        bytes.append(UInt8(ascii: "}"))
    }

    /// The same value as a `JSONValue` tree, each event's stored JSON read
    /// back into values: how the page was written before `writeJSON`, kept
    /// for an `Encoder` (Tests/ServerTests/JSONWritableTests.swift compares
    /// the two).
    var json: JSONValue {
        .object([
            "events": .array(events.map(\.json)), "last_seq": .int(lastSeq),
            "first_seq": firstSeq.map(JSONValue.int) ?? .null, "head_seq": .int(headSeq),
        ])
    }

    func encode(to encoder: any Encoder) throws {
        try json.encode(to: encoder)
    }
}
