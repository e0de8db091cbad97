import GRDB
import ProfilesDomain

/// Keeps `profile_search` in step with profiles and contacts. The document
/// of a profile is its name and its contacts' identifiers and names,
/// lower-cased in Swift so matching is case-insensitive beyond ASCII.
enum SearchIndex {
    /// Rewrites the document of one profile; call after any change to its
    /// name or to its contacts.
    static func refresh(_ db: Database, profileID: Int64) throws {
        guard let name = try String.fetchOne(db.cachedStatement(sql: "SELECT name FROM profiles WHERE id = ?"),
                                             arguments: [profileID]) else {
            try remove(db, profileID: profileID)
            return
        }
        var parts = [name]
        for row in try db.rows("SELECT identifier, name FROM contacts WHERE profile_id = ?", [profileID]) {
            parts.append(row[0])
            if let contactName: String = row[1] { parts.append(contactName) }
        }
        try remove(db, profileID: profileID)
        try db.run("INSERT INTO profile_search(rowid, doc) VALUES (?, ?)", [profileID, parts.joined(separator: "\n").lowercased()])
    }

    static func remove(_ db: Database, profileID: Int64) throws {
        try db.run("DELETE FROM profile_search WHERE rowid = ?", [profileID])
    }

    /// The query as it is matched: lower-cased, and a phone number written
    /// with spaces, dashes, dots or parentheses reduced to `+` and digits.
    static func normalizedQuery(_ raw: String) -> String {
        let trimmed = raw.trimmingWhitespace().lowercased()
        let phoneChars = Set("+0123456789 -.()")
        let digits = trimmed.filter(\.isASCII).filter(\.isNumber).count
        if digits >= 3, trimmed.allSatisfy({ phoneChars.contains($0) }) {
            return trimmed.filter { $0 == "+" || $0.isNumber }
        }
        return trimmed
    }

    /// An FTS5 phrase matching the query as a substring (trigram).
    static func phrase(_ query: String) -> String {
        "\"" + query.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
