import ProfilesDomain

/// What the caller of a write method wants recorded with the write, in the
/// same transaction: the event of the change feed and, when the request
/// carried one, its idempotency key with the answer. The bus binds it
/// around a write method's handler (a task-local, so it also works in the
/// synchronous handlers on Dispatch queues); `ProfilesDatabase.write` reads
/// it on the caller's thread and applies it inside the savepoint.
public struct WriteIntent: Sendable {
    public let workspace: String
    public let method: String
    /// The params as canonical JSON (sorted keys), without `workspace` and
    /// `idempotency_key`.
    public let request: String
    public let idempotencyKey: String?
    /// Turns the store's result into what the feed and the key keep; nil
    /// when the result records nothing (a dry run).
    public let record: @Sendable (any Encodable) throws -> Record?

    public struct Record: Sendable {
        /// `events.type`, or nil for a write that emits no event.
        public let eventType: String?
        /// The entity's id as JSON text (`12`, or `"vip"` for a field).
        public let entity: String
        /// The answer as JSON text, as the client receives it.
        public let answer: String
        public init(eventType: String?, entity: String, answer: String) {
            self.eventType = eventType
            self.entity = entity
            self.answer = answer
        }
    }

    public init(workspace: String, method: String, request: String, idempotencyKey: String?,
                record: @escaping @Sendable (any Encodable) throws -> Record?) {
        self.workspace = workspace
        self.method = method
        self.request = request
        self.idempotencyKey = idempotencyKey
        self.record = record
    }

    @TaskLocal public static var current: WriteIntent?
}

/// The same idempotency key was used for a write in flight at the same
/// time; the other write won. The caller reads the stored answer.
public struct IdempotencyKeyTaken: Error, Sendable {
    public init() {}
}
