import Foundation
import GRDB
import ProfilesDomain
import ProfilesSQLite
import ProfilesStore
import ProfilesTestSupport
import Testing

/// The FTS5 index is updated once per group-commit batch (SearchIndex):
/// whatever a batch does to the profiles' documents, and whichever of its
/// writes roll back, the index ends up exactly what a trigger per row made
/// it: FTS5's integrity check passes against the content table, and every
/// search finds the ids a brute-force scan of search_doc finds.
@Suite struct SearchIndexBatchTests {
    struct Refused: Error {}

    @Test(.sqliteOnly) func aMixedBatchLeavesTheIndexExact() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let database = try ProfilesDatabase(path: dir.appendingPathComponent("s.sqlite").path, synchronous: .normal)
        defer { try? database.close() }
        let ws = "default"

        // Before the batch: contacts, and profiles holding some of them.
        let contacts = try (0..<12).map { i in
            try database.upsertContact(workspace: ws, channel: .email, identifier: "mailbox\(i)@example.org",
                                       name: "Contactname Kiwi\(i)").contact.id
        }
        let profiles = try (0..<12).map { i in
            try database.createProfile(workspace: ws, name: "Original Mango\(i)", fields: [:],
                                       contactIDs: i < 6 ? [contacts[i]] : [], move: false).id
        }
        try check(database, phase: "before the batch")

