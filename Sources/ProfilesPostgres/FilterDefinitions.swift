import Logging
import PostgresNIO
import ProfilesDomain
import Synchronization

/// The field definitions profile.list's filters are checked against, kept
/// per workspace with their fingerprint: PostgreSQL's md5 of every
/// definition's key, type and options, all a filter's check reads. Other
/// nodes change definitions too, so this is no cache an answer may trust:
/// the page's own statement reads the fingerprint again
/// (`fingerprintSQL`), and a page whose fingerprint differs is thrown
/// away, the definitions read again and the filter checked anew
/// (`PostgresStore.listProfiles`). What a node saves is the round trip of
/// reading the definitions before every filtered page (~0.5 ms, more than
/// half of a page's own cost).
final class FilterDefinitions: Sendable {
    struct Entry: Sendable {
        let definitions: [FieldDefinition]
        let fingerprint: String
    }

    private let entries = Mutex<[String: Entry]>([:])

    func cached(_ workspace: String) -> Entry? {
        entries.withLock { $0[workspace] }
    }

    /// Reads the workspace's definitions and their fingerprint in one
    /// statement, and keeps them.
    func load(_ connection: PostgresConnection, workspace: String, logger: Logger) async throws -> Entry {
        var query = PostgresQuery(unsafeSQL: "SELECT ")
        query.sql += Self.fingerprintSQL(workspace: "$1")
        query.sql += """
            , d.key, d.label, d.type, d.options, d.required FROM (SELECT 1) AS one
            LEFT JOIN field_definitions d ON d.workspace = $1 ORDER BY d.position, d.key
            """
        query.binds.append(workspace)
        var fingerprint = ""
        var definitions: [FieldDefinition] = []
        for row in try await connection.rows(query, logger) {
            let columns = try row.decode((String, String?, String?, String?, String?, Bool?).self)
            fingerprint = columns.0
            if let key = columns.1, let label = columns.2, let type = columns.3, let required = columns.5 {
                definitions.append(PGFields.definition(key: key, label: label, type: type, options: columns.4, required: required))
            }
        }
        let entry = Entry(definitions: definitions, fingerprint: fingerprint)
        entries.withLock { $0[workspace] = entry }
        return entry
    }

    /// A scalar subquery: the fingerprint of the definitions of the
    /// workspace that the SQL expression `workspace` names.
    static func fingerprintSQL(workspace: String) -> String {
        """
        (SELECT md5(coalesce(string_agg(f.key || '/' || f.type || '/' || coalesce(f.options, ''), ',' ORDER BY f.key), ''))
            FROM field_definitions f WHERE f.workspace = \(workspace))
        """
    }
}
