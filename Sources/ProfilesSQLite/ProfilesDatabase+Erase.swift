import ProfilesStore
import Foundation
import GRDB
import ProfilesDomain

extension ProfilesDatabase {
    /// `profile.erase` (the right to erasure, SPEC §8): the profile, its
    /// contacts, their moments, its notes and field values are deleted, and
    /// the change-feed events and stored idempotent answers that hold any of
    /// it are rewritten or removed, in one write. A dry run does the same
    /// in its savepoint and rolls it back, so its counts are exact.
    ///
    /// Once it has committed the WAL is checkpointed and truncated, so the old
    /// page images that still hold the data leave the -wal file too.
    public func eraseProfile(workspace: String, id: Int64, dryRun: Bool) throws -> ProfileErasure {
        /// Carries a dry run's report out of the savepoint it rolls back.
        struct RolledBack: Error { let report: ProfileErasure }
        let report: ProfileErasure
        do {
            report = try write { db in
                let report = try Erasure.run(db, workspace: workspace, id: id)
                if dryRun { throw RolledBack(report: report.with(dryRun: true)) }
                return report
            }
        } catch let rolledBack as RolledBack {
            return rolledBack.report
        }
        afterCommit { [self] in truncateWAL() }
        return report
    }

    /// Best effort: a reader still on an older snapshot keeps the WAL
    /// alive; the erase has committed regardless, and a later checkpoint
    /// overwrites the frames. The busy wait is kept short so that the
    /// writer is not held for the full busy timeout.
    func truncateWAL() {
        try? pool.writeWithoutTransaction { db in
            let timeout = try Int.fetchOne(db, sql: "PRAGMA busy_timeout") ?? 0
            try db.execute(sql: "PRAGMA busy_timeout = 250")
            defer { try? db.execute(sql: "PRAGMA busy_timeout = \(timeout)") }
            _ = try db.checkpoint(.truncate)
        }
    }
}

/// The statements of one erasure, run inside the write's savepoint.
enum Erasure {
    /// Field types whose values are personal and distinctive enough to
    /// look for verbatim in stored answers (a `select` value or a date is
    /// shared by many profiles).
    static let searchedFieldTypes = ["text", "email", "phone", "url"]
    /// Shorter strings are not looked for verbatim: they would match
    /// unrelated answers. The structural rules still find those.
    static let shortestSearchedString = 4

    static func run(_ db: Database, workspace: String, id: Int64) throws -> ProfileErasure {
        _ = try Profiles.fetch(db, workspace: workspace, id: id)
        // secure_delete zeroes the bytes of deleted rows and freed pages
        // instead of leaving them in free space. It is a flag of the
        // connection, honoured inside a transaction, so it is switched on
        // for this erase only and restored for the writes batched after it.
        let previous = try Int.fetchOne(db, sql: "PRAGMA secure_delete") ?? 0
        try db.execute(sql: "PRAGMA secure_delete = ON")
        let restore = "PRAGMA secure_delete = \(previous == 2 ? "FAST" : previous == 0 ? "OFF" : "ON")"
        do {
            let report = try erase(db, workspace: workspace, id: id)
            try db.execute(sql: restore)
            return report
        } catch {
            try? db.execute(sql: restore)
            throw error
        }
    }

