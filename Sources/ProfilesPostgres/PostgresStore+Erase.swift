import Foundation
import Logging
import PostgresNIO
import ProfilesDomain
import ProfilesStore

extension PostgresStore {
    /// `profile.erase` (SPEC §8), as SQLite's: the profile, its contacts,
    /// their moments, its notes and field values are deleted, and the
    /// change-feed events and stored idempotent answers that hold any of it
    /// are rewritten or removed, in one transaction. A dry run does the
    /// same and rolls back, so its counts are exact.
    ///
    /// Unlike SQLite's (secure_delete, WAL truncation) the old row versions
    /// stay in the table files until PostgreSQL's (auto)vacuum reclaims
    /// them: the store cannot force that from inside a transaction.
    public func eraseProfile(workspace: String, id: Int64, dryRun: Bool) async throws -> ProfileErasure {
        do {
            return try await write(workspace: workspace) { [logger] connection, versions in
                let report = try await PGErasure.erase(connection, workspace: workspace, id: id, versions: &versions, logger: logger)
                if dryRun { throw ErasureRolledBack(report: report.with(dryRun: true)) }
                return report
            }
        } catch let rolledBack as ErasureRolledBack {
            return rolledBack.report
        }
    }
}

/// Carries a dry run's report out of the transaction it rolls back.
private struct ErasureRolledBack: Error { let report: ProfileErasure }

/// The statements of one erasure (SQLite's `Erasure`, in PostgreSQL's
/// JSON functions: `data`, `request` and `answer` are text holding JSON).
enum PGErasure {
    static let searchedFieldTypes = ["text", "email", "phone", "url"]
    static let shortestSearchedString = 4

    static func erase(_ connection: PostgresConnection, workspace: String, id: Int64, versions: inout ProfileVersions,
                      logger: Logger) async throws -> ProfileErasure {
        _ = try await PGProfiles.fetch(connection, workspace: workspace, id: id, forUpdate: true, logger: logger)
        let profiles = try await mergedChain(connection, workspace: workspace, id: id, logger: logger)
        let contacts = try await connection.rows("""
            SELECT id FROM contacts WHERE workspace = \(workspace) AND profile_id = \(id) ORDER BY id
            """, logger).map { try $0.decode(Int64.self) }
        let moments = try await connection.rows("""
            SELECT m.id FROM moments m JOIN contacts c ON c.workspace = m.workspace AND c.id = m.contact_id
            WHERE m.workspace = \(workspace) AND c.profile_id = \(id) ORDER BY m.id
            """, logger).map { try $0.decode(Int64.self) }
        let ids = Ids(profiles: profiles, contacts: contacts, moments: moments,
                      notes: try await noteIDs(connection, workspace: workspace, id: id, profiles: profiles, logger: logger))

        let (about, referencing) = try await matchingEvents(connection, workspace: workspace, ids: ids, logger: logger)
        let searched = try await erasedStrings(connection, workspace: workspace, id: id, events: about, logger: logger)

        // Rows keep seq, type, workspace, entity and at: the feed stays
        // dense and a consumer still sees that something happened.
        let eventsRewritten = try await connection.run("""
            UPDATE events SET data = '{"erased":true}' WHERE workspace = \(workspace) AND seq = ANY(\(about + referencing))
            RETURNING 1
            """, logger)
        let keysRemoved = try await deleteKeys(connection, workspace: workspace, ids: ids, strings: searched, logger: logger)

        // Its own history goes with its row (the cascade); another
        // profile's entry that names its contacts or it (a move, a merge,
        // an unmerge) keeps its seq and type only, as the events do (as
        // SQLite's).
        try await connection.run("""
            UPDATE profile_history SET changes = '{"erased":true}'
            WHERE workspace = \(workspace) AND profile_id <> \(id) AND changes <> '{"erased":true}' AND (
                changes::jsonb #>> '{merge,profile_id}' = ANY(\(text(profiles)))
                OR changes::jsonb #>> '{unmerge,profile_id}' = ANY(\(text(profiles)))
                OR EXISTS (SELECT 1 FROM jsonb_array_elements(coalesce(changes::jsonb -> 'contacts', '[]')) c
                           WHERE c ->> 'id' = ANY(\(text(contacts)))
                              OR c ->> 'from_profile_id' = ANY(\(text(profiles)))
                              OR c ->> 'to_profile_id' = ANY(\(text(profiles))))
                OR EXISTS (SELECT 1 FROM jsonb_array_elements(coalesce(changes::jsonb -> 'notes', '[]')) n
                           WHERE n ->> 'from_profile_id' = ANY(\(text(profiles)))
                              OR n ->> 'to_profile_id' = ANY(\(text(profiles)))))
            """, logger)

        let momentCount = try await connection.run("""
            DELETE FROM moments WHERE workspace = \(workspace)
            AND contact_id IN (SELECT id FROM contacts WHERE workspace = \(workspace) AND profile_id = \(id)) RETURNING 1
            """, logger)
        let contactCount = try await connection.run("""
            DELETE FROM contacts WHERE workspace = \(workspace) AND profile_id = \(id) RETURNING 1
            """, logger)
        let noteCount = try await connection.run("""
            DELETE FROM notes WHERE workspace = \(workspace) AND profile_id = \(id) RETURNING 1
            """, logger)
        let fieldCount = try await connection.run("""
            DELETE FROM field_values WHERE workspace = \(workspace) AND profile_id = \(id) RETURNING 1
            """, logger)
        // What profile.unmerge would restore holds their names and values.
        try await connection.run("""
            DELETE FROM merge_records WHERE workspace = \(workspace) AND (into_id = ANY(\(profiles)) OR from_id = ANY(\(profiles)))
            """, logger)
        try await connection.run("DELETE FROM profiles WHERE workspace = \(workspace) AND id = \(id)", logger)
        versions.removed(id)
        return ProfileErasure(id: id, dryRun: false, mergedProfiles: Array(profiles.dropFirst()), contacts: contactCount,
                              moments: momentCount, notes: noteCount, fieldValues: fieldCount, eventsRewritten: eventsRewritten,
                              idempotencyKeysRemoved: keysRemoved)
    }

