import PostgresNIO
import ProfilesDomain

/// The PostgreSQL store's one error type: what the store (and the bus
/// above it) must tell apart, out of postgres-nio's `PSQLError`s and
/// SQLSTATEs. Anything else stays the error it was.
public enum PostgresStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// SQLSTATE 23505: a row with the same unique key exists. `constraint`
    /// is the constraint's (or unique index's) name, as declared in
    /// `PostgresMigrations`.
    case uniqueViolation(constraint: String?, table: String?)
    /// SQLSTATE 40001 / 40P01: the transaction lost a race and may be
    /// retried whole.
    case serializationFailure(sqlState: String)
    /// The database was migrated by a newer binary: it holds migrations
    /// this one does not know.
    case unknownMigrations([String])
    /// The server or database cannot hold this schema.
    case unsupportedServer(String)
    /// An operation not written yet (the store is being built).
    case notYetImplemented(String)

    /// `error` as a `PostgresStoreError` when it is one of the above,
    /// unwrapping postgres-nio's `PostgresTransactionError`; otherwise
    /// `error` itself.
    public static func mapping(_ error: any Error) -> any Error {
        switch error {
        case let error as PostgresStoreError:
            return error
        case let error as PostgresTransactionError:
            if let inner = error.beginError ?? error.closureError ?? error.commitError { return mapping(inner) }
            return error
        case let error as PSQLError:
            guard let sqlState = error.serverInfo?[.sqlState] else { return error }
            switch sqlState {
            case "23505":
                return PostgresStoreError.uniqueViolation(constraint: error.serverInfo?[.constraintName],
                                                          table: error.serverInfo?[.tableName])
            case "40001", "40P01":
                return PostgresStoreError.serializationFailure(sqlState: sqlState)
            default:
                return error
            }
        default:
            return error
        }
    }

    /// The protocol's `conflict` for a collision the SQLite store answers
    /// the same way (same `reason`), nil where the store must decide: a
    /// taken idempotency key means "read the stored answer" (SQLite's
    /// `IdempotencyKeyTaken`), not an error for the client.
    public var domainError: DomainError? {
        switch self {
        case .uniqueViolation(let constraint, _):
            switch constraint {
            case "contacts_identifier_key":
                // contact.upsert itself is idempotent (ON CONFLICT DO
                // NOTHING, then read); this is for a rename or merge that
                // would make two contacts one.
                return .conflict("a contact with this channel and identifier already exists", reason: "duplicate_contact")
            case "field_definitions_pkey":
                return .conflict("the field is already defined", reason: "duplicate_key")
            case "moments_by_ticket":
                return .conflict("the ticket_id is already used by another moment", reason: "duplicate_ticket_id")
            case "idempotency_keys_pkey":
                return nil
            default:
                return .conflict("the write collides with a row that exists", reason: "duplicate")
            }
        case .serializationFailure, .unknownMigrations, .unsupportedServer, .notYetImplemented:
            return nil
        }
    }

    public var description: String {
        switch self {
        case .uniqueViolation(let constraint, let table):
            "unique violation (SQLSTATE 23505) on \(table ?? "a table")\(constraint.map { ", constraint \($0)" } ?? "")"
        case .serializationFailure(let sqlState):
            "the transaction lost a race (SQLSTATE \(sqlState)); it may be retried"
        case .unknownMigrations(let names):
            "the PostgreSQL database holds migrations this binary does not know (\(names.joined(separator: ", "))): it was migrated by a newer profiles-server; run that one"
        case .unsupportedServer(let reason):
            "cannot use this PostgreSQL database: \(reason)"
        case .notYetImplemented(let operation):
            "\(operation) is not yet implemented on PostgreSQL"
        }
    }
}
