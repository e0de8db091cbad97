import Foundation
import ProfilesTestSupport
import Testing

/// profile.merge with and without dry_run (SPEC §8).
@Suite struct MergeTests {
    /// Two profiles of one person: contacts, notes and fields on both,
    /// one field on both with different values.
    private func twoProfiles(_ c: LineClient) throws -> (into: Int, from: Int, contacts: [Int]) {
        _ = try c.result("field.define", ["key": "tier", "label": "Tier", "type": "select", "options": ["gold", "silver"]])
        _ = try c.result("field.define", ["key": "city", "label": "City", "type": "text"])
        _ = try c.result("field.define", ["key": "vip", "label": "VIP", "type": "boolean"])
        let wa = try #require(try c.makeContact("whatsapp", "+4915111111111")["id"].int)
        let mail = try #require(try c.makeContact("email", "pe@example.com")["id"].int)
        let sms = try #require(try c.makeContact("sms", "+4915111111111")["id"].int)
        let into = try #require(try c.makeProfile("Peter", ["contact_ids": [wa], "fields": ["tier": "gold", "vip": true]])["id"].int)
        let from = try #require(try c.makeProfile("P. Meier", ["contact_ids": [mail, sms], "fields": ["tier": "silver", "city": "Bern", "vip": true]])["id"].int)
        _ = try c.result("note.add", ["profile_id": from, "body": "called twice"])
        _ = try c.result("note.add", ["profile_id": into, "body": "prefers WhatsApp"])
        return (into, from, [wa, mail, sms])
    }

    @Test func dryRunReportsTheMergeAndChangesNothing() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let (into, from, _) = try twoProfiles(c)
        let beforeInto = try c.result("profile.get", ["id": into, "include": ["contacts", "notes"]])
        let beforeFrom = try c.result("profile.get", ["id": from, "include": ["contacts", "notes"]])
        let lastSeq = try c.result("events.read", ["after": 0, "limit": 500])["last_seq"].int

        let dry = try c.result("profile.merge", ["into": into, "from": from, "dry_run": true])
        #expect(dry["dry_run"].bool == true)
        #expect(dry["moved_contacts"].int == 2)
        #expect(dry["moved_notes"].int == 1)
        #expect(dry["copied_fields"].array.compactMap(\.string) == ["city"])
        let conflicts = dry["conflicts"].array
        #expect(conflicts.count == 1)
        #expect(conflicts.first?["key"].string == "tier")
        #expect(conflicts.first?["kept"].string == "gold")
        #expect(conflicts.first?["dropped"].string == "silver")
        #expect(dry["profile"]["contact_count"].int == 3)
        #expect(dry["profile"]["fields"]["city"].string == "Bern")

        // Nothing changed: both profiles as before, and no event.
        #expect(try c.result("profile.get", ["id": into, "include": ["contacts", "notes"]]).canonical == beforeInto.canonical)
        #expect(try c.result("profile.get", ["id": from, "include": ["contacts", "notes"]]).canonical == beforeFrom.canonical)
        #expect(try c.result("events.read", ["after": 0, "limit": 500])["last_seq"].int == lastSeq)

        // The merge then does exactly what the dry run said.
        let merged = try c.result("profile.merge", ["into": into, "from": from])
        #expect(merged["dry_run"].bool == false)
        for key in ["moved_contacts", "moved_notes", "copied_fields", "conflicts", "into", "from"] {
            #expect(merged[key].canonical == dry[key].canonical, "\(key)")
        }
        #expect(merged["profile"]["fields"].canonical == dry["profile"]["fields"].canonical)
        #expect(merged["profile"]["version"].int == dry["profile"]["version"].int)
    }

    @Test func mergeMovesEverythingAndDeletesFrom() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let (into, from, contacts) = try twoProfiles(c)
        let version = try #require(try c.profileVersion(into))
        let merged = try c.result("profile.merge", ["into": into, "from": from])
        #expect(merged["profile"]["version"].int == version + 1)
        let profile = try c.result("profile.get", ["id": into, "include": ["contacts", "notes"]])
        #expect(Set(itemIDs(profile["contacts"].array)) == Set(contacts))
        #expect(profile["contact_count"].int == 3)
        #expect(profile["notes"].array.count == 2)
        #expect(profile["fields"]["tier"].string == "gold")
        #expect(profile["fields"]["city"].string == "Bern")
        #expect(profile["fields"]["vip"].bool == true)
        try expectNotFound(c, "profile.get", ["id": from])
        // Search finds the moved contacts under the remaining profile.
        let found = try c.result("profile.list", ["query": "pe@example"])["items"].array
        #expect(itemIDs(found) == [into])
        let event = try c.result("events.read", ["after": 0, "limit": 500])["events"].array.last
        #expect(event?["type"].string == "profile.merged")
        #expect(event?["id"].int == into)
    }

    @Test func badMergesAreRefused() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let (into, from, _) = try twoProfiles(c)
        try expectInvalidParam(c, "profile.merge", ["into": into, "from": into], field: "from")
        try expectInvalidParam(c, "profile.merge", ["into": into], field: "from")
        try expectInvalidParam(c, "profile.merge", ["into": into, "from": from, "dry_run": "yes"], field: "dry_run")
        try expectNotFound(c, "profile.merge", ["into": into, "from": from + 100])
        // A profile of another workspace is not found, and nothing moved.
        let other = try #require(try c.result("profile.create", ["name": "Elsewhere", "workspace": "other"])["id"].int)
        try expectNotFound(c, "profile.merge", ["into": into, "from": other])
        #expect(try c.result("profile.get", ["id": from])["contact_count"].int == 2)
    }
}
