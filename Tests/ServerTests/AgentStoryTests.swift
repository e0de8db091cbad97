import Foundation
import ProfilesTestSupport
import Testing

/// SPEC §1 as one story: a customer writes on WhatsApp and on Facebook; an
/// agent groups both contacts into one profile, fills in custom fields,
/// keeps notes, sees every conversation in one list, takes a contact out
/// again, and finally deletes the profile.
@Suite struct AgentStoryTests {
    @Test func fullAgentStory() throws {
        let s = try TestServer(); defer { s.stop() }
        let agent = try s.client()
        let inbox = try s.client()  // the channel integrations

        // 1. Two conversations arrive on two channels: two contacts, two moments.
        let wa = try inbox.result("contact.upsert", ["channel": "whatsapp", "identifier": "0049 151 2345 6789", "name": "Maria"])
        #expect(wa["created"].bool == true)
        let waID = try #require(wa["contact"]["id"].int)
        #expect(wa["contact"]["identifier"].string == "+4915123456789")
        let fb = try inbox.result("contact.upsert", ["channel": "facebook", "identifier": "psid-88231", "name": "Maria K."])
        let fbID = try #require(fb["contact"]["id"].int)
        let waTicket = try #require(try inbox.result("moment.create", [
            "contact_id": waID, "ticket_id": "T-1001", "subject": "Where is my order?", "started_at": "2026-03-01T09:00:00.000Z",
        ])["id"].int)
        let fbTicket = try #require(try inbox.result("moment.create", [
            "contact_id": fbID, "ticket_id": "T-1002", "subject": "Invoice", "started_at": "2026-03-02T14:30:00.000Z",
        ])["id"].int)
        // The same WhatsApp number writes again: still the same contact.
        let again = try inbox.result("contact.upsert", ["channel": "whatsapp", "identifier": "+49 151 23456789"])
        #expect(again["created"].bool == false && again["contact"]["id"].int == waID)

        // 2. The workspace has custom profile fields.
        _ = try agent.result("field.define", ["key": "customer_no", "label": "Customer number", "type": "text", "required": true])
        _ = try agent.result("field.define", ["key": "tier", "label": "Tier", "type": "select", "options": ["standard", "gold"]])
        _ = try agent.result("field.define", ["key": "birthday", "label": "Birthday", "type": "date"])

        // 3. From the WhatsApp conversation: create a profile with that contact.
        let created = try agent.result("profile.create", [
            "name": "Maria Keller", "contact_ids": [waID], "fields": ["customer_no": "K-4711", "tier": "standard"],
        ])
        let pid = try #require(created["id"].int)
        #expect(created["version"].int == 1)
        #expect(created["contact_count"].int == 1)

        // 4. From the Facebook conversation: find the profile and attach.
        let byPhone = try agent.result("profile.list", ["query": "151 2345"])
        #expect(itemIDs(byPhone["items"].array) == [pid])
        let byName = try agent.result("profile.list", ["query": "keller"])
        #expect(itemIDs(byName["items"].array) == [pid])
        let attached = try agent.result("profile.attach_contact", ["profile_id": pid, "contact_id": fbID])
        #expect(attached["contact_count"].int == 2)
        #expect(attached["version"].int == 2)

        // 5. Edit: name, fields, notes.
        let edited = try agent.result("profile.update", [
            "id": pid, "name": "Maria Keller-Schmidt", "fields": ["tier": "gold", "birthday": "1988-02-29"], "expected_version": 2,
        ])
        #expect(edited["version"].int == 3)
        #expect(edited["fields"]["tier"].string == "gold")
        #expect(edited["fields"]["customer_no"].string == "K-4711")
        let badDate = try agent.error("profile.update", ["id": pid, "fields": ["birthday": "1989-02-29"]])
        expectRPCError(badDate, -32602, field: "birthday")
        let note1 = try #require(try agent.result("note.add", ["profile_id": pid, "body": "Prefers WhatsApp.", "author": "Tom"])["id"].int)
        let note2 = try #require(try agent.result("note.add", ["profile_id": pid, "body": "Gold since March.", "author": "Tom"])["id"].int)
        _ = try agent.result("note.update", ["id": note1, "body": "Prefers WhatsApp, mornings."])
        #expect(try agent.profileVersion(pid) == 6)

        // 6. "+" on the Facebook contact: a new conversation from the profile.
        let outbound = try #require(try agent.result("moment.create", [
            "contact_id": fbID, "ticket_id": "T-1003", "subject": "Your gold membership", "started_at": "2026-03-03T08:00:00.000Z",
        ])["id"].int)
        _ = try agent.result("moment.update", ["id": waTicket, "status": "closed", "last_activity_at": "2026-03-01T10:00:00.000Z"])

        // 7. Everything in one place: contacts by channel, notes and moments newest first.
        let detail = try agent.result("profile.get", ["id": pid, "include": ["contacts", "notes", "moments"]])
        #expect(detail["name"].string == "Maria Keller-Schmidt")
        #expect(detail["contacts"].array.map { $0["channel"].string ?? "" } == ["facebook", "whatsapp"])
        #expect(itemIDs(detail["notes"].array) == [note2, note1])
        #expect(detail["notes"][1]["body"].string == "Prefers WhatsApp, mornings.")
        #expect(itemIDs(detail["moments"].array) == [outbound, fbTicket, waTicket])
        #expect(detail["moments"][2]["status"].string == "closed")
        let open = try agent.result("moment.list", ["profile_id": pid, "status": "open"])
        #expect(itemIDs(open["items"].array) == [outbound, fbTicket])

        // 8. "x" on the WhatsApp contact: it leaves the profile with its moment.
        let detached = try agent.result("profile.detach_contact", ["profile_id": pid, "contact_id": waID])
        #expect(detached["detached"].bool == true)
        let afterDetach = try agent.result("profile.get", ["id": pid, "include": ["contacts", "moments"]])
        #expect(itemIDs(afterDetach["contacts"].array) == [fbID])
        #expect(itemIDs(afterDetach["moments"].array) == [outbound, fbTicket])
        #expect(afterDetach["version"].int == 7)
        #expect(try agent.result("profile.list", ["query": "151 2345"])["items"].array.isEmpty)
        #expect(itemIDs(try agent.result("moment.list", ["contact_id": waID])["items"].array) == [waTicket])

        // A stale editor is told the current version.
        let stale = try agent.error("profile.delete", ["id": pid, "expected_version": 6])
        expectRPCError(stale, -32009, reason: "version_mismatch")
        #expect(stale["data"]["current_version"].int == 7)

        // 9. Delete permanently: contacts stay (unassigned), with their moments.
        let deleted = try agent.result("profile.delete", ["id": pid, "expected_version": 7])
        #expect(deleted["deleted"].bool == true)
        #expect(deleted["detached_contacts"].int == 1)
        #expect(deleted["deleted_notes"].int == 2)
        try expectNotFound(agent, "profile.get", ["id": pid])
        let unassigned = try agent.result("contact.list", ["unassigned": true])
        #expect(itemIDs(unassigned["items"].array) == [waID, fbID])
        #expect(itemIDs(try agent.result("moment.list", ["contact_id": fbID])["items"].array) == [outbound, fbTicket])
        #expect(try agent.result("profile.list", [:])["items"].array.isEmpty)
        // The contacts can start a new profile.
        let fresh = try agent.result("profile.create", ["name": "Maria", "contact_ids": [waID, fbID], "fields": ["customer_no": "K-4711"]])
        #expect(fresh["contact_count"].int == 2)
    }
}
