import Foundation
import ProfilesTestSupport
import Testing

/// profile.suggestions: the same phone number or e-mail across channels
/// and fields (SPEC §8).
@Suite struct SuggestionTests {
    @Test func findsProfilesAndUnassignedContactsAcrossChannelsAndFields() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        _ = try c.result("field.define", ["key": "mobile", "label": "Mobile", "type": "phone"])
        _ = try c.result("field.define", ["key": "private_mail", "label": "Private mail", "type": "email"])
        let wa = try #require(try c.makeContact("whatsapp", "+49 151 2222 3333")["id"].int)
        let mail = try #require(try c.makeContact("email", "Lea@Example.com")["id"].int)
        let subject = try #require(try c.makeProfile("Lea", ["contact_ids": [wa, mail]])["id"].int)

        // Same number by SMS (another profile), by voice (unassigned), in a
        // phone field; same e-mail in an email field; and a stranger.
        let sms = try #require(try c.makeContact("sms", "0049-151-22223333")["id"].int)
        let bySMS = try #require(try c.makeProfile("L. Braun", ["contact_ids": [sms]])["id"].int)
        let voice = try #require(try c.makeContact("voice", "+4915122223333")["id"].int)
        let byBoth = try #require(try c.makeProfile("Lea B.", ["fields": ["mobile": "+49 (151) 2222 3333", "private_mail": "lea@example.com"]])["id"].int)
        let strangerContact = try #require(try c.makeContact("sms", "+4915199999999")["id"].int)
        _ = try c.makeProfile("Stranger", ["contact_ids": [strangerContact], "fields": ["mobile": "+4915188888888"]])
        // The same number in another workspace is never suggested.
        _ = try c.result("contact.upsert", ["channel": "sms", "identifier": "+4915122223333", "workspace": "other"])

        let items = try c.result("profile.suggestions", ["profile_id": subject])["items"].array
        // Strongest first: two shared values beat one.
        #expect(items.first?["profile"]["id"].int == byBoth)
        let both = try #require(items.first)
        let kinds = both["reasons"].array.compactMap { $0["kind"].string }
        #expect(kinds == ["email", "phone"])
        #expect(both["reasons"][0]["value"].string == "lea@example.com")
        #expect(both["reasons"][0]["matched"][0]["field"].string == "private_mail")
        #expect(both["reasons"][0]["subject"][0]["contact_id"].int == mail)
        #expect(both["reasons"][1]["value"].string == "+4915122223333")
        #expect(both["reasons"][1]["subject"][0]["channel"].string == "whatsapp")

        let profiles = items.compactMap { $0["profile"]["id"].int }
        let contacts = items.compactMap { $0["contact"]["id"].int }
        #expect(Set(profiles) == [byBoth, bySMS])
        #expect(contacts == [voice])
        let smsReason = try #require(items.first { $0["profile"]["id"].int == bySMS })["reasons"][0]
        #expect(smsReason["matched"][0]["contact_id"].int == sms)
        #expect(smsReason["matched"][0]["channel"].string == "sms")
        #expect(!profiles.contains(subject))

        // From the unassigned voice contact: the subject (via WhatsApp), the
        // SMS profile and the profile with the phone field.
        let fromContact = try c.result("profile.suggestions", ["contact_id": voice])["items"].array
        #expect(Set(fromContact.compactMap { $0["profile"]["id"].int }) == [subject, bySMS, byBoth])
        #expect(fromContact.allSatisfy { !$0["contact"].exists || $0["contact"]["id"].int != voice })
    }

    @Test func paramsAreChecked() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let pid = try #require(try c.makeProfile("Solo")["id"].int)
        #expect(try c.result("profile.suggestions", ["profile_id": pid])["items"].array.isEmpty)
        try expectInvalidParam(c, "profile.suggestions", [:], field: "profile_id")
        try expectInvalidParam(c, "profile.suggestions", ["profile_id": pid, "contact_id": 1], field: "contact_id")
        try expectInvalidParam(c, "profile.suggestions", ["profile_id": "1"], field: "profile_id")
        try expectNotFound(c, "profile.suggestions", ["profile_id": pid + 1])
        try expectNotFound(c, "profile.suggestions", ["contact_id": 99])
    }
}