    /// The profile and every profile merged into it, transitively, as far
    /// as the feed still records merges (`profile.merged`: entity `into`,
    /// params `from`), breadth first, each profile's merges in seq order.
    /// A merged profile that exists again was brought back by
    /// profile.unmerge: its data is its own again, and it is left out.
    static func mergedChain(_ connection: PostgresConnection, workspace: String, id: Int64, logger: Logger) async throws -> [Int64] {
        var chain = [id]
        var seen: Set<Int64> = [id]
        var next = 0
        while next < chain.count {
            let into = chain[next]
            next += 1
            for row in try await connection.rows("""
                SELECT (data::jsonb #>> '{params,from}')::bigint FROM events
                WHERE workspace = \(workspace) AND type = 'profile.merged' AND entity = \(String(into))
                AND jsonb_typeof(data::jsonb #> '{params,from}') = 'number'
                AND NOT EXISTS (SELECT 1 FROM profiles p
                                WHERE p.workspace = \(workspace) AND p.id = (events.data::jsonb #>> '{params,from}')::bigint)
                ORDER BY seq
                """, logger) {
                let from = try row.decode(Int64.self)
                if seen.insert(from).inserted { chain.append(from) }
            }
        }
        return chain
    }

    /// Its notes now, and those the feed shows were once written for one
    /// of the profiles (deleted since, or moved in by a merge).
    static func noteIDs(_ connection: PostgresConnection, workspace: String, id: Int64, profiles: [Int64],
                        logger: Logger) async throws -> [Int64] {
        let current = try await connection.rows("""
            SELECT id FROM notes WHERE workspace = \(workspace) AND profile_id = \(id)
            """, logger).map { try $0.decode(Int64.self) }
        let recorded = try await connection.rows("""
            SELECT DISTINCT entity FROM events
            WHERE workspace = \(workspace) AND type LIKE 'note.%' AND entity ~ '^[0-9]+$'
            AND (data::jsonb #>> '{params,profile_id}' = ANY(\(text(profiles)))
                 OR data::jsonb #>> '{result,profile_id}' = ANY(\(text(profiles))))
            """, logger).compactMap { Int64(try $0.decode(String.self)) }
        return Array(Set(current + recorded)).sorted()
    }

