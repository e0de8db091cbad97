/// One JSON-RPC response. The result is any encodable value, so handlers
/// return their own types and the line is encoded exactly once.
public struct Response: Sendable, Encodable {
    public var id: JSONValue
    public var outcome: Outcome

    public enum Outcome: Sendable {
        case result(any Encodable & Sendable)
        case error(RPCError)
    }

    public init(id: JSONValue, result: any Encodable & Sendable) {
        self.id = id
        self.outcome = .result(result)
    }

    public init(id: JSONValue, error: RPCError) {
        self.id = id
        self.outcome = .error(error)
    }

    public var error: RPCError? {
        if case .error(let e) = outcome { return e }
        return nil
    }

    private enum CodingKeys: String, CodingKey { case jsonrpc, id, result, error }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode("2.0", forKey: .jsonrpc)
        try container.encode(id, forKey: .id)
        switch outcome {
        case .result(let value): try container.encode(value, forKey: .result)
        case .error(let error): try container.encode(error, forKey: .error)
        }
    }
}