    private static func erase(_ db: Database, workspace: String, id: Int64) throws -> ProfileErasure {
        let profiles = try mergedChain(db, workspace: workspace, id: id)
        let contacts = try Int64.fetchAll(db, sql: "SELECT id FROM contacts WHERE profile_id = ? ORDER BY id", arguments: [id])
        let moments = try Int64.fetchAll(db, sql: """
            SELECT m.id FROM moments m JOIN contacts c ON c.id = m.contact_id WHERE c.profile_id = ? ORDER BY m.id
            """, arguments: [id])
        let ids = Ids(profiles: profiles, contacts: contacts, moments: moments,
                      notes: try noteIDs(db, workspace: workspace, id: id, profiles: profiles))

        let (about, referencing) = try matchingEvents(db, workspace: workspace, ids: ids)
        let searched = try erasedStrings(db, workspace: workspace, id: id, events: about)

        // Rows keep seq, type, workspace, entity and at: the feed stays
        // dense and a consumer still sees that something happened.
        try db.execute(sql: #"UPDATE events SET data = '{"erased":true}' WHERE workspace = ? AND seq IN (SELECT value FROM json_each(?))"#,
                       arguments: [workspace, json(about + referencing)])
        let eventsRewritten = db.changesCount
        try db.execute(sql: idempotencyDelete, arguments: ids.arguments(workspace: workspace, strings: searched))
        let keysRemoved = db.changesCount

        // Its own history goes with its row (the cascade); another
        // profile's entry that names its contacts or it (a move, a merge,
        // an unmerge) keeps its seq and type only, as the events do.
        try db.execute(sql: """
            UPDATE profile_history SET changes = '{"erased":true}'
            WHERE workspace = :workspace AND profile_id <> :id AND changes <> '{"erased":true}' AND (
                json_extract(changes, '$.merge.profile_id') IN (SELECT value FROM json_each(:profiles))
                OR json_extract(changes, '$.unmerge.profile_id') IN (SELECT value FROM json_each(:profiles))
                OR EXISTS (SELECT 1 FROM json_each(changes, '$.contacts') c
                           WHERE json_extract(c.value, '$.id') IN (SELECT value FROM json_each(:contacts))
                              OR json_extract(c.value, '$.from_profile_id') IN (SELECT value FROM json_each(:profiles))
                              OR json_extract(c.value, '$.to_profile_id') IN (SELECT value FROM json_each(:profiles)))
                OR EXISTS (SELECT 1 FROM json_each(changes, '$.notes') n
                           WHERE json_extract(n.value, '$.from_profile_id') IN (SELECT value FROM json_each(:profiles))
                              OR json_extract(n.value, '$.to_profile_id') IN (SELECT value FROM json_each(:profiles))))
            """, arguments: ["workspace": workspace, "id": id, "profiles": json(profiles), "contacts": json(contacts)])

        try db.execute(sql: "DELETE FROM moments WHERE contact_id IN (SELECT id FROM contacts WHERE profile_id = ?)", arguments: [id])
        let momentCount = db.changesCount
        try db.execute(sql: "DELETE FROM contacts WHERE profile_id = ?", arguments: [id])
        let contactCount = db.changesCount
        try db.execute(sql: "DELETE FROM notes WHERE profile_id = ?", arguments: [id])
        let noteCount = db.changesCount
        try db.execute(sql: "DELETE FROM field_values WHERE profile_id = ?", arguments: [id])
        let fieldCount = db.changesCount
        // What profile.unmerge would restore holds their names and values.
        try MergeRecords.delete(db, workspace: workspace, mentioning: profiles)
        // The search index drops the profile when the batch commits
        // (SearchIndex.flush).
        try db.execute(sql: "DELETE FROM profiles WHERE id = ?", arguments: [id])
        return ProfileErasure(id: id, dryRun: false, mergedProfiles: Array(profiles.dropFirst()), contacts: contactCount,
                              moments: momentCount, notes: noteCount, fieldValues: fieldCount, eventsRewritten: eventsRewritten,
                              idempotencyKeysRemoved: keysRemoved)
    }

    /// The profile and every profile merged into it, transitively, as far
    /// as the feed still records merges (`profile.merged`: entity `into`,
    /// params `from`). Their events hold data that now belongs to this one.
    /// A merged profile that exists again was brought back by
    /// profile.unmerge (ids are never handed out twice): its data is its
    /// own again, and it is left out.
    static func mergedChain(_ db: Database, workspace: String, id: Int64) throws -> [Int64] {
        try Int64.fetchAll(db, sql: """
            WITH RECURSIVE chain(id) AS (
                SELECT ?
                UNION
                SELECT json_extract(e.data, '$.params.from') FROM events e JOIN chain ON e.entity = CAST(chain.id AS TEXT)
                WHERE e.workspace = ? AND e.type = 'profile.merged' AND json_extract(e.data, '$.params.from') IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM profiles p WHERE p.id = json_extract(e.data, '$.params.from'))
            )
            SELECT id FROM chain
            """, arguments: [id, workspace])
    }

