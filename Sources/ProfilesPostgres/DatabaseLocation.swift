/// Where the server keeps its data, from `--db` / `PROFILES_DB` (SPEC §10):
/// a SQLite file path, or a `postgres://` / `postgresql://` URL (§11).
///
/// A value holding `://` is a URL: one with any other scheme is refused
/// rather than taken as a path (before this, `--db postgres://…` made a
/// folder named `postgres:` with a SQLite file in it).
public enum DatabaseLocation: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresURL)

    public init(parsing value: String) throws(DatabaseLocationError) {
        guard !value.isEmpty else { throw .empty }
        guard let separator = value.range(of: "://") else {
            self = .sqlite(path: value)
            return
        }
        let scheme = String(value[..<separator.lowerBound])
        guard PostgresURL.Scheme(rawValue: scheme.lowercased()) != nil else {
            throw .unsupportedScheme(Self.isScheme(scheme) ? scheme : nil)
        }
        do {
            self = .postgres(try PostgresURL(parsing: value))
        } catch {
            throw .malformedPostgresURL(error)
        }
    }

    /// RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
    private static func isScheme(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, first.isASCII, first.properties.isAlphabetic else { return false }
        return text.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "+-.".unicodeScalars.contains($0)) }
    }

    /// The path, or the URL with its password redacted.
    public var description: String {
        switch self {
        case .sqlite(let path): path
        case .postgres(let url): url.redacted
        }
    }

    public var debugDescription: String {
        switch self {
        case .sqlite(let path): "DatabaseLocation.sqlite(\(path))"
        case .postgres(let url): "DatabaseLocation.postgres(\(url.redacted))"
        }
    }
}

public enum DatabaseLocationError: Error, Sendable, Equatable, CustomStringConvertible {
    case empty
    /// The scheme, when the text before `://` is one.
    case unsupportedScheme(String?)
    case malformedPostgresURL(PostgresURLError)

    public var description: String {
        switch self {
        case .empty:
            return "the database location is empty: give a SQLite file path or \(PostgresURLError.form)"
        case .unsupportedScheme(let scheme):
            let named = scheme.map { "the scheme '\($0)://' is not supported" } ?? "the value holds '://' but is not a URL"
            return "\(named): give a SQLite file path, or \(PostgresURLError.form) (or postgresql://) for PostgreSQL"
        case .malformedPostgresURL(let error):
            return error.description
        }
    }
}
