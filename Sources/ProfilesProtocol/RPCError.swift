/// A JSON-RPC error object. Every error carries `data.type`, a stable word
/// clients can switch on (SPEC §4); `message` is for humans.
public struct RPCError: Error, Sendable, Equatable, Encodable {
    public var code: Int
    public var message: String
    public var data: [String: JSONValue]

    public init(code: Int, type: String, message: String, data: [String: JSONValue] = [:]) {
        self.code = code
        self.message = message
        var data = data
        data["type"] = .string(type)
        self.data = data
    }

    public var type: String {
        if case .string(let t) = data["type"] { return t }
        return ""
    }

    public static func parseError(_ message: String) -> RPCError {
        RPCError(code: -32700, type: "parse_error", message: message)
    }
    public static func invalidRequest(_ message: String) -> RPCError {
        RPCError(code: -32600, type: "invalid_request", message: message)
    }
    public static func payloadTooLarge(limit: Int) -> RPCError {
        RPCError(code: -32600, type: "payload_too_large", message: "line exceeds the limit of \(limit) bytes",
                 data: ["limit": .int(Int64(limit))])
    }
    public static func methodNotFound(_ method: String) -> RPCError {
        RPCError(code: -32601, type: "method_not_found", message: "method '\(method)' not found")
    }
    public static func invalidParams(field: String, reason: String, message: String? = nil) -> RPCError {
        RPCError(code: -32602, type: "invalid_params", message: message ?? "invalid param '\(field)': \(reason)",
                 data: ["field": .string(field), "reason": .string(reason)])
    }
    public static func internalError(_ message: String = "internal error") -> RPCError {
        RPCError(code: -32603, type: "internal", message: message)
    }
    public static func unauthenticated(_ message: String = "authenticate first with 'auth'") -> RPCError {
        RPCError(code: -32001, type: "unauthenticated", message: message)
    }
    public static func forbidden(_ message: String) -> RPCError {
        RPCError(code: -32003, type: "forbidden", message: message)
    }
    public static func notFound(_ message: String) -> RPCError {
        RPCError(code: -32004, type: "not_found", message: message)
    }
    public static func conflict(_ message: String, data: [String: JSONValue] = [:]) -> RPCError {
        RPCError(code: -32009, type: "conflict", message: message, data: data)
    }
    public static func overloaded(_ message: String) -> RPCError {
        RPCError(code: -32029, type: "overloaded", message: message)
    }
}