        // The batch: the writer is held by a slow write while every other
        // write queues, so they share the next transaction.
        let box = DatabaseBox(database)
        let before = database.groupCommitCounts
        let outcomes = OutcomeLog()
        let operations: [@Sendable (ProfilesDatabase) throws -> Void] = [
            // 0: create, and create with contacts
            { db in _ = try db.createProfile(workspace: ws, name: "Fresh Papaya", fields: [:], contactIDs: [], move: false) },
            { db in _ = try db.createProfile(workspace: ws, name: "Fresh Guava", fields: [:], contactIDs: [contacts[6]], move: false) },
            // 2: renames
            { db in _ = try db.updateProfile(workspace: ws, id: profiles[0], name: "Renamed Lychee", fields: nil, expectedVersion: nil) },
            { db in _ = try db.updateProfile(workspace: ws, id: profiles[1], name: "Renamed Durian", fields: nil, expectedVersion: nil) },
            // 4: attach, move, detach
            { db in _ = try db.attachContact(workspace: ws, profileID: profiles[6], contactID: contacts[7], move: false) },
            { db in _ = try db.attachContact(workspace: ws, profileID: profiles[7], contactID: contacts[2], move: true) },
            { db in _ = try db.detachContact(workspace: ws, profileID: profiles[3], contactID: contacts[3]) },
            // 7: merge, dry-run merge, delete, erase
            { db in _ = try db.mergeProfiles(workspace: ws, into: profiles[8], from: profiles[4], dryRun: false) },
            { db in _ = try db.mergeProfiles(workspace: ws, into: profiles[9], from: profiles[5], dryRun: true) },
            { db in _ = try db.deleteProfile(workspace: ws, id: profiles[9], expectedVersion: nil) },
            { db in _ = try db.eraseProfile(workspace: ws, id: profiles[10], dryRun: false) },
            // 11: a contact renamed and one deleted (both refresh a document)
            { db in _ = try db.updateContact(workspace: ws, id: contacts[0], name: "Contactname Quince") },
            { db in _ = try db.deleteContact(workspace: ws, id: contacts[5]) },
            // 13: a create that fails after writing (its second contact is
            // taken): the savepoint rolls back, and its pending entry with it
            { db in _ = try db.createProfile(workspace: ws, name: "Doomed Tamarind", fields: [:],
                                             contactIDs: [contacts[8], contacts[4]], move: false) },
            // 14: raw writes: inserted, changed and deleted in one write;
            // changed twice; deleted and inserted again under the same id;
            // and one that changes a document and then fails
            { db in
                try db.write { d in
                    try d.execute(sql: """
                        INSERT INTO profiles(workspace, name, name_key, created_at, updated_at, search_doc)
                        VALUES ('default', 'Ephemeral', 'ephemeral', 0, 0, 'ephemeral starfruit')
                        """)
                    let id = d.lastInsertedRowID
                    try d.execute(sql: "UPDATE profiles SET search_doc = 'ephemeral rambutan' WHERE id = ?", arguments: [id])
                    try d.execute(sql: "DELETE FROM profiles WHERE id = ?", arguments: [id])
                }
            },
            { db in
                try db.write { d in
                    try d.execute(sql: "UPDATE profiles SET search_doc = 'twice once' WHERE id = ?", arguments: [profiles[2]])
                    try d.execute(sql: "UPDATE profiles SET search_doc = 'twice second persimmon' WHERE id = ?", arguments: [profiles[2]])
                }
            },
            { db in
                try db.write { d in
                    try d.execute(sql: "DELETE FROM contacts WHERE profile_id = ?", arguments: [profiles[6]])
                    try d.execute(sql: "DELETE FROM profiles WHERE id = ?", arguments: [profiles[6]])
                    try d.execute(sql: """
                        INSERT INTO profiles(id, workspace, name, name_key, created_at, updated_at, search_doc)
                        VALUES (?, 'default', 'Reborn Feijoa', 'reborn feijoa', 0, 0, 'reborn feijoa')
                        """, arguments: [profiles[6]])
                }
            },
            { db in
                try db.write { d in
                    try d.execute(sql: "UPDATE profiles SET search_doc = 'never kumquat' WHERE id = ?", arguments: [profiles[3]])
                    throw Refused()
                }
            },
        ]
        let group = DispatchGroup()
        group.enter()
        Thread.detachNewThread {
            defer { group.leave() }
            try? box.database.write { _ in Thread.sleep(forTimeInterval: 0.5) }
        }
        Thread.sleep(forTimeInterval: 0.1)
        for (i, operation) in operations.enumerated() {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                do {
                    try operation(box.database)
                    outcomes.record(i, ok: true)
                } catch {
                    outcomes.record(i, ok: false)
                }
            }
        }
        group.wait()
        let after = database.groupCommitCounts
        print("search index batch: \(after.writes - before.writes) writes in \(after.commits - before.commits) commits")
        #expect(after.commits - before.commits < operations.count)
        // Operations run in any order within the batch, so a few depend on
        // it; these cannot fail whatever the order:
        #expect(outcomes.failed.isSuperset(of: [13, 17]))
        #expect(outcomes.succeeded.isSuperset(of: [0, 1, 2, 3, 6, 10, 11, 14, 15]))
        try check(database, phase: "after the batch")

        // Later batches build on an index that is right.
        _ = try database.updateProfile(workspace: ws, id: profiles[0], name: "Renamed Again Lychee", fields: nil, expectedVersion: nil)
        _ = try database.createProfile(workspace: ws, name: "Late Pomelo", fields: [:], contactIDs: [contacts[9]], move: false)
        try check(database, phase: "after more writes")
    }

    /// FTS5's own check of the index against the profiles table, and every
    /// search against a brute-force scan.
    private func check(_ database: ProfilesDatabase, phase: String) throws {
        try database.write { db in
            try db.execute(sql: "INSERT INTO profile_search(profile_search) VALUES ('integrity-check')")
        }
        let docs = try database.read { db in
            try Row.fetchAll(db, sql: "SELECT id, search_doc FROM profiles WHERE workspace = 'default'").map { ($0[0] as Int64, $0[1] as String) }
        }
        // Every trigram-sized piece of every document, and some that were
        // documents once, must find exactly the profiles whose document
        // holds them.
        var queries: Set<String> = ["original", "renamed", "fresh", "mailbox", "contactname", "example.org", "papaya", "guava",
                                    "lychee", "durian", "ephemeral", "starfruit", "rambutan", "twice", "persimmon", "reborn",
                                    "feijoa", "kumquat", "tamarind", "quince", "kiwi3", "mango4", "mango5", "mango9", "zzz"]
        for (_, doc) in docs {
            for word in doc.split(whereSeparator: { $0 == " " || $0 == "\n" }) where word.count >= 3 { queries.insert(String(word)) }
        }
        for query in queries.sorted() {
            let found = try database.listProfiles(workspace: "default", query: query, filter: nil, sort: .name, limit: 1000, cursor: nil).items.map(\.id)
            let expected = docs.filter { $0.1.contains(query) }.map(\.0)
            #expect(Set(found) == Set(expected), "\(phase): query '\(query)'")
            #expect(found.count == expected.count, "\(phase): query '\(query)'")
            let indexed = try database.read { db in
                try Int64.fetchAll(db, sql: "SELECT rowid FROM profile_search WHERE profile_search MATCH ?",
                                   arguments: ["\"" + query + "\""])
            }
            #expect(Set(indexed) == Set(expected), "\(phase): index match '\(query)'")
        }
    }
}
