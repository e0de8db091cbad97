import Foundation
import ProfilesTestSupport
import Testing

/// contact.upsert / get / update / delete / list, end to end over TCP.
@Suite struct ContactTests {
    @Test func upsertCreatesThenIsIdempotentOnNormalizedIdentifier() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()

        let first = try c.result("contact.upsert", ["channel": "whatsapp", "identifier": "+49 151 1234-5678"])
        #expect(first["created"].bool == true)
        let contact = first["contact"]
        let id = try #require(contact["id"].int)
        #expect(id > 0)
        #expect(contact["channel"].string == "whatsapp")
        #expect(contact["identifier"].string == "+4915112345678")
        #expect(contact["name"].isNull)
        #expect(contact["profile_id"].isNull)
        #expect(isRFC3339Millis(contact["created_at"].string))

        // The same number typed differently is the same contact.
        for typed in ["0049 (151) 12.34.56.78", "+4915112345678", "  +49-151-12345678 ", "0049151 123 456 78"] {
            let again = try c.result("contact.upsert", ["channel": "whatsapp", "identifier": typed])
            #expect(again["created"].bool == false, "\(typed)")
            #expect(again["contact"]["id"].int == id, "\(typed)")
            #expect(again["contact"]["identifier"].string == "+4915112345678")
        }