    /// Its notes now, and those the feed shows were once written for one
    /// of the profiles (deleted since, or moved in by a merge).
    static func noteIDs(_ db: Database, workspace: String, id: Int64, profiles: [Int64]) throws -> [Int64] {
        let current = try Int64.fetchAll(db, sql: "SELECT id FROM notes WHERE profile_id = ?", arguments: [id])
        let recorded = try Int64.fetchAll(db, sql: """
            SELECT DISTINCT CAST(e.entity AS INTEGER) FROM events e
            WHERE e.workspace = ?1 AND e.type LIKE 'note.%'
              AND (json_extract(e.data, '$.params.profile_id') IN (SELECT value FROM json_each(?2))
                OR json_extract(e.data, '$.result.profile_id') IN (SELECT value FROM json_each(?2)))
            """, arguments: [workspace, json(profiles)])
        return Array(Set(current + recorded)).sorted()
    }

    /// Events about an erased entity (by type and entity), and events that
    /// only refer to one (a profile or contact id in params or result, or a
    /// `profiles` member naming the profile). Both are rewritten; only the
    /// first kind is searched for strings. A `field.deleted` event lists
    /// every profile it cleared but holds only the key and counts: it stays,
    /// so the other profiles' mirrors still learn of it.
    static func matchingEvents(_ db: Database, workspace: String, ids: Ids) throws -> (about: [Int64], referencing: [Int64]) {
        let about = """
            ((e.type LIKE 'profile.%' AND e.entity IN (SELECT CAST(value AS TEXT) FROM json_each(:profiles)))
             OR (e.type LIKE 'contact.%' AND e.entity IN (SELECT CAST(value AS TEXT) FROM json_each(:contacts)))
             OR (e.type LIKE 'moment.%' AND e.entity IN (SELECT CAST(value AS TEXT) FROM json_each(:moments)))
             OR (e.type LIKE 'note.%' AND e.entity IN (SELECT CAST(value AS TEXT) FROM json_each(:notes))))
            """
        let referencing = """
            (json_extract(e.data, '$.params.profile_id') IN (SELECT value FROM json_each(:profiles))
             OR json_extract(e.data, '$.result.profile_id') IN (SELECT value FROM json_each(:profiles))
             OR json_extract(e.data, '$.result.contact.profile_id') IN (SELECT value FROM json_each(:profiles))
             OR json_extract(e.data, '$.params.into') IN (SELECT value FROM json_each(:profiles))
             OR json_extract(e.data, '$.params.from') IN (SELECT value FROM json_each(:profiles))
             OR json_extract(e.data, '$.result.into') IN (SELECT value FROM json_each(:profiles))
             OR json_extract(e.data, '$.result.from') IN (SELECT value FROM json_each(:profiles))
             OR json_extract(e.data, '$.params.contact_id') IN (SELECT value FROM json_each(:contacts))
             OR json_extract(e.data, '$.result.contact_id') IN (SELECT value FROM json_each(:contacts))
             OR (e.type <> 'field.deleted' AND EXISTS (SELECT 1 FROM json_each(e.data, '$.profiles') p
                        WHERE json_extract(p.value, '$.id') IN (SELECT value FROM json_each(:profiles)))))
            """
        // One pass over the workspace's events (JSON is only parsed for
        // rows the cheap entity test did not already take).
        let rows = try Row.fetchAll(db, sql: """
            SELECT e.seq, \(about) FROM events e
            WHERE e.workspace = :workspace AND e.data <> '{"erased":true}' AND (\(about) OR \(referencing))
            ORDER BY e.seq
            """, arguments: ids.arguments(workspace: workspace, strings: []))
        var aboutSeqs: [Int64] = []
        var referencingSeqs: [Int64] = []
        for row in rows {
            if row[1] as Bool { aboutSeqs.append(row[0]) } else { referencingSeqs.append(row[0]) }
        }
        return (aboutSeqs, referencingSeqs)
    }

