import GRDB
import ProfilesDomain
import ProfilesStore

/// A profile of a list page, with the name key its cursor is built from.
struct ListedProfile {
    var profile: Profile
    let nameKey: String
}

enum ListedProfiles {
    /// The profiles of `ids` with their field values, in the order of
    /// `ids`, from ONE cached statement: the ids go in as a JSON array
    /// (so the text never varies with the page), and each profile comes
    /// back as one row per field value. Loading the values separately
    /// (a statement of `IN (?, …)` per page, prepared every time, joined
    /// to the definitions per value) was about 2.3 million instructions
    /// of a 3.8 million instruction page of 50.
    /// The field types come from the workspace's definitions, read once;
    /// a value whose definition is gone is skipped (none should be: a
    /// field's values are deleted with it).
    static func load(_ db: Database, workspace: String, ids: [Int64]) throws -> [ListedProfile] {
        guard !ids.isEmpty else { return [] }
        let types = try FieldDefinitions.types(db, workspace: workspace)
        var json = "["
        for (index, id) in ids.enumerated() {
            if index > 0 { json += "," }
            json += String(id)
        }
        json += "]"
        var byID: [Int64: ListedProfile] = [:]
        byID.reserveCapacity(ids.count)
        // A profile's rows come one after another (the join reads its
        // values right after its row), so it is built up in `current` and
        // stored when the next one starts. Columns are read by their
        // non-optional types, which GRDB reads straight from the statement.
        var current: ListedProfile?
        let rows = try Row.fetchCursor(db.cachedStatement(sql: """
            SELECT \(Columns.profile), p.name_key, v.key, v.value FROM profiles p
            LEFT JOIN field_values v ON v.profile_id = p.id
            WHERE p.id IN (SELECT value FROM json_each(?)) AND p.workspace = ?
            """), arguments: [json, workspace])
        while let row = try rows.next() {
            let id: Int64 = row[0]
            if current?.profile.id != id {
                if let done = current { byID[done.profile.id] = done }
                current = byID.removeValue(forKey: id) ?? ListedProfile(profile: Profile(row: row), nameKey: row[6])
            }
            guard !row.hasNull(atIndex: 7) else { continue }
            let key: String = row[7]
            guard let type = types[key] else { continue }
            current!.profile.fields[key] = switch type {
            case .boolean: .bool((row[8] as Int64) != 0)
            case .number: .number(row[8] as Double)
            default: .string(row[8] as String)
            }
        }
        if let done = current { byID[done.profile.id] = done }
        return ids.compactMap { byID[$0] }
    }
}
