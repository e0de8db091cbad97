import ProfilesDomain
import ProfilesProtocol
import ProfilesStore

/// How a write method's committed change appears in the change feed
/// (SPEC §9): the event type, and the id of the entity it is about. Both
/// are read from the store's typed result (or the params), inside the
/// writer, so the answer is encoded to JSON once and never decoded back.
struct FeedEntry: Sendable {
    let type: @Sendable (_ result: any Encodable) -> String
    let entity: @Sendable (_ result: any Encodable, _ params: Params) -> JSONValue

    /// A fixed type about the entity the result is (its `id`).
    static func named(_ type: String) -> FeedEntry {
        FeedEntry(type: { _ in type }, entity: { result, _ in (result as? any FeedIdentified).map { .int($0.feedID) } ?? .null })
    }

    /// A fixed type about the entity `entity` picks from the result, of
    /// the type the method's store call returns, or from the params.
    static func named<Result>(_ type: String, entity: @escaping @Sendable (Result, Params) -> JSONValue) -> FeedEntry {
        FeedEntry(type: { _ in type }, entity: { result, p in (result as? Result).map { entity($0, p) } ?? .null })
    }

    /// A type and an entity that both depend on the result.
    static func typed<Result>(type: @escaping @Sendable (Result) -> String,
                              entity: @escaping @Sendable (Result, Params) -> JSONValue) -> FeedEntry {
        FeedEntry(type: { result in
                      guard let result = result as? Result else {
                          assertionFailure("feed entry for \(Result.self) given a \(Swift.type(of: result))")
                          return "unknown"
                      }
                      return type(result)
                  },
                  entity: { result, p in (result as? Result).map { entity($0, p) } ?? .null })
    }

    /// The entity as `events.entity` keeps it: JSON text.
    func entityJSON(_ result: any Encodable, _ params: Params) throws -> String {
        switch entity(result, params) {
        case .int(let id): String(id)
        case let other: try Envelope.encodeJSON(other)
        }
    }
}

/// A result that is one entity with a numeric id: what `FeedEntry.named`
/// records as the event's entity.
protocol FeedIdentified {
    var feedID: Int64 { get }
}

extension Profile: FeedIdentified { var feedID: Int64 { id } }
extension Contact: FeedIdentified { var feedID: Int64 { id } }
extension Note: FeedIdentified { var feedID: Int64 { id } }
extension Moment: FeedIdentified { var feedID: Int64 { id } }
extension ProfileDeletion: FeedIdentified { var feedID: Int64 { id } }
extension ContactDeletion: FeedIdentified { var feedID: Int64 { id } }
extension NoteDeletion: FeedIdentified { var feedID: Int64 { id } }
extension ProfileErasure: FeedIdentified { var feedID: Int64 { id } }

extension CommandBus.Registry {
    /// Registers a method that changes data. On top of `register`, it
    /// accepts `idempotency_key` (SPEC §8) and records its change in the
    /// feed: both are written by the store in the write's own savepoint,
    /// through the `WriteIntent` bound around the handler.
    ///
    /// A key seen within 24 h with the same params answers with the stored
    /// first answer and writes nothing; with other params it is a conflict.
    /// The whole handler runs as one `submitWrite` body (CommandBus.Body.write).
    mutating func registerWrite(_ name: String, _ spec: MethodSpec, store: any ProfileStore, feed: FeedEntry,
                                handler: @escaping CommandBus.StoreHandler) {
        registerWrite(name, spec, store: store, feed: feed, prepare: { p, ctx in { try await handler(p, ctx) } })
    }

    /// As above, in two halves: `prepare` runs on the connection's queue
    /// (reads, checks and normalizes the params) and answers what the
    /// writer then runs. Methods called in bulk (profile.create by
    /// `profiles-cli import`, contact.upsert) take this form, so that the
    /// one writer thread only writes. The key's check and the params'
    /// JSON text are done in the first half too; the stored answer is
    /// looked up in the second, on the writer, where it cannot race a
    /// write of the same key.
    mutating func registerWrite(_ name: String, _ spec: MethodSpec, store: any ProfileStore, feed: FeedEntry,
                                prepare: @escaping CommandBus.WritePreparer) {
        let spec = spec.adding(.optional("idempotency_key", Schema.string(minLength: 1, maxLength: 200),
                                         "the same key with the same params within 24 h answers the first answer again"))
            .adding(errors: [.conflict, .storageFull])
        register(name, spec, body: .write({ p, ctx in
            let key = try p.optionalString("idempotency_key")
            if let key, key.isEmpty || key.count > 200 {
                throw DomainError.invalid("idempotency_key", "must be 1–200 characters")
            }
            let request = try Envelope.encodeJSON(JSONValue.object(p.values.filter { $0.key != "workspace" && $0.key != "idempotency_key" }))
            let call = try prepare(p, ctx)
            return {
                if let key, let stored = try await store.storedAnswer(workspace: ctx.workspace, key: key) {
                    return try replay(stored, key: key, method: name, request: request)
                }
                let intent = WriteIntent(workspace: ctx.workspace, method: name, request: request, idempotencyKey: key) { value in
                    // The answer's JSON text, once: the event and the key keep it.
                    WriteIntent.Record(eventType: feed.type(value), entity: try feed.entityJSON(value, p),
                                       answer: try Envelope.encodeJSON(value))
                }
                do {
                    return try await WriteIntent.$current.withValue(intent) { try await call() }
                } catch is IdempotencyKeyTaken {
                    // A concurrent call with the same key committed first; its
                    // answer is now stored.
                    guard let key, let stored = try await store.storedAnswer(workspace: ctx.workspace, key: key) else {
                        throw DomainError(kind: .conflict, message: "idempotency_key is in use by another request; retry")
                    }
                    return try replay(stored, key: key, method: name, request: request)
                }
            }
        }, store: store))
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