    /// What to look for verbatim in stored answers: the profile's name,
    /// its contacts' identifiers and names, note bodies, moment subjects
    /// and ticket ids, and personal field values — as stored now and as
    /// the events about them recorded earlier values (old names, old
    /// bodies, merged profiles). Each also in its JSON-escaped form, as it
    /// appears inside the stored JSON.
    static func erasedStrings(_ db: Database, workspace: String, id: Int64, events: [Int64]) throws -> [String] {
        var found = Set<String>()
        found.formUnion(try String.fetchAll(db, sql: "SELECT name FROM profiles WHERE id = ?", arguments: [id]))
        for row in try Row.fetchAll(db, sql: "SELECT identifier, name FROM contacts WHERE profile_id = ?", arguments: [id]) {
            found.insert(row[0])
            if let name: String = row[1] { found.insert(name) }
        }
        found.formUnion(try String.fetchAll(db, sql: "SELECT body FROM notes WHERE profile_id = ?", arguments: [id]))
        for row in try Row.fetchAll(db, sql: """
            SELECT m.subject, m.ticket_id FROM moments m JOIN contacts c ON c.id = m.contact_id WHERE c.profile_id = ?
            """, arguments: [id]) {
            if let subject: String = row[0] { found.insert(subject) }
            if let ticket: String = row[1] { found.insert(ticket) }
        }
        let personalKeys = Set(try String.fetchAll(db, sql: """
            SELECT key FROM field_definitions WHERE workspace = ? AND type IN (SELECT value FROM json_each(?))
            """, arguments: [workspace, json(searchedFieldTypes)]))
        found.formUnion(try String.fetchAll(db, sql: """
            SELECT value FROM field_values WHERE profile_id = ? AND typeof(value) = 'text' AND key IN (SELECT value FROM json_each(?))
            """, arguments: [id, json(Array(personalKeys))]))
        for row in try Row.fetchAll(db, sql: "SELECT type, data FROM events WHERE workspace = ? AND seq IN (SELECT value FROM json_each(?))",
                                    arguments: [workspace, json(events)]) {
            found.formUnion(recordedStrings(type: row[0], data: row[1], personalKeys: personalKeys))
        }
        var searched = Set<String>()
        for text in found where text.count >= shortestSearchedString {
            searched.insert(text)
            searched.insert(jsonEscaped(text))
        }
        return searched.sorted()
    }

