import Foundation
import Logging
import ProfilesServerKit
import ProfilesSQLite
import ProfilesStore
import ProfilesTestSupport
import Testing

/// Data that stays right: Unicode NFC, cursors bound to their query, a
/// feed a mirror can follow, one server per file (issue 11).
@Suite struct IdentityDataTests {
    /// Sends `line` as it is (JSON escapes keep NFD on the wire) and reads
    /// the answer.
    private func raw(_ c: LineClient, _ line: String) throws -> JSONObject {
        try c.sendLine(line)
        return try readAnswer(c)
    }

    @Test func precomposedAndDecomposedTextAreOneValue() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        // "jürgen" precomposed (U+00FC) and decomposed (u + U+0308).
        let nfc = try raw(c, #"{"id":1,"method":"contact.upsert","params":{"channel":"email","identifier":"j\u00fcrgen@example.de"}}"#)
        let nfd = try raw(c, #"{"id":2,"method":"contact.upsert","params":{"channel":"email","identifier":"ju\u0308rgen@example.de"}}"#)
        #expect(nfc["result"]["created"].bool == true)
        #expect(nfd["result"]["created"].bool == false, "the NFD address must find the NFC contact: \(nfd)")
        #expect(nfd["result"]["contact"]["id"].int == nfc["result"]["contact"]["id"].int)
        #expect(nfd["result"]["contact"]["identifier"].string == "j\u{00FC}rgen@example.de")

        // A name sent decomposed is stored composed and found by a
        // composed query, and the other way round.
        let profile = try raw(c, #"{"id":3,"method":"profile.create","params":{"name":"Zoe\u0308 Mu\u0308ller"}}"#)
        let name = try #require(profile["result"]["name"].string)
        #expect(Array(name.unicodeScalars) == Array("Zo\u{00EB} M\u{00FC}ller".unicodeScalars))
        let byNFC = try c.result("profile.list", ["query": "M\u{00FC}ller"])
        #expect(itemIDs(byNFC["items"].array) == [profile["result"]["id"].int!])
        let byNFD = try raw(c, #"{"id":4,"method":"profile.list","params":{"query":"mu\u0308ll"}}"#)
        #expect(itemIDs(byNFD["result"]["items"].array) == [profile["result"]["id"].int!])

        // Note bodies and field values too.
        let pid = profile["result"]["id"].int!
        let note = try raw(c, #"{"id":5,"method":"note.add","params":{"profile_id":\#(pid),"body":"Cafe\u0301"}}"#)
        #expect(Array(note["result"]["body"].string!.unicodeScalars) == Array("Caf\u{00E9}".unicodeScalars))
    }

    @Test func phoneNumbersAreStoredAsLibphonenumberWritesThem() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let cases: [(String, String?, String)] = [
            ("+49 (0) 151 23456703", nil, "+4915123456703"),
            ("+44 (0)20 7946 0958", nil, "+442079460958"),
            ("+31 (0)6 12345678", nil, "+31612345678"),
            ("+49\u{00A0}151\u{00A0}23456703", nil, "+4915123456703"),
            ("+49\u{2011}151\u{2011}23456703", nil, "+4915123456703"),
            ("+49 151/23456703", nil, "+4915123456703"),
            ("tel:+49-151-23456703", nil, "+4915123456703"),
            ("(+49) 151 23456703", nil, "+4915123456703"),
            ("\u{FF0B}\u{FF14}\u{FF19}\u{FF11}\u{FF15}\u{FF11}\u{FF12}\u{FF13}\u{FF14}\u{FF15}\u{FF16}\u{FF17}\u{FF10}\u{FF13}", nil, "+4915123456703"),
            ("0049 151 23456703", nil, "+4915123456703"),
            ("0151 23456703", "DE", "+4915123456703"),
            ("(650) 253-0000", "us", "+16502530000"),
            ("011 49 151 23456703", "US", "+4915123456703"),
        ]
        for (input, region, expected) in cases {
            var params: [String: Any] = ["channel": "sms", "identifier": input]
            params["region"] = region
            let contact = try c.result("contact.upsert", params)["contact"]
            #expect(contact["identifier"].string == expected, "\(input) with region \(region ?? "none")")
        }
        // A national number is refused without a region, not guessed.
        try expectInvalidParam(c, "contact.upsert", ["channel": "whatsapp", "identifier": "0151 23456703"], field: "identifier")
        try expectInvalidParam(c, "contact.upsert", ["channel": "whatsapp", "identifier": "0151 23456703", "region": "XX"], field: "region")
        try expectInvalidParam(c, "contact.upsert", ["channel": "email", "identifier": "a@example.com", "region": "Germany"], field: "region")
        try expectInvalidParam(c, "contact.upsert", ["channel": "voice", "identifier": "+1 650 253 0000 ext. 12"], field: "identifier")
        try expectInvalidParam(c, "contact.upsert", ["channel": "voice", "identifier": "+49 123"], field: "identifier")

        // A WhatsApp number typed with the trunk prefix and an SMS number
        // typed nationally are one person.
        let whatsapp = try #require(try c.result("contact.upsert", ["channel": "whatsapp", "identifier": "+49 (0) 151 23456703"])["contact"]["id"].int)
        let pid = try #require(try c.makeProfile("Zoe", ["contact_ids": [whatsapp]])["id"].int)
        let suggestions = try c.result("profile.suggestions", ["profile_id": pid])["items"].array
        #expect(suggestions.first?["contact"]["identifier"].string == "+4915123456703")

        // Phone fields take the region too.
        _ = try c.result("field.define", ["key": "mobile", "label": "Mobile", "type": "phone"])
        let profile = try c.result("profile.create", ["name": "Ben", "fields": ["mobile": "030 1234567"], "region": "DE"])
        #expect(profile["fields"]["mobile"].string == "+49301234567")
        try expectInvalidParam(c, "profile.update", ["id": profile["id"].int!, "fields": ["mobile": "030 1234568"]], field: "mobile")
    }

    @Test func bidiOverridesAreRefusedInNames() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        for control in ["\u{202E}", "\u{202A}", "\u{2066}", "\u{2069}"] {
            try expectInvalidParam(c, "profile.create", ["name": "Anna \(control)tset"], field: "name")
            try expectInvalidParam(c, "contact.upsert", ["channel": "chat", "identifier": "v-\(control)1"], field: "identifier")
        }
        // Right-to-left text itself needs no override and is kept.
        #expect(try c.result("profile.create", ["name": "\u{05D3}\u{05E0}\u{05D4} \u{05DC}\u{05D5}\u{05D9}"])["id"].int != nil)
    }

    @Test func aCursorSentWithOtherParamsIsRefused() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        for name in ["Eve", "Emil", "Otto", "Bob"] { _ = try c.makeProfile(name) }
        let cursor = try #require(try c.result("profile.list", ["query": "e", "limit": 1])["next_cursor"].string)
        // The same params page on.
        #expect(try c.result("profile.list", ["query": "e", "limit": 1, "cursor": cursor])["items"].array.count == 1)
        for other: [String: Any] in [[:], ["query": "o"], ["query": "e", "sort": "recent"]] {
            let error = try c.error("profile.list", other.merging(["cursor": cursor, "limit": 1]) { a, _ in a })
            expectRPCError(error, -32602, field: "cursor")
        }

        _ = try c.makeContact("chat", "a")
        _ = try c.makeContact("chat", "b")
        let contactCursor = try #require(try c.result("contact.list", ["limit": 1, "channel": "chat"])["next_cursor"].string)
        try expectInvalidParam(c, "contact.list", ["limit": 1, "cursor": contactCursor], field: "cursor")
        try expectInvalidParam(c, "contact.list", ["limit": 1, "channel": "email", "cursor": contactCursor], field: "cursor")
        #expect(try c.result("contact.list", ["limit": 1, "channel": "chat", "cursor": contactCursor])["items"].array.count == 1)

        let pid = try #require(try c.makeProfile("Notes")["id"].int)
        let other = try #require(try c.makeProfile("Other")["id"].int)
        for body in ["1", "2"] { _ = try c.result("note.add", ["profile_id": pid, "body": body]) }
        _ = try c.result("note.add", ["profile_id": other, "body": "x"])
        let noteCursor = try #require(try c.result("note.list", ["profile_id": pid, "limit": 1])["next_cursor"].string)
        try expectInvalidParam(c, "note.list", ["profile_id": other, "cursor": noteCursor], field: "cursor")
    }

    @Test func eventsNameTheProfilesAndVersionsTheyChanged() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        _ = try c.result("field.define", ["key": "tier", "label": "Tier", "type": "text"])
        let a = try #require(try c.makeProfile("A", ["fields": ["tier": "gold"]])["id"].int)
        let b = try #require(try c.makeProfile("B", ["fields": ["tier": "silver"]])["id"].int)
        let contact = try #require(try c.makeContact("email", "a@example.com")["id"].int)
        _ = try c.result("profile.attach_contact", ["profile_id": b, "contact_id": contact])
        let note = try #require(try c.result("note.add", ["profile_id": b, "body": "hi"])["id"].int)
        let merge = try c.result("profile.merge", ["into": a, "from": b])
        #expect(merge["moved_contact_ids"].array.compactMap(\.int) == [contact])
        #expect(merge["moved_note_ids"].array.compactMap(\.int) == [note])
        let deleted = try c.result("contact.delete", ["id": contact])
        #expect(deleted["profile_id"].int == a)
        _ = try c.result("field.delete", ["key": "tier"])

        let events = try c.result("events.read", ["limit": 500])["events"].array
        func profiles(_ type: String) -> [[[Int]]] {
            events.filter { $0["type"].string == type }.map { event in
                event["data"]["profiles"].array.map { [$0["id"].int ?? -1, $0["version"].int ?? -1] }
            }
        }
        let version = try #require(try c.profileVersion(a))
        // The merge bumped A; the deleted B is not listed.
        #expect(profiles("profile.merged").count == 1)
        #expect(profiles("profile.merged").first?.map { $0[0] } == [a])
        #expect(profiles("note.added") == [[[b, 3]]])
        #expect(profiles("contact.deleted").first?.map { $0[0] } == [a])
        // field.delete cleared A's value (B's went with the merge): A is
        // listed with the version it has now.
        #expect(profiles("field.deleted") == [[[a, version]]])
        #expect(profiles("field.defined") == [[]])
    }