    /// Events about an erased entity (by type and entity), and events that
    /// only refer to one, as SQLite's `matchingEvents`.
    static func matchingEvents(_ connection: PostgresConnection, workspace: String, ids: Ids,
                               logger: Logger) async throws -> (about: [Int64], referencing: [Int64]) {
        let (profiles, contacts, moments, notes) = (text(ids.profiles), text(ids.contacts), text(ids.moments), text(ids.notes))
        var about: [Int64] = []
        var referencing: [Int64] = []
        for row in try await connection.rows("""
            SELECT seq, is_about FROM (
                SELECT e.seq, e.data,
                    ((e.type LIKE 'profile.%' AND e.entity = ANY(\(profiles)))
                     OR (e.type LIKE 'contact.%' AND e.entity = ANY(\(contacts)))
                     OR (e.type LIKE 'moment.%' AND e.entity = ANY(\(moments)))
                     OR (e.type LIKE 'note.%' AND e.entity = ANY(\(notes)))) AS is_about,
                    e.type
                FROM events e WHERE e.workspace = \(workspace) AND e.data <> '{"erased":true}') AS e
            WHERE is_about OR (
                (e.data::jsonb #>> '{params,profile_id}') = ANY(\(profiles))
                OR (e.data::jsonb #>> '{result,profile_id}') = ANY(\(profiles))
                OR (e.data::jsonb #>> '{result,contact,profile_id}') = ANY(\(profiles))
                OR (e.data::jsonb #>> '{params,into}') = ANY(\(profiles))
                OR (e.data::jsonb #>> '{params,from}') = ANY(\(profiles))
                OR (e.data::jsonb #>> '{result,into}') = ANY(\(profiles))
                OR (e.data::jsonb #>> '{result,from}') = ANY(\(profiles))
                OR (e.data::jsonb #>> '{params,contact_id}') = ANY(\(contacts))
                OR (e.data::jsonb #>> '{result,contact_id}') = ANY(\(contacts))
                OR (e.type <> 'field.deleted' AND jsonb_typeof(e.data::jsonb -> 'profiles') = 'array'
                    AND EXISTS (SELECT 1 FROM jsonb_array_elements(e.data::jsonb -> 'profiles') p
                                WHERE (p ->> 'id') = ANY(\(profiles)))))
            ORDER BY seq
            """, logger) {
            let (seq, isAbout) = try row.decode((Int64, Bool).self)
            if isAbout { about.append(seq) } else { referencing.append(seq) }
        }
        return (about, referencing)
    }

    /// What to look for verbatim in stored answers, as SQLite's
    /// `erasedStrings`; each also in its JSON-escaped form.
    static func erasedStrings(_ connection: PostgresConnection, workspace: String, id: Int64, events: [Int64],
                              logger: Logger) async throws -> [String] {
        var found = Set<String>()
        for row in try await connection.rows("SELECT name FROM profiles WHERE workspace = \(workspace) AND id = \(id)", logger) {
            found.insert(try row.decode(String.self))
        }
        for row in try await connection.rows("""
            SELECT identifier, name FROM contacts WHERE workspace = \(workspace) AND profile_id = \(id)
            """, logger) {
            let (identifier, name) = try row.decode((String, String?).self)
            found.insert(identifier)
            if let name { found.insert(name) }
        }
        for row in try await connection.rows("SELECT body FROM notes WHERE workspace = \(workspace) AND profile_id = \(id)", logger) {
            found.insert(try row.decode(String.self))
        }
        for row in try await connection.rows("""
            SELECT m.subject, m.ticket_id FROM moments m JOIN contacts c ON c.workspace = m.workspace AND c.id = m.contact_id
            WHERE m.workspace = \(workspace) AND c.profile_id = \(id)
            """, logger) {
            let (subject, ticket) = try row.decode((String?, String?).self)
            if let subject { found.insert(subject) }
            if let ticket { found.insert(ticket) }
        }
        let personalKeys = Set(try await connection.rows("""
            SELECT key FROM field_definitions WHERE workspace = \(workspace) AND type = ANY(\(searchedFieldTypes))
            """, logger).map { try $0.decode(String.self) })
        for row in try await connection.rows("""
            SELECT text_value FROM field_values
            WHERE workspace = \(workspace) AND profile_id = \(id) AND text_value IS NOT NULL AND key = ANY(\(Array(personalKeys)))
            """, logger) {
            found.insert(try row.decode(String.self))
        }
        for row in try await connection.rows("""
            SELECT type, data FROM events WHERE workspace = \(workspace) AND seq = ANY(\(events))
            """, logger) {
            let (type, data) = try row.decode((String, String).self)
            found.formUnion(recordedStrings(type: type, data: data, personalKeys: personalKeys))
        }
        var searched = Set<String>()
        for text in found where text.count >= shortestSearchedString {
            searched.insert(text)
            searched.insert(jsonEscaped(text))
        }
        return searched.sorted()
    }

