import Foundation
import ProfilesTestSupport
import Testing

/// A write answered on one connection is seen by a read sent right after
/// on another: the one-statement reads (profile.get, contact.get,
/// moment.get) run outside a transaction on read-only connections of
/// their own, and must never read a snapshot older than the last commit;
/// and `profile.get` answers from the answer cache, which each commit must
/// have invalidated before its write is answered. Every test runs with the
/// cache on (64 MiB) and off (0). B reads each profile before the next
/// write, so the cache holds it when the write comes.
@Suite struct ReadYourWritesTests {
    /// One writer's round: each write kind on `a`, each followed at once
    /// by a read of what it changed on `b`.
    private func round(writer: Int, iteration: Int, a: LineClient, b: LineClient) throws {
        let tag = "w\(writer)i\(iteration)"
        func get(_ id: Int) throws -> JSONObject { try b.result("profile.get", ["id": id]) }
        func expectGone(_ method: String, _ id: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
            expectError(try b.call(method, ["id": id]), code: -32004, type: "not_found", sourceLocation: sourceLocation)
        }

        // field.define: the new definition is listed on B.
        let key = "f_\(tag)"
        _ = try a.result("field.define", ["key": key, "label": "L \(tag)", "type": "text"])
        #expect(try b.result("field.list")["items"].array.contains { $0["key"].string == key }, "\(tag) field.define")

        // profile.create
        let created = try a.result("profile.create", ["name": "P \(tag)"])
        let id = try #require(created["id"].int)
        #expect(try get(id)["name"].string == "P \(tag)", "\(tag) profile.create")

        // profile.update (name and a field value)
        let updated = try a.result("profile.update", ["id": id, "name": "Q \(tag)", "fields": [key: "v \(tag)"]])
        let seen = try get(id)
        #expect(seen["name"].string == "Q \(tag)", "\(tag) profile.update name")
        #expect(seen["fields"][key].string == "v \(tag)", "\(tag) profile.update field")
        #expect(seen["version"].int == updated["version"].int, "\(tag) profile.update version")

        // field.update: the new label is listed on B.
        _ = try a.result("field.update", ["key": key, "label": "M \(tag)"])
        let listed = try b.result("field.list")["items"].array.first { $0["key"].string == key }
        #expect(listed?["label"].string == "M \(tag)", "\(tag) field.update")

        // contact.upsert, then contact.update
        let contact = try #require(try a.result("contact.upsert", ["channel": "email", "identifier": "\(tag)@example.com"])["contact"]["id"].int)
        #expect(try b.result("contact.get", ["id": contact])["identifier"].string == "\(tag)@example.com", "\(tag) contact.upsert")
        _ = try a.result("contact.update", ["id": contact, "name": "N \(tag)"])
        #expect(try b.result("contact.get", ["id": contact])["name"].string == "N \(tag)", "\(tag) contact.update")

        // profile.attach_contact / profile.detach_contact
        let attached = try a.result("profile.attach_contact", ["profile_id": id, "contact_id": contact])
        #expect(try get(id)["contact_count"].int == 1, "\(tag) attach count")
        #expect(try get(id)["version"].int == attached["version"].int, "\(tag) attach version")
        #expect(try b.result("contact.get", ["id": contact])["profile_id"].int == id, "\(tag) attach contact")
        _ = try a.result("profile.detach_contact", ["profile_id": id, "contact_id": contact])
        #expect(try get(id)["contact_count"].int == 0, "\(tag) detach count")
        #expect(try b.result("contact.get", ["id": contact])["profile_id"].isNull, "\(tag) detach contact")

        // moment.create / moment.update
        let moment = try #require(try a.result("moment.create", ["contact_id": contact, "subject": "S \(tag)"])["id"].int)
        #expect(try b.result("moment.get", ["id": moment])["subject"].string == "S \(tag)", "\(tag) moment.create")
        _ = try a.result("moment.update", ["id": moment, "status": "closed"])
        #expect(try b.result("moment.get", ["id": moment])["status"].string == "closed", "\(tag) moment.update")

        // note.add / note.update / note.delete: the note list and the
        // profile's version on B.
        let note = try a.result("note.add", ["profile_id": id, "body": "B \(tag)"])
        let noteID = try #require(note["id"].int)
        #expect(try b.result("note.list", ["profile_id": id])["items"].array.first?["body"].string == "B \(tag)", "\(tag) note.add")
        let afterNote = try get(id)["version"].int
        _ = try a.result("note.update", ["id": noteID, "body": "C \(tag)"])
        #expect(try b.result("note.list", ["profile_id": id])["items"].array.first?["body"].string == "C \(tag)", "\(tag) note.update")
        #expect(try get(id)["version"].int == afterNote.map { $0 + 1 }, "\(tag) note.update version")
        _ = try a.result("note.delete", ["id": noteID])
        #expect(try b.result("note.list", ["profile_id": id])["items"].array.isEmpty, "\(tag) note.delete")
        #expect(try get(id)["version"].int == afterNote.map { $0 + 2 }, "\(tag) note.delete version")

        // field.delete: the value is gone from the profile.
        _ = try a.result("field.delete", ["key": key])
        #expect(try get(id)["fields"][key].exists == false, "\(tag) field.delete")

        // profile.merge: `from` is gone, `into` has its contact.
        let from = try #require(try a.result("profile.create", ["name": "From \(tag)", "contact_ids": [contact]])["id"].int)
        #expect(try get(from)["contact_count"].int == 1, "\(tag) create with contact")
        _ = try a.result("profile.merge", ["into": id, "from": from])
        try expectGone("profile.get", from)
        #expect(try get(id)["contact_count"].int == 1, "\(tag) profile.merge")
        #expect(try b.result("contact.get", ["id": contact])["profile_id"].int == id, "\(tag) merge contact")

        // contact.delete
        _ = try a.result("contact.delete", ["id": contact])
        try expectGone("contact.get", contact)
        try expectGone("moment.get", moment)
        #expect(try get(id)["contact_count"].int == 0, "\(tag) contact.delete")

        // profile.delete and profile.erase
        _ = try a.result("profile.delete", ["id": id])
        try expectGone("profile.get", id)
        let erased = try #require(try a.result("profile.create", ["name": "E \(tag)"])["id"].int)
        #expect(try get(erased)["name"].string == "E \(tag)", "\(tag) create before erase")
        _ = try a.result("profile.erase", ["id": erased])
        try expectGone("profile.get", erased)
    }