        // Another channel with the same number is another contact.
        let sms = try c.result("contact.upsert", ["channel": "sms", "identifier": "+4915112345678"])
        #expect(sms["created"].bool == true)
        #expect(sms["contact"]["id"].int != id)
    }

    @Test func phoneChannelsNormalizeToE164() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        for channel in ["whatsapp", "sms", "voice"] {
            let cases: [(String, String)] = [
                ("+1 (415) 555-0100", "+14155550100"),
                ("001.415.555.0100", "+14155550100"),
                ("0044 20 7946 0958", "+442079460958"),
                ("+44-20-7946-0958", "+442079460958"),
            ]
            for (typed, e164) in cases {
                let contact = try c.makeContact(channel, typed)
                #expect(contact["identifier"].string == e164, "\(channel) \(typed)")
            }
            let list = try c.result("contact.list", ["channel": channel])
            #expect(list["items"].array.count == 2, "\(channel): 4 spellings of 2 numbers")
        }
    }

    @Test func emailIsTrimmedAndLowerCased() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let first = try c.result("contact.upsert", ["channel": "email", "identifier": "  Ann.Lee@Example.COM \t"])
        #expect(first["created"].bool == true)
        #expect(first["contact"]["identifier"].string == "ann.lee@example.com")
        let second = try c.result("contact.upsert", ["channel": "email", "identifier": "ANN.LEE@EXAMPLE.COM"])
        #expect(second["created"].bool == false)
        #expect(second["contact"]["id"].int == first["contact"]["id"].int)
    }

    @Test func otherChannelsAreTrimmedOpaqueStrings() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        for channel in ["facebook", "instagram", "telegram", "chat", "custom"] {
            let a = try c.result("contact.upsert", ["channel": channel, "identifier": "  PSID-12.34 (x)  "])
            #expect(a["created"].bool == true)
            #expect(a["contact"]["identifier"].string == "PSID-12.34 (x)", "opaque: only trimmed")
            // Case matters for opaque identifiers: another contact.
            let b = try c.result("contact.upsert", ["channel": channel, "identifier": "psid-12.34 (x)"])
            #expect(b["created"].bool == true)
            let again = try c.result("contact.upsert", ["channel": channel, "identifier": "PSID-12.34 (x)"])
            #expect(again["created"].bool == false)
            #expect(again["contact"]["id"].int == a["contact"]["id"].int)
        }
        let long = String(repeating: "x", count: 255)
        #expect(try c.makeContact("facebook", long)["identifier"].string == long)
    }

    @Test func upsertRejectsInvalidInput() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let badIdentifiers: [(String, String)] = [
            ("whatsapp", "+49 151 CALL-ME"), ("whatsapp", "4915112345678"), ("whatsapp", "+0151123456"),
            ("whatsapp", "+12345"), ("sms", "+1234567890123456"), ("voice", ""), ("sms", "+49 151 +1234567"),
            ("email", "not-an-email"), ("email", "a@b"), ("email", "a b@example.com"), ("email", "@example.com"),
            ("facebook", ""), ("facebook", "   "), ("instagram", String(repeating: "x", count: 256)),
            ("telegram", "abc\u{7}def"), ("chat", "line\nbreak"),
        ]
        for (channel, identifier) in badIdentifiers {
            try expectInvalidParam(c, "contact.upsert", ["channel": channel, "identifier": identifier], field: "identifier")
        }
        try expectInvalidParam(c, "contact.upsert", ["channel": "pigeon", "identifier": "x"], field: "channel")
        try expectInvalidParam(c, "contact.upsert", ["channel": "WhatsApp", "identifier": "+4915112345678"], field: "channel")
        try expectInvalidParam(c, "contact.upsert", ["identifier": "x"], field: "channel")
        try expectInvalidParam(c, "contact.upsert", ["channel": "chat"], field: "identifier")
        try expectInvalidParam(c, "contact.upsert", ["channel": "chat", "identifier": 42], field: "identifier")
        try expectInvalidParam(c, "contact.upsert", ["channel": "chat", "identifier": "x", "name": ""], field: "name")
        try expectInvalidParam(c, "contact.upsert", ["channel": "chat", "identifier": "x", "name": String(repeating: "n", count: 201)],
                               field: "name")
        try expectInvalidParam(c, "contact.upsert", ["channel": "chat", "identifier": "x", "name": 7], field: "name")
        // Nothing was written by the failures.
        #expect(try c.result("contact.list", [:])["items"].array.isEmpty)
    }

    @Test func upsertWithNameSetsAndRenames() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let named = try c.makeContact("facebook", "fb-1", name: "  Ann  ")
        #expect(named["name"].string == "Ann")
        let renamed = try c.result("contact.upsert", ["channel": "facebook", "identifier": "fb-1", "name": "Ann Lee"])
        #expect(renamed["created"].bool == false)
        #expect(renamed["contact"]["name"].string == "Ann Lee")
        // Without a name the existing one stays.
        let kept = try c.makeContact("facebook", "fb-1")
        #expect(kept["name"].string == "Ann Lee")
        let max = String(repeating: "n", count: 200)
        #expect(try c.makeContact("facebook", "fb-2", name: max)["name"].string == max)
    }

    @Test func getReturnsTheContactOrNotFound() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let made = try c.makeContact("email", "a@example.com", name: "A")
        let id = try #require(made["id"].int)
        let got = try c.result("contact.get", ["id": id])
        #expect(got["id"].int == id)
        #expect(got["identifier"].string == "a@example.com")
        #expect(got["name"].string == "A")
        #expect(got["created_at"].string == made["created_at"].string)
        try expectNotFound(c, "contact.get", ["id": id + 1000])
        try expectInvalidParam(c, "contact.get", [:], field: "id")
        try expectInvalidParam(c, "contact.get", ["id": "1"], field: "id")
        try expectInvalidParam(c, "contact.get", ["id": 0], field: "id")
    }

    @Test func updateSetsOrClearsTheName() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let id = try #require(try c.makeContact("chat", "visitor-1")["id"].int)
        let named = try c.result("contact.update", ["id": id, "name": "  Visitor One "])
        #expect(named["name"].string == "Visitor One")
        #expect(try c.result("contact.get", ["id": id])["name"].string == "Visitor One")
        let cleared = try c.result("contact.update", ["id": id, "name": NSNull()])
        #expect(cleared["name"].isNull)
        #expect(cleared["identifier"].string == "visitor-1")

        try expectInvalidParam(c, "contact.update", ["id": id], field: "name")
        try expectInvalidParam(c, "contact.update", ["id": id, "name": ""], field: "name")
        try expectInvalidParam(c, "contact.update", ["id": id, "name": 1], field: "name")
        try expectInvalidParam(c, "contact.update", ["name": "x"], field: "id")
        try expectNotFound(c, "contact.update", ["id": id + 1000, "name": "x"])
    }

    @Test func renamingAnAttachedContactBumpsItsProfile() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let contactID = try #require(try c.makeContact("chat", "v-1")["id"].int)
        let profileID = try #require(try c.makeProfile("Ann", ["contact_ids": [contactID]])["id"].int)
        #expect(try c.profileVersion(profileID) == 1)
        _ = try c.result("contact.update", ["id": contactID, "name": "Ann from chat"])
        #expect(try c.profileVersion(profileID) == 2)
        // The new contact name is searchable.
        let found = try c.result("profile.list", ["query": "from chat"])
        #expect(itemIDs(found["items"].array) == [profileID])
    }

    @Test func deleteRemovesTheContactAndItsMoments() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let contactID = try #require(try c.makeContact("whatsapp", "+4915112345678")["id"].int)
        let otherID = try #require(try c.makeContact("email", "x@example.com")["id"].int)
        let profileID = try #require(try c.makeProfile("Ann", ["contact_ids": [contactID, otherID]])["id"].int)
        var momentIDs: [Int] = []
        for ticket in ["T-1", "T-2", "T-3"] {
            momentIDs.append(try #require(try c.result("moment.create", ["contact_id": contactID, "ticket_id": ticket])["id"].int))
        }
        let kept = try #require(try c.result("moment.create", ["contact_id": otherID])["id"].int)

        let deleted = try c.result("contact.delete", ["id": contactID])
        #expect(deleted["id"].int == contactID)
        #expect(deleted["deleted"].bool == true)
        #expect(deleted["deleted_moments"].int == 3)

        try expectNotFound(c, "contact.get", ["id": contactID])
        for id in momentIDs { try expectNotFound(c, "moment.get", ["id": id]) }
        #expect(try c.result("moment.get", ["id": kept])["id"].int == kept)
        let profile = try c.result("profile.get", ["id": profileID, "include": ["contacts", "moments"]])
        #expect(profile["contact_count"].int == 1)
        #expect(profile["version"].int == 2, "losing a contact is a change to the profile")
        #expect(itemIDs(profile["contacts"].array) == [otherID])
        #expect(itemIDs(profile["moments"].array) == [kept])
        // The ticket ids are free again.
        _ = try c.result("moment.create", ["contact_id": otherID, "ticket_id": "T-1"])

        try expectNotFound(c, "contact.delete", ["id": contactID])
        let none = try c.result("contact.delete", ["id": otherID])
        #expect(none["deleted_moments"].int == 2)
    }

    @Test func listFiltersByChannelProfileUnassignedAndQuery() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let wa1 = try #require(try c.makeContact("whatsapp", "+4915111111111", name: "Ann")["id"].int)
        let fb1 = try #require(try c.makeContact("facebook", "fb-ann")["id"].int)
        let em1 = try #require(try c.makeContact("email", "carol@example.com")["id"].int)
        let wa2 = try #require(try c.makeContact("whatsapp", "+4915122222222", name: "Bobby Tables")["id"].int)
        let sms = try #require(try c.makeContact("sms", "+4930123456")["id"].int)
        let p1 = try #require(try c.makeProfile("Ann", ["contact_ids": [wa1, fb1]])["id"].int)
        let p2 = try #require(try c.makeProfile("Sam", ["contact_ids": [sms]])["id"].int)

        func ids(_ params: [String: Any]) throws -> [Int] { itemIDs(try c.result("contact.list", params)["items"].array) }
        #expect(try ids([:]) == [wa1, fb1, em1, wa2, sms])
        #expect(try ids(["channel": "whatsapp"]) == [wa1, wa2])
        #expect(try ids(["profile_id": p1]) == [wa1, fb1])
        #expect(try ids(["profile_id": p2]) == [sms])
        #expect(try ids(["unassigned": true]) == [em1, wa2])
        #expect(try ids(["unassigned": false]) == [wa1, fb1, em1, wa2, sms])
        #expect(try ids(["channel": "whatsapp", "unassigned": true]) == [wa2])
        #expect(try ids(["query": "BOBBY"]) == [wa2])
        #expect(try ids(["query": "example.com"]) == [em1])
        #expect(try ids(["query": "+49151"]) == [wa1, wa2])
        #expect(try ids(["query": "49 151"]) == [wa1, wa2])
        #expect(try ids(["query": "fb"]) == [fb1])
        #expect(try ids(["query": "zzz"]) == [])
        // An unknown profile (or one of another workspace) is not found.
        try expectNotFound(c, "contact.list", ["profile_id": 999_999])
        try expectNotFound(c, "contact.list", ["profile_id": p1, "workspace": "elsewhere"])
        // Case-insensitive beyond ASCII.
        let jurgen = try #require(try c.makeContact("chat", "visitor-ÄÖ", name: "Jürgen")["id"].int)
        #expect(try ids(["query": "JÜRG"]) == [jurgen])
        #expect(try ids(["query": "äö"]) == [jurgen])

        try expectInvalidParam(c, "contact.list", ["unassigned": true, "profile_id": p1], field: "unassigned")
        try expectInvalidParam(c, "contact.list", ["channel": "fax"], field: "channel")
        try expectInvalidParam(c, "contact.list", ["unassigned": "yes"], field: "unassigned")
        try expectInvalidParam(c, "contact.list", ["profile_id": -1], field: "profile_id")
        try expectInvalidParam(c, "contact.list", ["query": 5], field: "query")
        try expectInvalidParam(c, "contact.list", ["query": String(repeating: "q", count: 201)], field: "query")
    }

    @Test func listPagesWithCursor() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        var made: [Int] = []
        for i in 0..<7 { made.append(try #require(try c.makeContact("chat", "visitor-\(i)")["id"].int)) }
        let (items, pages) = try c.collectPages("contact.list", [:], limit: 3)
        #expect(pages == 3)
        #expect(itemIDs(items) == made)
        let exact = try c.collectPages("contact.list", [:], limit: 7)
        #expect(exact.pages == 1)
        let filtered = try c.collectPages("contact.list", ["query": "visitor-", "channel": "chat"], limit: 2)
        #expect(itemIDs(filtered.items) == made)

        try expectInvalidParam(c, "contact.list", ["cursor": "not a cursor"], field: "cursor")
        try expectInvalidParam(c, "contact.list", ["cursor": 3], field: "cursor")
        // A cursor of another list is not accepted.
        for i in 0..<3 { _ = try c.makeProfile("P\(i)") }
        let profileCursor = try #require(try c.result("profile.list", ["limit": 1])["next_cursor"].string)
        try expectInvalidParam(c, "contact.list", ["cursor": profileCursor], field: "cursor")
        for limit in [0, 501, -3] { try expectInvalidParam(c, "contact.list", ["limit": limit], field: "limit") }
    }
}