    /// As SQLite's `Erasure.recordedStrings`.
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
    /// method's params and answer shapes) or hold an erased string, as
    /// SQLite's `idempotencyDelete`.
    static func deleteKeys(_ connection: PostgresConnection, workspace: String, ids: Ids, strings: [String],
                           logger: Logger) async throws -> Int {
        let (profiles, contacts, moments, notes) = (text(ids.profiles), text(ids.contacts), text(ids.moments), text(ids.notes))
        return try await connection.run("""
            DELETE FROM idempotency_keys AS k
            USING (SELECT workspace, key, request::jsonb AS rq, answer::jsonb AS an FROM idempotency_keys
                   WHERE workspace = \(workspace)) AS j
            WHERE k.workspace = \(workspace) AND j.workspace = k.workspace AND j.key = k.key AND (
                (k.method LIKE 'profile.%' AND (
                    (j.rq ->> 'id') = ANY(\(profiles)) OR (j.an ->> 'id') = ANY(\(profiles))
                    OR (j.rq ->> 'into') = ANY(\(profiles)) OR (j.rq ->> 'from') = ANY(\(profiles))
                    OR (j.an ->> 'into') = ANY(\(profiles)) OR (j.an ->> 'from') = ANY(\(profiles))))
                OR (k.method LIKE 'contact.%' AND (
                    (j.rq ->> 'id') = ANY(\(contacts)) OR (j.an ->> 'id') = ANY(\(contacts))
                    OR (j.an #>> '{contact,id}') = ANY(\(contacts))))
                OR (k.method LIKE 'moment.%' AND ((j.rq ->> 'id') = ANY(\(moments)) OR (j.an ->> 'id') = ANY(\(moments))))
                OR (k.method LIKE 'note.%' AND ((j.rq ->> 'id') = ANY(\(notes)) OR (j.an ->> 'id') = ANY(\(notes))))
                OR (j.rq ->> 'profile_id') = ANY(\(profiles))
                OR (j.an ->> 'profile_id') = ANY(\(profiles))
                OR (j.an #>> '{contact,profile_id}') = ANY(\(profiles))
                OR (j.rq ->> 'contact_id') = ANY(\(contacts))
                OR (j.an ->> 'contact_id') = ANY(\(contacts))
                OR (jsonb_typeof(j.an -> 'profiles') = 'array'
                    AND EXISTS (SELECT 1 FROM jsonb_array_elements(j.an -> 'profiles') p WHERE (p ->> 'id') = ANY(\(profiles))))
                OR EXISTS (SELECT 1 FROM unnest(\(strings)::text[]) s WHERE strpos(k.request, s) > 0 OR strpos(k.answer, s) > 0))
            RETURNING 1
            """, logger)
    }

    /// The ids an erasure covers.
    struct Ids {
        /// The erased profile first, then those merged into it.
        let profiles: [Int64]
        let contacts: [Int64]
        let moments: [Int64]
        let notes: [Int64]
    }

    /// Ids as the text JSON paths (`#>>`, `->>`) and `entity` give them.
    static func text(_ ids: [Int64]) -> [String] { ids.map(String.init) }

    /// As SQLite's `Erasure.jsonEscaped`: the string as it appears between
    /// the quotes of the stored JSON.
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
