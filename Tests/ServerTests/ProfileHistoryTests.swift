import Foundation
import GRDB
import ProfilesTestSupport
import Testing

/// profile.history (SPEC §8): each write that changes a profile leaves an
/// entry under its feed seq, with from/to for the name and each field and
/// the contacts, notes and merges involved; entries go with the profile.
@Suite struct ProfileHistoryTests {
    /// The profile's entries, newest first (one page).
    private func history(_ c: LineClient, _ id: Int) throws -> [JSONObject] {
        try c.result("profile.history", ["id": id, "limit": 500])["items"].array
    }

    private func expectChanges(_ entry: JSONObject, _ expected: [String: Any], _ type: String,
                               sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(entry["type"].string == type, "type \(entry["type"])", sourceLocation: sourceLocation)
        let actual = entry["changes"].object ?? [:]
        #expect(NSDictionary(dictionary: actual).isEqual(to: expected), "changes \(actual), expected \(expected)",
                sourceLocation: sourceLocation)
    }

    /// How many rows the history table holds for a profile, read from the
    /// backend's table itself.
    private func storedRows(_ s: TestServer, profileID: Int) throws -> Int {
        if let url = s.server.configuration.postgresURL {
            return Int(try TestPostgres.psqlValue(url, "SELECT count(*) FROM profile_history WHERE profile_id = \(profileID)")) ?? -1
        }
        return try s.server.database.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM profile_history WHERE profile_id = ?", arguments: [profileID]) ?? -1
        }
    }

    @Test func createUpdateRenameAndRemovalRecordExactFromAndTo() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        _ = try c.result("field.define", ["key": "tier", "label": "Tier", "type": "select", "options": ["gold", "silver"]])
        _ = try c.result("field.define", ["key": "score", "label": "Score", "type": "number"])
        let id = try #require(try c.makeProfile("Ann", ["fields": ["tier": "gold", "score": 3]])["id"].int)
        _ = try c.result("profile.update", ["id": id, "name": "Ann B", "fields": ["tier": "silver"]])
        _ = try c.result("profile.update", ["id": id, "fields": ["score": NSNull()]])
        // No change, no entry.
        _ = try c.result("profile.update", ["id": id, "name": "Ann B", "fields": ["tier": "silver"]])
        _ = try c.result("field.delete", ["key": "tier"])

        let entries = try history(c, id)
        try #require(entries.count == 4)
        expectChanges(entries[3], ["name": ["from": NSNull(), "to": "Ann"],
                                   "fields": ["tier": ["from": NSNull(), "to": "gold"], "score": ["from": NSNull(), "to": 3]]],
                      "profile.created")
        expectChanges(entries[2], ["name": ["from": "Ann", "to": "Ann B"], "fields": ["tier": ["from": "gold", "to": "silver"]]],
                      "profile.updated")
        expectChanges(entries[1], ["fields": ["score": ["from": 3, "to": NSNull()]]], "profile.updated")
        #expect(entries[1]["changes"]["fields"]["score"]["to"].isNull, "a removed value reads to: null")
        expectChanges(entries[0], ["fields": ["tier": ["from": "silver", "to": NSNull()]]], "field.deleted")

        // History and feed agree: each entry is the seq and time of its
        // write's event.
        let events = try c.result("events.read", ["after": 0])["events"].array
        for entry in entries {
            let event = events.first { $0["seq"].int == entry["seq"].int }
            #expect(event?["type"].string == entry["type"].string)
            #expect(event?["at"].string == entry["at"].string)
        }
        #expect(entries.map { $0["seq"].int ?? 0 } == entries.map { $0["seq"].int ?? 0 }.sorted(by: >), "newest first")
    }

    @Test func contactsAndNotesAreRecorded() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let contact = try #require(try c.result("contact.upsert", ["channel": "email", "identifier": "Ann@Example.com"])["contact"]["id"].int)
        let other = try #require(try c.result("contact.upsert", ["channel": "sms", "identifier": "+31612345678"])["contact"]["id"].int)
        let p = try #require(try c.makeProfile("Ann", ["contact_ids": [contact]])["id"].int)
        let q = try #require(try c.makeProfile("Bob", ["contact_ids": [other]])["id"].int)
        let email: [String: Any] = ["id": contact, "channel": "email", "identifier": "ann@example.com"]
        let sms: [String: Any] = ["id": other, "channel": "sms", "identifier": "+31612345678"]
        func with(_ base: [String: Any], _ extra: [String: Any]) -> [String: Any] { base.merging(extra) { $1 } }

        _ = try c.result("profile.attach_contact", ["profile_id": q, "contact_id": contact, "move": true])
        _ = try c.result("contact.update", ["id": contact, "name": "Annie"])
        _ = try c.result("profile.detach_contact", ["profile_id": q, "contact_id": contact])
        _ = try c.result("contact.delete", ["id": other])
        let note = try #require(try c.result("note.add", ["profile_id": p, "body": "first"])["id"].int)
        _ = try c.result("note.update", ["id": note, "body": "second"])
        _ = try c.result("note.delete", ["id": note])

        let ps = try history(c, p)
        try #require(ps.count == 5)
        expectChanges(ps[4], ["name": ["from": NSNull(), "to": "Ann"], "contacts": [with(email, ["action": "attached"])]], "profile.created")
        expectChanges(ps[3], ["contacts": [with(email, ["action": "detached", "to_profile_id": q])]], "contact.attached")
        expectChanges(ps[2], ["notes": [["action": "added", "id": note]]], "note.added")
        expectChanges(ps[1], ["notes": [["action": "updated", "id": note]]], "note.updated")
        expectChanges(ps[0], ["notes": [["action": "deleted", "id": note]]], "note.deleted")

        let qs = try history(c, q)
        try #require(qs.count == 5)
        expectChanges(qs[3], ["contacts": [with(email, ["action": "attached", "from_profile_id": p])]], "contact.attached")
        #expect(qs[3]["seq"].int == ps[3]["seq"].int, "a move is one write: one seq on both profiles")
        expectChanges(qs[2], ["contacts": [with(email, ["action": "renamed", "name": ["from": NSNull(), "to": "Annie"]])]],
                      "contact.updated")
        expectChanges(qs[1], ["contacts": [with(email, ["action": "detached"])]], "contact.detached")
        expectChanges(qs[0], ["contacts": [with(sms, ["action": "deleted"])]], "contact.deleted")
    }

    @Test func aMergeIsRecordedOnTheSurvivingProfile() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        _ = try c.result("field.define", ["key": "city", "label": "City", "type": "text"])
        _ = try c.result("field.define", ["key": "vip", "label": "VIP", "type": "boolean"])
        let contact = try #require(try c.result("contact.upsert", ["channel": "telegram", "identifier": "ann_t"])["contact"]["id"].int)
        let into = try #require(try c.makeProfile("Ann", ["fields": ["city": "Utrecht"]])["id"].int)
        let from = try #require(try c.makeProfile("Ann T", ["fields": ["city": "Delft", "vip": true], "contact_ids": [contact]])["id"].int)
        let note = try #require(try c.result("note.add", ["profile_id": from, "body": "met at fair"])["id"].int)
        // A dry run changes nothing, so it records nothing.
        _ = try c.result("profile.merge", ["into": into, "from": from, "dry_run": true])
        #expect(try history(c, into).count == 1)
        _ = try c.result("profile.merge", ["into": into, "from": from])

        let entries = try history(c, into)
        try #require(entries.count == 2)
        expectChanges(entries[0], [
            "merge": ["profile_id": from, "name": "Ann T"],
            "fields": ["vip": ["from": NSNull(), "to": true]],
            "contacts": [["action": "attached", "id": contact, "channel": "telegram", "identifier": "ann_t", "from_profile_id": from]],
            "notes": [["action": "moved", "id": note, "from_profile_id": from]],
        ], "profile.merged")
        // The absorbed profile is gone, and its history with it.
        try expectNotFound(c, "profile.history", ["id": from])
        #expect(try storedRows(s, profileID: from) == 0)
    }

    @Test func pagesNeitherSkipNorRepeatWhileChangesArrive() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let id = try #require(try c.makeProfile("v0")["id"].int)
        for n in 1...10 { _ = try c.result("profile.update", ["id": id, "name": "v\(n)"]) }
        let before = try history(c, id).map { $0["seq"].int ?? 0 }
        #expect(before.count == 11)
        var next = 11
        let paged = try c.collectPages("profile.history", ["id": id], limit: 2) {
            next += 1
            _ = try c.result("profile.update", ["id": id, "name": "v\(next)"])
        }
        #expect(paged.pages == 6)
        // Exactly the entries there were when paging began: the new ones
        // are newer than its first page.
        #expect(paged.items.map { $0["seq"].int ?? 0 } == before)
        #expect(paged.items.last?["changes"]["name"]["to"].string == "v0")
        #expect(try history(c, id).count == 11 + 5)

        // A cursor belongs to its profile.
        let other = try #require(try c.makeProfile("other")["id"].int)
        let cursor = try #require(try c.result("profile.history", ["id": id, "limit": 1])["next_cursor"].string)
        try expectInvalidParam(c, "profile.history", ["id": other, "cursor": cursor], field: "cursor")
        try expectInvalidParam(c, "profile.history", ["id": id, "limit": 501], field: "limit")
    }

    @Test func anUnknownProfileIsNotFound() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        try expectNotFound(c, "profile.history", ["id": 999])
        try expectInvalidParam(c, "profile.history", [:], field: "id")
    }

    @Test func deleteAndEraseLeaveNoHistoryRows() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let contact = try #require(try c.result("contact.upsert", ["channel": "email", "identifier": "gone@example.com"])["contact"]["id"].int)
        let keeper = try #require(try c.makeProfile("Keeper", ["contact_ids": [contact]])["id"].int)
        let erased = try #require(try c.makeProfile("Erased")["id"].int)
        _ = try c.result("profile.attach_contact", ["profile_id": erased, "contact_id": contact, "move": true])
        _ = try c.result("note.add", ["profile_id": erased, "body": "private"])
        let deleted = try #require(try c.makeProfile("Deleted")["id"].int)
        _ = try c.result("profile.update", ["id": deleted, "name": "Deleted 2"])
        #expect(try storedRows(s, profileID: erased) == 3)
        #expect(try storedRows(s, profileID: deleted) == 2)

        _ = try c.result("profile.delete", ["id": deleted])
        #expect(try storedRows(s, profileID: deleted) == 0)

        // A dry run keeps everything.
        _ = try c.result("profile.erase", ["id": erased, "dry_run": true])
        #expect(try storedRows(s, profileID: erased) == 3)
        _ = try c.result("profile.erase", ["id": erased])
        #expect(try storedRows(s, profileID: erased) == 0)
        try expectNotFound(c, "profile.history", ["id": erased])
        // The other side of the move named the erased contact: the entry
        // stays (its seq and type), what it held does not.
        let kept = try history(c, keeper)
        try #require(kept.count == 2)
        expectChanges(kept[0], ["erased": true], "contact.attached")
        expectChanges(kept[1], ["erased": true], "profile.created")  // it attached the contact first
    }
}
