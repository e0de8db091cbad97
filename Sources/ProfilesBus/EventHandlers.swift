import ProfilesDomain
import ProfilesProtocol
import ProfilesStore

/// events.read / subscribe / unsubscribe: the change feed (SPEC §9).
extension CommandBus.Registry {
    mutating func registerEventMethods(database: ProfilesDatabase, feed: EventFeed) {
        register("events.read", MethodSpec(
            "A page of the workspace's change feed, oldest first.",
            params: [.optional("after", Schema.seq, "events with a greater seq (default: from the oldest kept)"), .limit],
            result: Schema.ref("EventPage"), errors: [.conflict])) { p, ctx in
            // Without `after`, the page starts at the oldest event kept.
            let after = try p.raw("after") == nil ? nil : p.sequence("after")
            let page = try database.feedPage(workspace: ctx.workspace, after: after, limit: p.limit())
            return JSONValue.object([
                "events": .array(page.events.map(\.json)), "last_seq": .int(page.events.last?.seq ?? page.after),
                "first_seq": page.firstSeq.map(JSONValue.int) ?? .null, "head_seq": .int(page.headSeq),
            ])
        }

        register("events.subscribe", MethodSpec(
            "Pushes every event after `after` as `event` notifications on this connection.",
            params: [.optional("after", Schema.seq, "replay events after this seq first (default: only new events)")],
            result: Schema.record(["subscribed": Schema.constant(true), "after": Schema.seq]), errors: [.conflict])) { p, ctx in
            guard let pusher = ctx.session.pusher else {
                throw DomainError.invalid("after", "this connection cannot receive pushed events")
            }
            let after = try p.has("after") ? p.sequence("after") : database.lastEventSeq()
            // Fails now, rather than in the push, when retention already
            // removed events the subscriber would need.
            _ = try database.events(workspace: ctx.workspace, after: after, limit: 0)
            ctx.session.subscription?.cancel()
            let subscription = Subscription(feed: feed, workspace: ctx.workspace, after: after, pusher: pusher)
            ctx.session.subscription = subscription
            pusher.subscriptionStarted()
            // The first pump runs on the connection's queue after this
            // answer has been queued, so the answer comes first.
            feed.add(subscription)
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
