import ProfilesDomain
import ProfilesProtocol

/// One param of a method: its name, JSON Schema and whether it must be
/// given. The bus accepts exactly the params a method describes, so a
/// param cannot be accepted without being described (`rpc.discover`).
public struct ParamSpec: Sendable {
    public let name: String
    public let schema: JSONValue
    public let required: Bool
    public let description: String?

    public static func required(_ name: String, _ schema: JSONValue, _ description: String? = nil) -> ParamSpec {
        ParamSpec(name: name, schema: schema, required: true, description: description)
    }

    public static func optional(_ name: String, _ schema: JSONValue, _ description: String? = nil) -> ParamSpec {
        ParamSpec(name: name, schema: schema, required: false, description: description)
    }
}

/// An error a method can answer with (SPEC §4): the code and `data.type`
/// of each kind, in the one table both the answers and the description use.
public enum MethodError: String, Sendable, CaseIterable {
    case invalidParams = "invalid_params"
    case internalError = "internal"
    case unauthenticated
    case forbidden
    case notFound = "not_found"
    case conflict
    case storageFull = "storage_full"
    case overloaded
    case unavailable

    public var type: String { rawValue }

    public var code: Int {
        switch self {
        case .invalidParams: -32602
        case .internalError: -32603
        case .unauthenticated: -32001
        case .forbidden: -32003
        case .notFound: -32004
        case .conflict: -32009
        case .storageFull: -32010
        case .overloaded, .unavailable: -32029
        }
    }

    /// The domain failure a kind of `DomainError` is answered as.
    init(_ kind: DomainError.Kind) {
        self = switch kind {
        case .invalidParams: .invalidParams
        case .notFound: .notFound
        case .conflict: .conflict
        case .forbidden: .forbidden
        case .unauthenticated: .unauthenticated
        case .overloaded: .overloaded
        case .storageFull: .storageFull
        case .unavailable: .unavailable
        }
    }

    /// When a method answers with it, for the description.
    var summary: String {
        switch self {
        case .invalidParams: "a param is missing, unknown, of the wrong type or fails validation; data.field names it, data.reason says why"
        case .internalError: "a bug or a storage failure; nothing internal is leaked"
        case .unauthenticated: "the server requires auth and the connection has not authenticated (or the token is wrong)"
        case .forbidden: "the token may not use that workspace"
        case .notFound: "the entity does not exist in this workspace"
        case .conflict: "uniqueness, version mismatch or reuse of an idempotency_key; data.reason says which"
        case .storageFull: "the disk holding the database is full; nothing of the write was kept"
        case .overloaded: "too many connections or the server is shutting down; retry"
        case .unavailable: "the database cannot be reached for now (PostgreSQL restarting, a network cut); nothing was written; retry"
        }
    }
}

/// What a method takes and answers, registered next to its handler: the
/// bus routes and checks params with it, and `rpc.discover` publishes it.
public struct MethodSpec: Sendable {
    public var summary: String
    public var params: [ParamSpec]
    /// The JSON Schema of `result`; usually a `$ref` into `components/schemas`.
    public var result: JSONValue
    /// The errors specific to the method; the registry adds those every
    /// method of its kind can give (unknown params, auth, workspace, writes).
    public var errors: [MethodError]

    public init(_ summary: String, params: [ParamSpec] = [], result: JSONValue, errors: [MethodError] = []) {
        self.summary = summary
        self.params = params
        self.result = result
        self.errors = errors
    }

    func adding(_ param: ParamSpec) -> MethodSpec {
        var copy = self
        copy.params.append(param)
        return copy
    }

    func adding(errors more: [MethodError]) -> MethodSpec {
        var copy = self
        for error in more where !copy.errors.contains(error) { copy.errors.append(error) }
        return copy
    }
}