    /// The erased data an event about an erased entity recorded, by the
    /// shape its write method gives it (see the bus's FeedEntry). Results
    /// that describe another entity (attach answers with a profile) are
    /// left out: they are not this entity's data.
    static func recordedStrings(type: String, data: String, personalKeys: Set<String>) -> [String] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any] else { return [] }
        let params = object["params"] as? [String: Any] ?? [:]
        let result = object["result"] as? [String: Any] ?? [:]
        func strings(_ member: [String: Any]?, _ keys: [String]) -> [String] {
            keys.compactMap { member?[$0] as? String }
        }
        func fields(_ member: [String: Any]?) -> [String] {
            (member?["fields"] as? [String: Any] ?? [:]).compactMap { personalKeys.contains($0.key) ? $0.value as? String : nil }
        }
        switch type.split(separator: ".").first {
        case "profile":
            let profile = result["profile"] as? [String: Any]
            return strings(params, ["name"]) + strings(result, ["name"]) + strings(profile, ["name"])
                + fields(params) + fields(result) + fields(profile)
        case "contact" where type == "contact.created" || type == "contact.updated":
            return strings(params, ["identifier", "name"]) + strings(result, ["identifier", "name"])
                + strings(result["contact"] as? [String: Any], ["identifier", "name"])
        case "moment":
            return strings(params, ["subject", "ticket_id"]) + strings(result, ["subject", "ticket_id"])
        case "note":
            return strings(params, ["body"]) + strings(result, ["body"])
        default:
            return []
        }
    }

    /// Removes the stored answers that name an erased entity (by the
    /// method's params and answer shapes) or hold an erased string.
    static let idempotencyDelete = """
        DELETE FROM idempotency_keys AS k WHERE k.workspace = :workspace AND (
            (k.method LIKE 'profile.%' AND (
                json_extract(k.request, '$.id') IN (SELECT value FROM json_each(:profiles))
                OR json_extract(k.answer, '$.id') IN (SELECT value FROM json_each(:profiles))
                OR json_extract(k.request, '$.into') IN (SELECT value FROM json_each(:profiles))
                OR json_extract(k.request, '$.from') IN (SELECT value FROM json_each(:profiles))
                OR json_extract(k.answer, '$.into') IN (SELECT value FROM json_each(:profiles))
                OR json_extract(k.answer, '$.from') IN (SELECT value FROM json_each(:profiles))))
            OR (k.method LIKE 'contact.%' AND (
                json_extract(k.request, '$.id') IN (SELECT value FROM json_each(:contacts))
                OR json_extract(k.answer, '$.id') IN (SELECT value FROM json_each(:contacts))
                OR json_extract(k.answer, '$.contact.id') IN (SELECT value FROM json_each(:contacts))))
            OR (k.method LIKE 'moment.%' AND (
                json_extract(k.request, '$.id') IN (SELECT value FROM json_each(:moments))
                OR json_extract(k.answer, '$.id') IN (SELECT value FROM json_each(:moments))))
            OR (k.method LIKE 'note.%' AND (
                json_extract(k.request, '$.id') IN (SELECT value FROM json_each(:notes))
                OR json_extract(k.answer, '$.id') IN (SELECT value FROM json_each(:notes))))
            OR json_extract(k.request, '$.profile_id') IN (SELECT value FROM json_each(:profiles))
            OR json_extract(k.answer, '$.profile_id') IN (SELECT value FROM json_each(:profiles))
            OR json_extract(k.answer, '$.contact.profile_id') IN (SELECT value FROM json_each(:profiles))
            OR json_extract(k.request, '$.contact_id') IN (SELECT value FROM json_each(:contacts))
            OR json_extract(k.answer, '$.contact_id') IN (SELECT value FROM json_each(:contacts))
            OR EXISTS (SELECT 1 FROM json_each(k.answer, '$.profiles') p
                       WHERE json_extract(p.value, '$.id') IN (SELECT value FROM json_each(:profiles)))
            OR EXISTS (SELECT 1 FROM json_each(:strings) s WHERE instr(k.request, s.value) > 0 OR instr(k.answer, s.value) > 0))
        """

    /// The ids an erasure covers.
    struct Ids {
        /// The erased profile first, then those merged into it.
        let profiles: [Int64]
        let contacts: [Int64]
        let moments: [Int64]
        let notes: [Int64]

        func arguments(workspace: String, strings: [String]) -> StatementArguments {
            ["workspace": workspace, "profiles": json(profiles), "contacts": json(contacts), "moments": json(moments),
             "notes": json(notes), "strings": json(strings)]
        }
    }

    /// A JSON array of ids, for `json_each(?)`.
    static func json(_ ids: [Int64]) -> String {
        "[" + ids.map(String.init).joined(separator: ",") + "]"
    }

    static func json(_ strings: [String]) -> String {
        "[" + strings.map { "\"" + jsonEscaped($0) + "\"" }.joined(separator: ",") + "]"
    }

    /// The string as it appears between the quotes of the stored JSON
    /// (the encoder escapes quotes, backslashes and control characters,
    /// not slashes or non-ASCII).
    static func jsonEscaped(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
