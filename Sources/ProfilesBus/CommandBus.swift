import Dispatch
import Logging
import ProfilesDomain
import ProfilesProtocol
import ProfilesStore
import Synchronization

/// Maps method names to handlers and turns every outcome into a response.
/// The registry is the single source of truth for `hello`'s method list
/// and for `rpc.discover`'s description of every method.
///
/// Registration happens before the server starts; afterwards the bus is
/// only read, from many connection queues at once.
public final class CommandBus: Sendable {
    /// A method that needs no store (`ping`, `hello`, `auth`): run on the
    /// connection's queue, answered at once.
    public typealias Handler = @Sendable (Params, RequestContext) throws -> any RPCResult
    /// A method that reads or writes the store: started with
    /// `Task.immediate` (ImmediateCall.swift). With SQLite it finishes
    /// before that returns; with PostgreSQL it is answered when the
    /// database is.
    public typealias StoreHandler = @Sendable (Params, RequestContext) async throws -> any RPCResult
    /// Answers a store method at once when it can (nil: it cannot), on
    /// the connection's queue without starting a task: from a cache, or
    /// from a store that reads at once (`ProfileStore.inlineReads`).
    public typealias FastPath = @Sendable (Params, RequestContext) throws -> (any RPCResult)?
    /// A write method's first half, run on the connection's queue: reads
    /// and checks the params (parsing, normalizing: no store needed) and
    /// answers the second half, which the store's writer runs. The
    /// writer is one thread for all connections (SQLite), so what can be
    /// done before it is done there.
    public typealias WritePreparer = @Sendable (Params, RequestContext) throws -> WriteCall
    /// A write method's second half: what runs in the writer's batch.
    public typealias WriteCall = @Sendable () async throws -> any RPCResult

    /// A registered method. A class: the request path passes it around
    /// without copying its description.
    public final class Method: Sendable {
        let name: String
        /// Its place among the sorted method names (what `stats` counts by).
        let index: Int
        /// What it takes and answers, `workspace` and the errors of its
        /// kind included.
        let spec: MethodSpec
        /// Accepted param names (those `spec` describes); anything else is
        /// rejected by name.
        let params: Set<String>
        /// Domain methods take `workspace`; system methods do not.
        let scoped: Bool
        /// Callable before `auth` when the server requires it.
        let beforeAuth: Bool
        let body: Body

        init(_ registration: Registry.Registration, index: Int) {
            name = registration.name
            self.index = index
            spec = registration.spec
            params = Set(registration.spec.params.map(\.name))
            scoped = registration.scoped
            beforeAuth = registration.beforeAuth
            body = registration.body
        }
    }

    /// How a method runs.
    enum Body: Sendable {
        /// At once, on the connection's queue.
        case immediate(Handler)
        /// A store read, started as a `DeferredCall`; `executor` is the
        /// store's (where it resumes if it suspends).
        case read(StoreHandler, fastPath: FastPath?, executor: StoreExecutor?)
        /// A change: prepared on the connection's queue, then given to
        /// the store's `submitWrite`, and the call is answered once what
        /// it wrote is durable (`DeferredCall`).
        case write(WritePreparer, store: any ProfileStore)
    }

    private let methods: [String: Method]
    public let stats: ServiceStats
    let logger: Logger
    /// Told about every finished request (the server's logs and metrics);
    /// a closure, so the request path does not copy an existential.
    private let callFinished: (@Sendable (FinishedCall) -> Void)?
    /// Calls that ran shorter are not told to `callFinished` (see
    /// `CallObserver.observesEveryCall`); 0 when every call is.
    private let observedFromNanoseconds: UInt64

    /// Builds the bus from registrations made by `register` calls.
    public init(logger: Logger, observer: (any CallObserver)? = nil, register: (inout Registry) -> Void) {
        var registry = Registry()
        register(&registry)
        let names = registry.methods.keys.sorted()
        var methods: [String: Method] = [:]
        for (index, name) in names.enumerated() { methods[name] = Method(registry.methods[name]!, index: index) }
        self.methods = methods
        self.stats = ServiceStats(methodNames: names)
        self.logger = logger
        if let observer {
            self.callFinished = { @Sendable call in observer.callFinished(call) }
            self.observedFromNanoseconds = observer.observesEveryCall ? 0 : observer.slowNanoseconds ?? .max
        } else {
            self.callFinished = nil
            self.observedFromNanoseconds = .max
        }
    }

    /// Collects methods while the bus is built.
    public struct Registry {
        var methods: [String: Registration] = [:]
        /// The executor of the store the read methods use.
        var storeExecutor: StoreExecutor?

        /// One `register` call, as the bus's `Method` is built from it.
        struct Registration {
            let name: String
            let spec: MethodSpec
            let scoped: Bool
            let beforeAuth: Bool
            let body: Body
        }

        /// `scoped` methods act on a workspace and accept `workspace`.
        /// `beforeAuth` methods may be called before `auth` (SPEC §5).
        /// The method accepts exactly the params `spec` describes.
        public mutating func register(_ name: String, _ spec: MethodSpec, scoped: Bool = true, beforeAuth: Bool = false,
                                      handler: @escaping Handler) {
            register(name, spec, scoped: scoped, beforeAuth: beforeAuth, body: .immediate(handler))
        }