    @Test func readingWithoutAfterStartsAtTheOldestKept() throws {
        let s = try TestServer { $0.eventsRetention = 1 }
        defer { s.stop() }
        let c = try s.client()
        _ = try c.makeProfile("old")
        #expect(try eventually(timeout: 10) {
            try c.call("events.read", ["after": 0])["error"]["data"]["reason"].string == "events_pruned"
        })
        // Without `after`, a new consumer is not refused.
        let empty = try c.result("events.read")
        #expect(empty["events"].array.isEmpty)
        #expect(empty["last_seq"].int == 1)
        #expect(empty["first_seq"].isNull)
        _ = try c.makeProfile("new")
        let page = try c.result("events.read")
        #expect(page["events"].array.map { $0["seq"].int } == [2])
        #expect(page["first_seq"].int == 2)
        #expect(page["head_seq"].int == 2)
    }

    @Test func aSeqBeyondTheNewestIsRefused() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        _ = try c.makeProfile("one")
        _ = try c.makeProfile("two")
        try expectInvalidParam(c, "events.read", ["after": 3], field: "after")
        try expectInvalidParam(c, "events.subscribe", ["after": 500], field: "after")
        #expect(try c.result("events.read", ["after": 2])["events"].array.isEmpty)
        #expect(try c.result("events.subscribe", ["after": 2])["subscribed"].bool == true)
    }

    @Test(.sqliteOnly) func aSecondServerOnTheSameFileIsRefused() throws {
        let s = try TestServer(); defer { s.stop() }
        var config = s.server.configuration
        config.port = 0
        do {
            _ = try ProfilesServer(configuration: config, logger: .init(label: "second"))
            Issue.record("a second server opened \(config.databasePath)")
        } catch let error as DatabaseLockError {
            #expect("\(error)" == "database \(URL(fileURLWithPath: config.databasePath).resolvingSymlinksInPath().path) is in use by another profiles-server (pid \(getpid()))")
        }
        // The first one goes on serving.
        #expect(try s.client().result("ping").string == "pong")
    }
}
