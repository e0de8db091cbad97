import Foundation
import ProfilesTestSupport
import Testing

/// `profile.create {contacts}`: contacts named by channel and identifier,
/// found or created as contact.upsert does and attached in the profile's
/// own transaction (what `profiles-cli import` sends for a row).
@Suite struct ProfileCreateContactsTests {
    @Test func createsNewContactsAndAttachesExistingOnesInOneCall() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let existing = try c.makeContact("email", "anna@example.com", name: "Anna")
        let existingID = try #require(existing["id"].int)

        let profile = try c.result("profile.create", [
            "name": "Anna Schmidt",
            "contacts": [["channel": "email", "identifier": "  ANNA@example.com "],
                         ["channel": "whatsapp", "identifier": "0151 23456789", "name": "Anna S."],
                         ["channel": "telegram", "identifier": "anna_s"]],
            "region": "DE",
        ])
        let id = try #require(profile["id"].int)
        #expect(profile["contact_count"].int == 3)
        #expect(profile["version"].int == 1)

        let detail = try c.result("profile.get", ["id": id, "include": ["contacts"]])
        let contacts = detail["contacts"].array
        #expect(contacts.map { $0["identifier"].string ?? "" }.sorted() == ["+4915123456789", "anna@example.com", "anna_s"])
        // The existing e-mail contact is attached, not duplicated.
        #expect(contacts.first { $0["channel"].string == "email" }?["id"].int == existingID)
        #expect(contacts.first { $0["channel"].string == "whatsapp" }?["name"].string == "Anna S.")
        #expect(contacts.allSatisfy { $0["profile_id"].int == id })
        #expect(try c.result("stats")["entities"]["contacts"].int == 3)
        // Found by its new contacts' identifiers, as any profile is.
        #expect(try c.result("profile.list", ["query": "anna_s"])["items"].array.map { $0["id"].int } == [id])
    }

    @Test func aContactOfAnotherProfileIsAConflictNamingTheItemUnlessMove() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let first = try c.makeProfile("First", ["contacts": [["channel": "sms", "identifier": "+4915123456789"]]])
        let firstID = try #require(first["id"].int)

        let refused = try c.call("profile.create", [
            "name": "Second",
            "contacts": [["channel": "email", "identifier": "new@example.com"], ["channel": "sms", "identifier": "+49 151 23456789"]],
        ])
        expectError(refused, code: -32009, type: "conflict")
        #expect(refused["error"]["data"]["reason"].string == "contact_in_other_profile")
        #expect(refused["error"]["data"]["field"].string == "contacts[1]")
        #expect(refused["error"]["data"]["profile_id"].int == firstID)
        #expect(refused["error"]["message"].string?.hasPrefix("contacts[1]: contact 1 (sms +4915123456789) belongs to profile") == true,
                "\(refused)")
        // Whole or not at all: no profile, and not the new e-mail contact either.
        let counts = try c.result("stats")["entities"]
        #expect(counts["profiles"].int == 1)
        #expect(counts["contacts"].int == 1)

        let moved = try c.result("profile.create", [
            "name": "Second", "move": true, "contacts": [["channel": "sms", "identifier": "+4915123456789"]],
        ])
        #expect(moved["contact_count"].int == 1)
        let left = try c.result("profile.get", ["id": firstID])
        #expect(left["contact_count"].int == 0)
        #expect(left["version"].int == 2)
    }

    @Test func invalidItemsAreNamedByTheirPlace() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let cases: [([[String: Any]], String)] = [
            ([["channel": "email", "identifier": "a@example.com"], ["channel": "email", "identifier": "not-an-address"]],
             "contacts[1].identifier"),
            ([["channel": "pager", "identifier": "x"]], "contacts[0].channel"),
            ([["channel": "chat"]], "contacts[0].identifier"),
            ([["channel": "chat", "identifier": "x", "name": ""]], "contacts[0].name"),
            ([["channel": "chat", "identifier": "x", "nick": "y"]], "contacts[0].nick"),
            ([["channel": "sms", "identifier": "0151 23456789"]], "contacts[0].identifier"),
            // The same contact twice, however it is typed.
            ([["channel": "email", "identifier": "b@example.com"], ["channel": "email", "identifier": "B@Example.com"]],
             "contacts[1].identifier"),
        ]
        for (contacts, field) in cases {
            let answer = try c.call("profile.create", ["name": "X", "contacts": contacts])
            expectError(answer, code: -32602, type: "invalid_params")
            #expect(answer["error"]["data"]["field"].string == field, "\(contacts): \(answer)")
        }
        let notArray = try c.call("profile.create", ["name": "X", "contacts": ["chat:x"]])
        #expect(notArray["error"]["data"]["field"].string == "contacts[0]")
        let tooMany = try c.call("profile.create", ["name": "X", "contacts": (0...500).map { ["channel": "chat", "identifier": "c\($0)"] }])
        #expect(tooMany["error"]["data"]["field"].string == "contacts")
        #expect(try c.result("stats")["entities"]["profiles"].int == 0)
        #expect(try c.result("stats")["entities"]["contacts"].int == 0)
    }

    @Test func aReplayWithTheSameKeyWritesNothing() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let params: [String: Any] = ["name": "Rita", "contacts": [["channel": "email", "identifier": "rita@example.com"]],
                                     "idempotency_key": "csv:abc:2"]
        let first = try c.result("profile.create", params)
        let again = try c.result("profile.create", params)
        #expect(again["id"].int == first["id"].int)
        #expect(again["created_at"].string == first["created_at"].string)
        let counts = try c.result("stats")["entities"]
        #expect(counts["profiles"].int == 1)
        #expect(counts["contacts"].int == 1)
    }
}
