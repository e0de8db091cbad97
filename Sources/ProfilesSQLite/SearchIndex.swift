import ProfilesStore
import GRDB
import ProfilesDomain

/// Keeps `profiles.search_doc` up to date, and the FTS5 index
/// `profile_search` in step with it. The document is the profile's name
/// and its contacts' identifiers and names, lower-cased in Swift so
/// matching is case-insensitive beyond ASCII.
///
/// The index is updated once per group-commit transaction, not per row:
/// FTS5 writes its pending terms out as a segment at the end of every
/// statement and savepoint, so a trigger per row left a small segment per
/// write. Temp triggers on the writer's connection note, in
/// `temp.search_pending`, each profile whose document the transaction
/// inserted, changed or deleted, with the document as it was before the
/// transaction's first change (NULL for a profile inserted in it); the
/// writer calls `flush` right before COMMIT. A temp table takes part in
/// savepoints, so a write that rolls back leaves no entry.
enum SearchIndex {
    /// Installs the pending set on the writer's connection.
    static func prepare(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TEMP TABLE IF NOT EXISTS search_pending (id INTEGER PRIMARY KEY, old_doc TEXT);
            CREATE TEMP TRIGGER IF NOT EXISTS search_pending_insert AFTER INSERT ON main.profiles BEGIN
                INSERT OR IGNORE INTO search_pending(id, old_doc) VALUES (new.id, NULL);
            END;
            CREATE TEMP TRIGGER IF NOT EXISTS search_pending_update AFTER UPDATE OF search_doc ON main.profiles BEGIN
                INSERT OR IGNORE INTO search_pending(id, old_doc) VALUES (old.id, old.search_doc);
            END;
            CREATE TEMP TRIGGER IF NOT EXISTS search_pending_delete AFTER DELETE ON main.profiles BEGIN
                INSERT OR IGNORE INTO search_pending(id, old_doc) VALUES (old.id, old.search_doc);
            END;
            """)
    }

    /// Brings `profile_search` up to date with the transaction's changes
    /// and empties the pending set; inside the transaction, before COMMIT.
    /// For each pending profile: the old document is deleted from the
    /// index unless it is still the current one, and the current one is
    /// inserted unless it already was indexed. One statement, in rowid
    /// order with each delete before its insert, so FTS5 writes one
    /// segment for the whole batch. CROSS JOIN keeps the pending set the
    /// outer loop: with a plain JOIN the planner scanned a whole covering
    /// index of profiles (it carries search_doc) once per batch.
    static func flush(_ db: Database) throws {
        guard try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM temp.search_pending)")) == true
        else { return }
        try db.run("""
            INSERT INTO main.profile_search(profile_search, rowid, search_doc)
            SELECT command, id, doc FROM (
                SELECT 'delete' AS command, s.id AS id, s.old_doc AS doc, 0 AS step
                FROM temp.search_pending s LEFT JOIN main.profiles p ON p.id = s.id
                WHERE s.old_doc IS NOT NULL AND s.old_doc IS NOT p.search_doc
                UNION ALL
                SELECT NULL, s.id, p.search_doc, 1
                FROM temp.search_pending s CROSS JOIN main.profiles p ON p.id = s.id
                WHERE s.old_doc IS NOT p.search_doc)
            ORDER BY id, step
            """)
        try db.run("DELETE FROM temp.search_pending")
    }

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