        /// A method that reads the store (see `Body.read`).
        mutating func registerRead(_ name: String, _ spec: MethodSpec, scoped: Bool = true, fastPath: FastPath? = nil,
                                   handler: @escaping StoreHandler) {
            register(name, spec, scoped: scoped, body: .read(handler, fastPath: fastPath, executor: storeExecutor))
        }

        mutating func register(_ name: String, _ spec: MethodSpec, scoped: Bool = true, beforeAuth: Bool = false,
                               body: Body) {
            precondition(methods[name] == nil, "method \(name) registered twice")
            var spec = spec.adding(errors: [.invalidParams, .internalError, .overloaded])
            // A method that needs the database fails so while it cannot be reached.
            if case .immediate = body {} else { spec = spec.adding(errors: [.unavailable]) }
            if !beforeAuth { spec = spec.adding(errors: [.unauthenticated]) }
            if scoped {
                spec = spec.adding(.optional("workspace", Schema.workspace,
                                             "the workspace to act on (default: the token's only one, or default)"))
                    .adding(errors: [.forbidden])
            }
            let names = spec.params.map(\.name)
            precondition(Set(names).count == names.count, "method \(name) describes a param twice")
            methods[name] = Registration(name: name, spec: spec, scoped: scoped, beforeAuth: beforeAuth, body: body)
        }
    }

    /// Method names, sorted.
    public var methodNames: [String] { methods.keys.sorted() }

    /// Every method with its description, sorted by name.
    var describedMethods: [Method] { methods.values.sorted { $0.name < $1.name } }

    /// How the server runs a call: one that needs the store is deferred
    /// (`DeferredCall`), anything else runs at once.
    public enum Route: Sendable {
        case deferred(DeferredCall)
        case immediate(Method?)
    }

    /// Looks the method up once, for `dispatch(_:method:session:)` or a
    /// `DeferredCall`.
    public func route(_ request: Request) -> Route {
        let method = methods[request.method]
        guard let method else { return .immediate(nil) }
        if case .immediate = method.body { return .immediate(method) }
        return .deferred(DeferredCall(bus: self, method: method, request: request))
    }

    /// Runs a call routed `.immediate`. Returns nil for a notification (it
    /// still runs).
    public func dispatch(_ request: Request, method: Method?, session: Session) -> Response? {
        let started = DispatchTime.now().uptimeNanoseconds
        let outcome: Response.Outcome
        if let method, case .immediate(let handler) = method.body {
            do {
                let (params, context) = try prepare(method, request, session)
                outcome = .result(try handler(params, context))
            } catch {
                outcome = self.outcome(of: error, method: method, connectionID: session.connectionID)
            }
        } else {
            outcome = .error(.methodNotFound(request.method))
        }
        return finish(request, method: method, outcome: outcome, connectionID: session.connectionID, started: started)
    }

    /// Checks what the session and the params allow, on the caller's
    /// queue (the session is not touched afterwards).
    private func prepare(_ method: Method, _ request: Request, _ session: Session) throws -> (Params, RequestContext) {
        guard session.authenticated || method.beforeAuth else {
            throw DomainError(kind: .unauthenticated, message: "authenticate with 'auth' before calling \(method.name)")
        }
        if let unknown = request.params.keys.first(where: { !method.params.contains($0) }) {
            throw DomainError.invalid(unknown, "is not a parameter of \(method.name)")
        }
        let params = Params(request.params)
        let workspace = method.scoped ? try session.workspace(named: params.optionalString("workspace")) : session.defaultWorkspace
        return (params, RequestContext(workspace: workspace, session: session, bus: self))
    }

    /// Starts a deferred call (see `DeferredCall.start`).
    fileprivate func start(_ method: Method, _ request: Request, session: Session,
                           completion: @escaping @Sendable (Response?) -> Void) -> DeferredCall.Started {
        let started = DispatchTime.now().uptimeNanoseconds
        let prepared: (Params, RequestContext)
        do {
            prepared = try prepare(method, request, session)
        } catch {
            return .answered(finish(request, method: method, outcome: outcome(of: error, method: method, connectionID: session.connectionID),
                                    connectionID: session.connectionID, started: started))
        }
        let (params, context) = prepared
        let connectionID = session.connectionID
        let answer: @Sendable (Response.Outcome) -> Response? = { [self] outcome in
            finish(request, method: method, outcome: outcome, connectionID: connectionID, started: started)
        }
        switch method.body {
        case .immediate:
            preconditionFailure("\(method.name) is not a deferred method")
        case .read(let handler, _, let executor):
            // The fast path, if any, was tried by `answerAtOnce`.
            let immediate = ImmediateCall.start(on: executor, { [self] () async -> Response.Outcome in
                do { return .result(try await handler(params, context)) } catch {
                    return outcome(of: error, method: method, connectionID: connectionID)
                }
            }, later: { outcome in completion(answer(outcome)) })
            guard let outcome = immediate else { return .pending }
            return .answered(answer(outcome))
        case .write(let prepare, let store):
            let call: WriteCall
            do {
                call = try prepare(params, context)
            } catch {
                return .answered(answer(outcome(of: error, method: method, connectionID: connectionID)))
            }
            let result = DeferredResult()
            store.submitWrite({
                result.set(try await call())
            }, done: { [self] failure in
                let outcome: Response.Outcome
                if let failure {
                    outcome = self.outcome(of: failure, method: method, connectionID: connectionID)
                } else {
                    outcome = .result(result.take())
                }
                completion(answer(outcome))
            })
            return .pending
        }
    }

