import ProfilesDomain
import ProfilesProtocol

/// Domain failures to JSON-RPC errors (SPEC §4), in one place.
enum ErrorMapping {
    static func rpcError(_ error: DomainError) -> RPCError {
        var data: [String: JSONValue] = [:]
        for (key, detail) in error.details {
            switch detail {
            case .int(let n): data[key] = .int(n)
            case .string(let s): data[key] = .string(s)
            }
        }
        if let field = error.field { data["field"] = .string(field) }
        if let reason = error.reason { data["reason"] = .string(reason) }
        // The same table `rpc.discover` describes the errors with.
        let kind = MethodError(error.kind)
        return RPCError(code: kind.code, type: kind.type, message: error.message, data: data)
    }
}
