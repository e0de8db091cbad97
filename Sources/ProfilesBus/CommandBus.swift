import Dispatch
import Logging
import ProfilesDomain
import ProfilesProtocol
import ProfilesStore

/// Maps method names to handlers and turns every outcome into a response.
/// The registry is the single source of truth for `hello`'s method list
/// and for `rpc.discover`'s description of every method.
///
/// Registration happens before the server starts; afterwards the bus is
/// only read, from many connection queues at once.
public final class CommandBus: Sendable {
    public typealias Handler = @Sendable (Params, RequestContext) throws -> any Encodable & Sendable

    struct Method: Sendable {
        let name: String
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
        let handler: Handler
    }

    private let methods: [String: Method]
    public let stats: ServiceStats
    let logger: Logger
    /// Told about every finished request (the server's logs and metrics).
    private let observer: (any CallObserver)?

    /// Builds the bus from registrations made by `register` calls.
    public init(logger: Logger, stats: ServiceStats = ServiceStats(), observer: (any CallObserver)? = nil,
                register: (inout Registry) -> Void) {
        var registry = Registry()
        register(&registry)
        self.methods = registry.methods
        self.stats = stats
        self.logger = logger
        self.observer = observer
    }

    /// Collects methods while the bus is built.
    public struct Registry {
        var methods: [String: Method] = [:]

        /// `scoped` methods act on a workspace and accept `workspace`.
        /// `beforeAuth` methods may be called before `auth` (SPEC §5).
        /// The method accepts exactly the params `spec` describes.
        public mutating func register(_ name: String, _ spec: MethodSpec, scoped: Bool = true, beforeAuth: Bool = false,
                                      handler: @escaping Handler) {
            precondition(methods[name] == nil, "method \(name) registered twice")
            var spec = spec.adding(errors: [.invalidParams, .internalError, .overloaded])
            if !beforeAuth { spec = spec.adding(errors: [.unauthenticated]) }
            if scoped {
                spec = spec.adding(.optional("workspace", Schema.workspace,
                                             "the workspace to act on (default: the token's only one, or default)"))
                    .adding(errors: [.forbidden])
            }
            let names = spec.params.map(\.name)
            precondition(Set(names).count == names.count, "method \(name) describes a param twice")
            methods[name] = Method(name: name, spec: spec, params: Set(names), scoped: scoped, beforeAuth: beforeAuth, handler: handler)
        }
    }

    /// Method names, sorted.
    public var methodNames: [String] { methods.keys.sorted() }

    /// Every method with its description, sorted by name.
    var describedMethods: [Method] { methods.values.sorted { $0.name < $1.name } }

    /// Runs one call. Returns nil for a notification (it still runs).
    public func dispatch(_ request: Request, session: Session) -> Response? {
        let outcome: Response.Outcome
        let started = DispatchTime.now().uptimeNanoseconds
        let method = methods[request.method]
        if let method {
            outcome = run(method, request, session)
        } else {
            outcome = .error(.methodNotFound(request.method))
        }
        let failed: Bool
        if case .error = outcome { failed = true } else { failed = false }
        let nanos = DispatchTime.now().uptimeNanoseconds - started
        stats.record(method: request.method, known: method != nil, failed: failed, microseconds: nanos / 1000,
                     connectionID: session.connectionID)
        if let observer {
            let result: String
            if case .error(let error) = outcome { result = error.type } else { result = "ok" }
            observer.callFinished(FinishedCall(connectionID: session.connectionID, method: method?.name ?? FinishedCall.unknownMethod,
                                               outcome: result, nanoseconds: nanos))
        }
        guard let id = request.id else { return nil }
        return Response(id: id, outcome: outcome)
    }

    /// Counts a request refused before it reached a method; `type` is the
    /// error's `data.type`.
    func recordRejected(type: String, session: Session) {
        stats.recordRejected(connectionID: session.connectionID)
        observer?.callFinished(FinishedCall(connectionID: session.connectionID, method: FinishedCall.invalidRequest,
                                            outcome: type, nanoseconds: nil))
    }

    private func run(_ method: Method, _ request: Request, _ session: Session) -> Response.Outcome {
        do {
            guard session.authenticated || method.beforeAuth else {
                throw DomainError(kind: .unauthenticated, message: "authenticate with 'auth' before calling \(method.name)")
            }
            if let unknown = request.params.keys.first(where: { !method.params.contains($0) }) {
                throw DomainError.invalid(unknown, "is not a parameter of \(method.name)")
            }
            let params = Params(request.params)
            let workspace = method.scoped ? try session.workspace(named: params.optionalString("workspace")) : session.defaultWorkspace
            let context = RequestContext(workspace: workspace, session: session, bus: self)
            return .result(try method.handler(params, context))
        } catch let error as DomainError {
            return .error(ErrorMapping.rpcError(error))
        } catch let error as RPCError {
            return .error(error)
        } catch {
            // Logged in full for operators; the client learns nothing of SQL
            // or internals.
            logger.error("internal error", metadata: [
                "method": "\(method.name)", "connection": "\(session.connectionID)", "error": "\(String(reflecting: error))",
            ])
            return .error(.internalError("internal error while running \(method.name)"))
        }
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