    /// Answers a read from its fast path when it can (see `FastPath`),
    /// with no task, no completion and no closure to allocate: the answer
    /// (nil inside for a notification), or nil when the call must be
    /// started. A refusal (auth, params) is an answer too.
    fileprivate func answerAtOnce(_ method: Method, _ request: Request, session: Session) -> Response?? {
        guard case .read(_, let fastPath?, _) = method.body else { return nil }
        let started = DispatchTime.now().uptimeNanoseconds
        let outcome: Response.Outcome
        do {
            let (params, context) = try prepare(method, request, session)
            guard let result = try fastPath(params, context) else { return nil }
            outcome = .result(result)
        } catch {
            outcome = self.outcome(of: error, method: method, connectionID: session.connectionID)
        }
        return .some(finish(request, method: method, outcome: outcome, connectionID: session.connectionID, started: started))
    }

    /// Carries a write's result from its body to its `done`, which the
    /// store calls after the body has returned.
    private final class DeferredResult: Sendable {
        private let value = Mutex<(any RPCResult)?>(nil)
        func set(_ result: any RPCResult) { value.withLock { $0 = result } }
        func take() -> any RPCResult { value.withLock { $0.take()! } }
    }

    /// Counts the call and tells the observer; the response, or nil for a
    /// notification.
    private func finish(_ request: Request, method: Method?, outcome: Response.Outcome, connectionID: UInt64,
                        started: UInt64) -> Response? {
        let failed: Bool
        if case .error = outcome { failed = true } else { failed = false }
        let nanos = DispatchTime.now().uptimeNanoseconds - started
        stats.record(method: method?.index, failed: failed, microseconds: nanos / 1000, connectionID: connectionID)
        if let callFinished, nanos >= observedFromNanoseconds {
            let result: String
            if case .error(let error) = outcome { result = error.type } else { result = "ok" }
            callFinished(FinishedCall(connectionID: connectionID, method: method?.name ?? FinishedCall.unknownMethod,
                                               outcome: result, nanoseconds: nanos))
        }
        guard let id = request.id else { return nil }
        return Response(id: id, outcome: outcome)
    }

    /// Counts a request refused before it reached a method; `type` is the
    /// error's `data.type`.
    func recordRejected(type: String, session: Session) {
        stats.recordRejected(connectionID: session.connectionID)
        guard observedFromNanoseconds == 0 else { return }
        callFinished?(FinishedCall(connectionID: session.connectionID, method: FinishedCall.invalidRequest,
                                            outcome: type, nanoseconds: nil))
    }

    private func outcome(of error: any Error, method: Method, connectionID: UInt64) -> Response.Outcome {
        switch error {
        case let error as DomainError:
            return .error(ErrorMapping.rpcError(error))
        case let error as RPCError:
            return .error(error)
        default:
            // Logged in full for operators; the client learns nothing of SQL
            // or internals.
            logger.error("internal error", metadata: [
                "method": "\(method.name)", "connection": "\(connectionID)", "error": "\(String(reflecting: error))",
            ])
            return .error(.internalError("internal error while running \(method.name)"))
        }
    }
}

/// A call of a write method: checked on the connection's queue, run by the
/// store's writer in a group-commit batch, answered once it is durable.
/// The caller's thread never waits for the commit.
public struct DeferredCall: Sendable {
    fileprivate let bus: CommandBus
    fileprivate let method: CommandBus.Method
    fileprivate let request: Request

    public enum Started: Sendable {
        /// Refused before it reached the writer (not authenticated, an
        /// unknown param, a forbidden workspace); nil for a notification.
        /// `completion` is not called.
        case answered(Response?)
        /// Handed to the writer: `completion` will be called once.
        case pending
    }

    /// The answer when the call's fast path gives it at once (nil inside
    /// for a notification); nil when it must be started. On the session's
    /// queue, before `start`.
    public func answerAtOnce(session: Session) -> Response?? {
        bus.answerAtOnce(method, request, session: session)
    }

    /// Starts the call; must be called on the session's queue. When it is
    /// `.pending`, `completion` gets the answer (nil for a notification)
    /// from the writer's thread, after the commit that holds the write.
    public func start(session: Session, completion: @escaping @Sendable (Response?) -> Void) -> Started {
        bus.start(method, request, session: session, completion: completion)
    }
}

extension Response {
    init(id: RequestID, outcome: Outcome) {
        switch outcome {
        case .result(let value): self.init(id: id, result: value)
        case .error(let error): self.init(id: id, error: error)
        }
    }
}
