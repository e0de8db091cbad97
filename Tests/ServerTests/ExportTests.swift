import Foundation
import ProfilesTestSupport
import Testing

/// profile.export: everything stored about one profile (SPEC §8).
@Suite struct ExportTests {
    @Test func exportHoldsEverythingAboutTheProfile() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        _ = try c.result("field.define", ["key": "tier", "label": "Tier", "type": "select", "options": ["gold", "silver"]])
        _ = try c.result("field.define", ["key": "unused", "label": "Unused", "type": "text"])
        let wa = try #require(try c.makeContact("whatsapp", "+4915133334444", name: "Mo")["id"].int)
        let mail = try #require(try c.makeContact("email", "mo@example.com")["id"].int)
        let pid = try #require(try c.makeProfile("Mo Kaya", ["contact_ids": [wa, mail], "fields": ["tier": "gold"]])["id"].int)
        for i in 0..<60 { _ = try c.result("note.add", ["profile_id": pid, "body": "note \(i)"]) }
        for i in 0..<55 { _ = try c.result("moment.create", ["contact_id": i % 2 == 0 ? wa : mail, "subject": "chat \(i)"]) }
        // Someone else's data must not leak into the export.
        let other = try #require(try c.makeProfile("Other")["id"].int)
        _ = try c.result("note.add", ["profile_id": other, "body": "not Mo's"])

        let export = try c.result("profile.export", ["id": pid])
        #expect(export["format"].string == "profiles.export/1")
        #expect(isRFC3339Millis(export["exported_at"].string))
        #expect(export["workspace"].string == "default")
        #expect(export["profile"]["id"].int == pid)
        #expect(export["profile"]["name"].string == "Mo Kaya")
        let fields = export["fields"].array
        #expect(fields.count == 1)
        #expect(fields.first?["definition"]["key"].string == "tier")
        #expect(fields.first?["definition"]["options"].array.count == 2)
        #expect(fields.first?["value"].string == "gold")
        #expect(itemIDs(export["contacts"].array) == [mail, wa])  // by channel: email before whatsapp
        #expect(export["contacts"][1]["name"].string == "Mo")
        let notes = export["notes"].array
        #expect(notes.count == 60)  // all of them, not the 50 of profile.get
        #expect(notes.first?["body"].string == "note 59")
        #expect(!notes.contains { $0["body"].string == "not Mo's" })
        #expect(export["moments"].array.count == 55)
        try expectNotFound(c, "profile.export", ["id": pid + 100])
        try expectNotFound(c, "profile.export", ["id": pid, "workspace": "other"])
    }
}
