import ProfilesDomain
import ProfilesProtocol
import ProfilesStore

/// How a write method's committed change appears in the change feed
/// (SPEC §9): the event type, and the id of the entity it is about.
struct FeedEntry: Sendable {
    let type: @Sendable (_ answer: JSONValue) -> String
    let entity: @Sendable (_ answer: JSONValue, _ params: Params) -> JSONValue

    /// A fixed type about the entity the answer is (its `id`).
    static func named(_ type: String) -> FeedEntry {
        FeedEntry(type: { _ in type }, entity: { answer, _ in answer["id"] ?? .null })
    }

    static func named(_ type: String, entity: @escaping @Sendable (JSONValue, Params) -> JSONValue) -> FeedEntry {
        FeedEntry(type: { _ in type }, entity: entity)
    }
}

extension CommandBus.Registry {
    /// Registers a method that changes data. On top of `register`, it
    /// accepts `idempotency_key` (SPEC §8) and records its change in the
    /// feed: both are written by the store in the write's own savepoint,
    /// through the `WriteIntent` bound around the handler.
    ///
    /// A key seen within 24 h with the same params answers with the stored
    /// first answer and writes nothing; with other params it is a conflict.
    mutating func registerWrite(_ name: String, _ spec: MethodSpec, database: ProfilesDatabase, feed: FeedEntry,
                                handler: @escaping CommandBus.Handler) {
        let spec = spec.adding(.optional("idempotency_key", Schema.string(minLength: 1, maxLength: 200),
                                         "the same key with the same params within 24 h answers the first answer again"))
            .adding(errors: [.conflict, .storageFull])
        register(name, spec) { p, ctx in
            let key = try p.optionalString("idempotency_key")
            if let key, key.isEmpty || key.count > 200 {
                throw DomainError.invalid("idempotency_key", "must be 1–200 characters")
            }
            let request = try Envelope.encodeJSON(JSONValue.object(p.values.filter { $0.key != "workspace" && $0.key != "idempotency_key" }))
            if let key, let stored = try database.storedAnswer(workspace: ctx.workspace, key: key) {
                return try replay(stored, key: key, method: name, request: request)
            }
            let intent = WriteIntent(workspace: ctx.workspace, method: name, request: request, idempotencyKey: key) { value in
                let answer = try Envelope.encodeJSON(value)
                let json = try Envelope.decodeJSON(answer)
                let entity = try Envelope.encodeJSON(feed.entity(json, p))
                return WriteIntent.Record(eventType: feed.type(json), entity: entity, answer: answer)
            }
            do {
                return try WriteIntent.$current.withValue(intent) { try handler(p, ctx) }
            } catch is IdempotencyKeyTaken {
                // A concurrent call with the same key committed first; its
                // answer is now stored.
                guard let key, let stored = try database.storedAnswer(workspace: ctx.workspace, key: key) else {
                    throw DomainError(kind: .conflict, message: "idempotency_key is in use by another request; retry")
                }
                return try replay(stored, key: key, method: name, request: request)
            }
        }
    }
}

/// The stored first answer, if the request is the same one.
private func replay(_ stored: StoredAnswer, key: String, method: String, request: String) throws -> JSONValue {
    guard stored.method == method, stored.request == request else {
        throw DomainError.conflict("idempotency_key '\(key)' was used within 24 h for a different request (\(stored.method))",
                                   reason: "idempotency_key_reused")
    }
    return try Envelope.decodeJSON(stored.answer)
}
