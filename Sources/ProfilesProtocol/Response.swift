/// One JSON-RPC response. The result is any `RPCResult`, so handlers
/// return their own types and the line is encoded exactly once.
///
/// Not `Encodable`: the id is written as the raw JSON text the request
/// carried, which an `Encoder` cannot do; `Envelope.encodeLine` writes it.
public struct Response: Sendable {
    public var id: RequestID
    public var outcome: Outcome

    public enum Outcome: Sendable {
        case result(any RPCResult)
        case error(RPCError)
    }

    public init(id: RequestID, result: any RPCResult) {
        self.id = id
        self.outcome = .result(result)
    }

    public init(id: RequestID, error: RPCError) {
        self.id = id
        self.outcome = .error(error)
    }

    public var error: RPCError? {
        if case .error(let e) = outcome { return e }
        return nil
    }
}