    @Test(.sqliteOnly, arguments: [64, 0]) func everyWriteIsSeenAtOnceOnAnotherConnection(cacheMegabytes: Int) throws {
        let s = try TestServer { $0.answerCacheMegabytes = cacheMegabytes }; defer { s.stop() }
        let writers = 3, iterations = 8
        let failures = FailureBox()
        DispatchQueue.concurrentPerform(iterations: writers) { writer in
            do {
                let a = try s.client(), b = try s.client()
                for iteration in 0..<iterations {
                    try round(writer: writer, iteration: iteration, a: a, b: b)
                }
            } catch {
                failures.add("writer \(writer): \(error)")
            }
        }
        #expect(failures.all.isEmpty, "\(failures.all)")
        // No read-only connection was left holding a snapshot.
        try s.server.database.checkStatementReadersIdle()
        #expect(s.server.database.statementReaderCount >= 2)
    }

    /// A single profile updated over and over by several writers, each
    /// checking on another connection that it sees its own last write
    /// (or a later one: versions only grow), while readers keep reading it
    /// (so cache fills race with the commits). Once all is written, every
    /// connection reads the last version.
    @Test(.sqliteOnly, arguments: [64, 0]) func versionsNeverGoBackAcrossConnections(cacheMegabytes: Int) throws {
        let s = try TestServer { $0.answerCacheMegabytes = cacheMegabytes }; defer { s.stop() }
        let setup = try s.client()
        let id = try #require(try setup.result("profile.create", ["name": "Shared"])["id"].int)
        let failures = FailureBox()
        let writing = ManagedFlag()
        DispatchQueue.concurrentPerform(iterations: 6) { writer in
            if writer >= 4 {
                // Readers: as many gets as they can while the writers write.
                do {
                    let r = try s.client()
                    var last = 0
                    while writing.isSet {
                        let seen = try #require(try r.result("profile.get", ["id": id])["version"].int)
                        if seen < last { failures.add("reader \(writer) read version \(last), then \(seen)") }
                        last = seen
                    }
                } catch {
                    failures.add("reader \(writer): \(error)")
                }
                return
            }
            defer { if writer == 0 { writing.clear() } }
            do {
                let a = try s.client(), b = try s.client()
                for i in 0..<40 {
                    let version = try #require(try a.result("profile.update", ["id": id, "name": "Shared \(writer) \(i)"])["version"].int)
                    let seen = try #require(try b.result("profile.get", ["id": id])["version"].int)
                    if seen < version { failures.add("writer \(writer) wrote version \(version), then read \(seen)") }
                }
            } catch {
                failures.add("writer \(writer): \(error)")
            }
        }
        #expect(failures.all.isEmpty, "\(failures.all)")
        let final = try #require(try setup.result("profile.get", ["id": id])["version"].int)
        for _ in 0..<4 {
            let c = try s.client()
            #expect(try c.result("profile.get", ["id": id])["version"].int == final)
        }
        // 4 writers × 40 updates after the create (version 1).
        #expect(final == 161)
        try s.server.database.checkStatementReadersIdle()
    }
}

/// Set until the first writer is done.
private final class ManagedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var set = true
    var isSet: Bool { lock.withLock { set } }
    func clear() { lock.withLock { set = false } }
}

/// Failures collected from concurrent writers.
private final class FailureBox: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ failure: String) { lock.withLock { items.append(failure) } }
    var all: [String] { lock.withLock { items } }
}
