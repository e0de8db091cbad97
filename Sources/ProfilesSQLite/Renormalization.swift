import ProfilesStore
import GRDB
import ProfilesDomain

/// Brings a file written before NFC and libphonenumber normalization to
/// today's rules (migration `v3-renormalize`): every stored text in NFC,
/// every contact identifier normalized as `contact.upsert` now does it.
///
/// It calls the domain's normalizers, unlike the frozen SQL of the other
/// migrations: the point is to store what today's code would have stored.
/// Where two contacts become one identifier, neither is merged or dropped:
/// the one that already has it (or, failing that, the first by id) holds
/// it; the other keeps its old identifier and gets the new one as an
/// alias, which `profile.suggestions` matches on.
enum Renormalization {
    static func run(_ db: Database) throws {
        db.add(function: nfcFunction)
        defer { db.remove(function: nfcFunction) }
        // Texts that nothing else is derived from.
        for (table, column) in [("notes", "body"), ("notes", "author"), ("moments", "subject"),
                                ("field_definitions", "label"), ("field_definitions", "options"), ("field_values", "value")] {
            try db.execute(sql: """
                UPDATE \(table) SET \(column) = profiles_nfc(\(column))
                WHERE typeof(\(column)) = 'text' AND \(column) <> profiles_nfc(\(column))
                """)
        }
        // A ticket id is unique per workspace; one that would collide keeps
        // its old form rather than fail the migration.
        try db.execute(sql: """
            UPDATE OR IGNORE moments SET ticket_id = profiles_nfc(ticket_id)
            WHERE ticket_id IS NOT NULL AND ticket_id <> profiles_nfc(ticket_id)
            """)

        // Profiles whose search document must be rebuilt.
        var touchedProfiles = Set<Int64>()
        for row in try Row.fetchAll(db, sql: "SELECT id, name FROM profiles WHERE name <> profiles_nfc(name)") {
            let id: Int64 = row[0]
            let name = (row[1] as String).nfc
            try db.execute(sql: "UPDATE profiles SET name = ?, name_key = ? WHERE id = ?", arguments: [name, name.lowercased(), id])
            touchedProfiles.insert(id)
        }

        for row in try Row.fetchAll(db, sql: "SELECT id, profile_id, name FROM contacts WHERE name <> profiles_nfc(name)") {
            try db.execute(sql: "UPDATE contacts SET name = ? WHERE id = ?", arguments: [(row[2] as String).nfc, row[0] as Int64])
            if let profileID: Int64 = row[1] { touchedProfiles.insert(profileID) }
        }
        for row in try Row.fetchAll(db, sql: "SELECT id, workspace, channel, identifier, profile_id FROM contacts ORDER BY id") {
            let id: Int64 = row[0]
            let workspace: String = row[1]
            let old: String = row[3]
            guard let channel = Channel(rawValue: row[2]) else { continue }
            // A stored identifier today's rules refuse (say, a number that
            // is not valid) stays as it is: it was accepted once.
            let new = (try? ContactIdentifier.normalize(old.nfc, channel: channel)) ?? old.nfc
            // Bytes, not `==`: Swift's String equality holds for NFC and
            // NFD forms of one text, SQLite's does not.
            guard !new.utf8.elementsEqual(old.utf8) else { continue }
            let taken = try Bool.fetchOne(db, sql: """
                SELECT EXISTS (SELECT 1 FROM contacts WHERE workspace = ? AND channel = ? AND identifier = ?)
                """, arguments: [workspace, channel.rawValue, new]) ?? false
            if taken {
                try db.execute(sql: """
                    INSERT OR IGNORE INTO contact_aliases(contact_id, workspace, channel, identifier) VALUES (?, ?, ?, ?)
                    """, arguments: [id, workspace, channel.rawValue, new])
            } else {
                try db.execute(sql: "UPDATE contacts SET identifier = ? WHERE id = ?", arguments: [new, id])
            }
            if let profileID: Int64 = row[4] { touchedProfiles.insert(profileID) }
        }
        for id in touchedProfiles.sorted() { try SearchIndex.refresh(db, profileID: id) }
    }

    private static let nfcFunction = DatabaseFunction("profiles_nfc", argumentCount: 1, pure: true) { values in
        guard let text = String.fromDatabaseValue(values[0]) else { return values[0] }
        return text.nfc
    }
}
