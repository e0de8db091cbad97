import Foundation
import Logging
import PostgresNIO
import ProfilesDomain

/// A page of profiles, with their field values, read as ONE JSON text by
/// ONE statement: postgres-nio decodes each cell through several layers of
/// `ByteBuffer` slicing, which a debug build makes cost ~20 µs a cell, four
/// times SQLite's whole list; one cell per page (parsed by Foundation)
/// keeps profile.list near SQLite's speed. The values come in the same
/// statement (a subquery per profile) because each statement costs a
/// round trip and its planning, ~0.4 ms here: more than reading the page.
/// The JSON holds exactly the row's values (text as text, bigint ids and
/// milliseconds below 2^53, a number value as PostgreSQL's shortest exact
/// float8 text).
enum PGPage {
    struct Rows {
        var rows: [(profile: Profile, nameKey: String)]
        /// The workspace's `FilterDefinitions` fingerprint, read in the
        /// same statement, when it was asked for.
        var fingerprint: String?
    }

    /// `query` selects `PGColumns.profile, p.name_key` ordered by `order`.
    static func profiles(_ connection: PostgresConnection, _ query: PostgresQuery, order: String, workspace: String,
                         logger: Logger) async throws -> [(profile: Profile, nameKey: String)] {
        try await read(connection, query, order: order, workspace: workspace, fingerprint: false, logger: logger).rows
    }

    /// The same, with the definitions' fingerprint as of the page's snapshot.
    static func read(_ connection: PostgresConnection, _ query: PostgresQuery, order: String, workspace: String,
                     fingerprint: Bool, logger: Logger) async throws -> Rows {
        var wrapped = query
        wrapped.sql = "SELECT "
        if fingerprint {
            wrapped.sql += FilterDefinitions.fingerprintSQL(workspace: "$\(query.binds.count + 1)")
            wrapped.sql += ", "
        } else {
            wrapped.sql += "NULL::text, "
        }
        wrapped.sql += """
            coalesce(json_agg(json_build_array(p.id, p.name, p.contact_count, p.version, p.created_at, p.updated_at,
                p.name_key, (SELECT json_agg(json_build_array(v.key, v.text_value, v.number_value, v.bool_value))
                    FROM field_values v WHERE v.workspace = $\(query.binds.count + 1) AND v.profile_id = p.id)
            ) ORDER BY \(order)), '[]')::text FROM (\(query.sql)) AS p
            """
        wrapped.binds.append(workspace)
        guard let row = try await connection.row(wrapped, logger) else { return Rows(rows: [], fingerprint: nil) }
        let (print, text) = try row.decode((String?, String).self)
        let rows: [PageRow]
        do {
            rows = try JSONDecoder().decode([PageRow].self, from: Data(text.utf8))
        } catch {
            throw PostgresStoreError.unsupportedServer("json_agg returned a malformed page: \(error)")
        }
        return Rows(rows: rows.map { ($0.profile, $0.nameKey) }, fingerprint: print)
    }

    /// One row of the JSON: `[id, name, contact_count, version, created_at,
    /// updated_at, name_key, values]`, each value `[key, text, number,
    /// bool]` with one of the three set (a field's type never changes, and
    /// its values go with it, so the column says the type). Decoded with
    /// JSONDecoder: JSONSerialization's NSNumbers cost a list page twice
    /// as much.
    private struct PageRow: Decodable {
        var profile: Profile
        var nameKey: String

        init(from decoder: any Decoder) throws {
            var row = try decoder.unkeyedContainer()
            let id = try row.decode(Int64.self)
            let name = try row.decode(String.self)
            let count = try row.decode(Int.self)
            let version = try row.decode(Int64.self)
            let created = try row.decode(Int64.self)
            let updated = try row.decode(Int64.self)
            nameKey = try row.decode(String.self)
            var fields: [String: FieldValue] = [:]
            if try !row.decodeNil() {
                var values = try row.nestedUnkeyedContainer()
                while !values.isAtEnd {
                    var value = try values.nestedUnkeyedContainer()
                    let key = try value.decode(String.self)
                    if let text = try value.decodeIfPresent(String.self) {
                        fields[key] = .string(text)
                    } else if let number = try value.decodeIfPresent(Double.self) {
                        fields[key] = .number(number)
                    } else if let bool = try value.decodeIfPresent(Bool.self) {
                        fields[key] = .bool(bool)
                    }
                }
            }
            profile = Profile(id: id, name: name, fields: fields, contactCount: count, version: version,
                              createdAt: Timestamp(milliseconds: created), updatedAt: Timestamp(milliseconds: updated))
        }
    }
}
