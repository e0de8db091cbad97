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
        let (code, type): (Int, String) = switch error.kind {
        case .invalidParams: (-32602, "invalid_params")
        case .notFound: (-32004, "not_found")
        case .conflict: (-32009, "conflict")
        case .forbidden: (-32003, "forbidden")
        case .unauthenticated: (-32001, "unauthenticated")
        case .overloaded: (-32029, "overloaded")
        case .storageFull: (-32010, "storage_full")
        }
        return RPCError(code: code, type: type, message: error.message, data: data)
    }
}
