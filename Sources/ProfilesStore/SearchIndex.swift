import GRDB
import ProfilesDomain

/// Keeps `profiles.search_doc` up to date (the FTS5 index follows it by
/// trigger). The document is the profile's name and its contacts'
/// identifiers and names, lower-cased in Swift so matching is
/// case-insensitive beyond ASCII.
enum SearchIndex {
    /// Recomputes the document of one profile; call after any change to
    /// its name or to its contacts.
    static func refresh(_ db: Database, profileID: Int64) throws {
        guard let name = try String.fetchOne(db.cachedStatement(sql: "SELECT name FROM profiles WHERE id = ?"),
                                             arguments: [profileID]) else { return }
        var parts = [name]
        for row in try db.rows("SELECT identifier, name FROM contacts WHERE profile_id = ? ORDER BY id", [profileID]) {
            parts.append(row[0])
            if let contactName: String = row[1] { parts.append(contactName) }
        }
        // Unchanged documents are not rewritten, sparing the index work.
        try db.run("UPDATE profiles SET search_doc = ? WHERE id = ? AND search_doc IS NOT ?",
                   [document(parts), profileID, document(parts)])
    }

    static func document(_ parts: [String]) -> String {
        parts.joined(separator: "\n").lowercased()
    }

    /// The query as it is matched: lower-cased, and a phone number written
    /// with spaces, dashes, dots or parentheses reduced to `+` and digits
    /// (a leading `00` read as `+`, as contacts are stored).
    static func normalizedQuery(_ raw: String) -> String {
        let trimmed = raw.trimmingWhitespace().lowercased()
        let phoneChars = Set("+0123456789 -.()")
        let digits = trimmed.filter(\.isASCII).filter(\.isNumber).count
        if digits >= 3, trimmed.allSatisfy({ phoneChars.contains($0) }) {
            let compact = trimmed.filter { $0 == "+" || $0.isNumber }
            return compact.hasPrefix("00") ? "+" + compact.dropFirst(2) : compact
        }
        return trimmed
    }

    /// The part of a query looked up in the trigram index. Phone numbers
    /// share their country and carrier prefixes, whose trigrams occur in
    /// nearly every document; their last eight digits are what sets them
    /// apart, so only those are looked up, and the whole query is checked
    /// on the few candidates.
    static func indexTerm(_ query: String) -> String {
        let digits = query.hasPrefix("+") ? query.dropFirst() : Substring(query)
        guard digits.count > 8, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return query }
        return String(digits.suffix(8))
    }

    /// An FTS5 phrase matching the query as a substring (trigram).
    static func phrase(_ query: String) -> String {
        "\"" + query.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
