/// A failure the caller can act on, in domain terms. The bus maps `kind`
/// to a JSON-RPC code (SPEC §4); `field` and `reason` name what was wrong.
public struct DomainError: Error, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case invalidParams
        case notFound
        case conflict
        case forbidden
        case unauthenticated
        case overloaded
        /// The disk holding the database is full (SPEC §4 `storage_full`).
        case storageFull
        /// The database cannot be reached for now (SPEC §4 `unavailable`,
        /// PostgreSQL only): nothing was written, and a retry may succeed.
        case unavailable
    }

    /// Extra machine-readable facts, e.g. `current_version` on a conflict.
    public enum Detail: Sendable, Equatable {
        case int(Int64)
        case string(String)
    }

    public var kind: Kind
    public var message: String
    public var field: String?
    public var reason: String?
    public var details: [String: Detail]

    public init(kind: Kind, message: String, field: String? = nil, reason: String? = nil, details: [String: Detail] = [:]) {
        self.kind = kind
        self.message = message
        self.field = field
        self.reason = reason
        self.details = details
    }

    /// A param is missing, of the wrong type, or fails validation.
    public static func invalid(_ field: String, _ reason: String) -> DomainError {
        DomainError(kind: .invalidParams, message: "invalid param '\(field)': \(reason)", field: field, reason: reason)
    }

    public static func notFound(_ entity: String, _ id: some CustomStringConvertible) -> DomainError {
        DomainError(kind: .notFound, message: "\(entity) \(id) not found")
    }

    public static func conflict(_ message: String, reason: String, details: [String: Detail] = [:]) -> DomainError {
        var details = details
        details["reason"] = .string(reason)
        return DomainError(kind: .conflict, message: message, reason: reason, details: details)
    }

    public static func versionMismatch(entity: String, id: Int64, expected: Int64, current: Int64) -> DomainError {
        conflict("\(entity) \(id) is at version \(current), not \(expected)", reason: "version_mismatch",
                 details: ["current_version": .int(current)])
    }
}
