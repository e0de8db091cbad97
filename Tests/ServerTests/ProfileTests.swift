import Foundation
import ProfilesTestSupport
import Testing

/// profile.create / get / update / delete / attach_contact / detach_contact,
/// and the version rule of SPEC §6, end to end over TCP.
@Suite struct ProfileTests {
    @Test func createReturnsAFreshProfile() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let p = try c.makeProfile("  Ann Lee \n")
        #expect((p["id"].int ?? 0) > 0)
        #expect(p["name"].string == "Ann Lee")
        #expect(p["fields"].object?.isEmpty == true)
        #expect(p["contact_count"].int == 0)
        #expect(p["version"].int == 1)
        #expect(isRFC3339Millis(p["created_at"].string))
        #expect(p["updated_at"].string == p["created_at"].string)
        let got = try c.result("profile.get", ["id": p["id"].int!])
        #expect(got["name"].string == "Ann Lee")
        #expect(got["version"].int == 1)
        #expect(!got["contacts"].exists && !got["notes"].exists && !got["moments"].exists, "nothing included unless asked")

        let longest = String(repeating: "é", count: 200)
        #expect(try c.makeProfile(longest)["name"].string == longest)
    }

    @Test func createRejectsBadNames() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let bad: [Any] = ["", "   ", "\n\t", String(repeating: "n", count: 201), "a\u{0}b", 5, true, ["Ann"], ["first": "Ann"]]
        for name in bad { try expectInvalidParam(c, "profile.create", ["name": name], field: "name") }
        try expectInvalidParam(c, "profile.create", [:], field: "name")
        try expectInvalidParam(c, "profile.create", ["name": NSNull()], field: "name")
        #expect(try c.result("profile.list", [:])["items"].array.isEmpty)
    }

    @Test func createWithContacts() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let wa = try #require(try c.makeContact("whatsapp", "+4915112345678")["id"].int)
        let fb = try #require(try c.makeContact("facebook", "fb-1")["id"].int)
        let p = try c.makeProfile("Ann", ["contact_ids": [wa, fb]])
        let pid = try #require(p["id"].int)
        #expect(p["contact_count"].int == 2)
        #expect(p["version"].int == 1, "a new profile starts at version 1, contacts included")
        #expect(try c.result("contact.get", ["id": wa])["profile_id"].int == pid)
        #expect(try c.result("contact.get", ["id": fb])["profile_id"].int == pid)

        // A contact of another profile is a conflict, and nothing is created.
        let conflict = try c.error("profile.create", ["name": "Other", "contact_ids": [wa]])
        expectRPCError(conflict, -32009)
        #expect(conflict["data"]["profile_id"].int == pid)
        #expect(try c.result("profile.list", [:])["items"].array.count == 1)
        #expect(try c.result("contact.get", ["id": wa])["profile_id"].int == pid)

        // With move it moves; the old profile loses it and changes version.
        let moved = try c.makeProfile("Other", ["contact_ids": [wa], "move": true])
        let other = try #require(moved["id"].int)
        #expect(moved["contact_count"].int == 1)
        #expect(try c.result("contact.get", ["id": wa])["profile_id"].int == other)
        let old = try c.result("profile.get", ["id": pid])
        #expect(old["contact_count"].int == 1)
        #expect(old["version"].int == 2)

        try expectNotFound(c, "profile.create", ["name": "X", "contact_ids": [999_999]])
        try expectInvalidParam(c, "profile.create", ["name": "X", "contact_ids": [fb, fb]], field: "contact_ids")
        try expectInvalidParam(c, "profile.create", ["name": "X", "contact_ids": ["1"]], field: "contact_ids")
        try expectInvalidParam(c, "profile.create", ["name": "X", "contact_ids": [0]], field: "contact_ids")
        try expectInvalidParam(c, "profile.create", ["name": "X", "contact_ids": 1], field: "contact_ids")
        try expectInvalidParam(c, "profile.create", ["name": "X", "contact_ids": [fb], "move": "yes"], field: "move")
        #expect(try c.result("profile.list", [:])["items"].array.count == 2, "failed creates leave nothing behind")
    }

    @Test func getIncludesContactsNotesAndMomentsInOrder() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let wa = try #require(try c.makeContact("whatsapp", "+4915112345678")["id"].int)
        let em1 = try #require(try c.makeContact("email", "b@example.com")["id"].int)
        let fb = try #require(try c.makeContact("facebook", "fb-1")["id"].int)
        let em2 = try #require(try c.makeContact("email", "a@example.com")["id"].int)
        let pid = try #require(try c.makeProfile("Ann", ["contact_ids": [wa, em1, fb, em2]])["id"].int)

        var notes: [Int] = []
        for body in ["first", "second", "third"] {
            notes.append(try #require(try c.result("note.add", ["profile_id": pid, "body": body])["id"].int))
        }
        let m1 = try #require(try c.result("moment.create", ["contact_id": wa, "started_at": "2026-01-01T10:00:00.000Z"])["id"].int)
        let m2 = try #require(try c.result("moment.create", ["contact_id": fb, "started_at": "2026-03-01T10:00:00.000Z"])["id"].int)
        let m3 = try #require(try c.result("moment.create", ["contact_id": em1, "started_at": "2026-02-01T10:00:00.000Z"])["id"].int)

        let all = try c.result("profile.get", ["id": pid, "include": ["contacts", "notes", "moments"]])
        #expect(itemIDs(all["contacts"].array) == [em1, em2, fb, wa], "by channel, then id")
        #expect(all["contacts"].array.map { $0["channel"].string ?? "" } == ["email", "email", "facebook", "whatsapp"])
        #expect(itemIDs(all["notes"].array) == notes.reversed(), "newest first")
        #expect(itemIDs(all["moments"].array) == [m2, m3, m1], "newest started_at first")
        #expect(all["name"].string == "Ann")
        #expect(all["contact_count"].int == 4)

        let some = try c.result("profile.get", ["id": pid, "include": ["notes"]])
        #expect(some["notes"].array.count == 3)
        #expect(!some["contacts"].exists && !some["moments"].exists)
        let none = try c.result("profile.get", ["id": pid, "include": []])
        #expect(!none["contacts"].exists)

        try expectInvalidParam(c, "profile.get", ["id": pid, "include": ["contacts", "tickets"]], field: "include")
        try expectInvalidParam(c, "profile.get", ["id": pid, "include": "contacts"], field: "include")
        try expectInvalidParam(c, "profile.get", ["id": pid, "include": [1]], field: "include")
        try expectNotFound(c, "profile.get", ["id": pid + 100])
        try expectInvalidParam(c, "profile.get", [:], field: "id")
    }

    @Test func updateIsPartialAndNullRemovesAValue() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        _ = try c.result("field.define", ["key": "tier", "label": "Tier", "type": "select", "options": ["gold", "silver"]])
        _ = try c.result("field.define", ["key": "city", "label": "City", "type": "text"])
        let p = try c.makeProfile("Ann", ["fields": ["tier": "gold", "city": "Berlin"]])
        let pid = try #require(p["id"].int)
        #expect(p["fields"]["tier"].string == "gold")
        #expect(p["fields"]["city"].string == "Berlin")

        // Name only: fields stay.
        let renamed = try c.result("profile.update", ["id": pid, "name": " Ann Lee "])
        #expect(renamed["name"].string == "Ann Lee")
        #expect(renamed["fields"]["city"].string == "Berlin")
        #expect(renamed["version"].int == 2)
        #expect(renamed["created_at"].string == p["created_at"].string)

        // One field: the other stays, the name stays.
        let moved = try c.result("profile.update", ["id": pid, "fields": ["city": "Hamburg"]])
        #expect(moved["fields"]["city"].string == "Hamburg")
        #expect(moved["fields"]["tier"].string == "gold")
        #expect(moved["name"].string == "Ann Lee")
        #expect(moved["version"].int == 3)

        // null removes the value.
        let removed = try c.result("profile.update", ["id": pid, "fields": ["tier": NSNull()]])
        #expect(!removed["fields"]["tier"].exists)
        #expect(removed["fields"]["city"].string == "Hamburg")
        #expect(removed["version"].int == 4)
        #expect(try c.result("profile.get", ["id": pid])["fields"].object?.keys.sorted() == ["city"])

        // No change, no new version.
        let same = try c.result("profile.update", ["id": pid, "name": "Ann Lee"])
        #expect(same["version"].int == 4)
        let nothing = try c.result("profile.update", ["id": pid])
        #expect(nothing["version"].int == 4)

        try expectInvalidParam(c, "profile.update", ["id": pid, "name": ""], field: "name")
        try expectInvalidParam(c, "profile.update", ["id": pid, "fields": "tier=gold"], field: "fields")
        try expectInvalidParam(c, "profile.update", ["id": pid, "fields": ["tier": "bronze"]], field: "tier")
        try expectInvalidParam(c, "profile.update", ["name": "x"], field: "id")
        try expectNotFound(c, "profile.update", ["id": pid + 1, "name": "x"])
        #expect(try c.profileVersion(pid) == 4, "failed updates change nothing")
    }

    @Test func expectedVersionGuardsUpdateAndDelete() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let pid = try #require(try c.makeProfile("Ann")["id"].int)
        let ok = try c.result("profile.update", ["id": pid, "name": "Ann B", "expected_version": 1])
        #expect(ok["version"].int == 2)

        let stale = try c.error("profile.update", ["id": pid, "name": "Ann C", "expected_version": 1])
        expectRPCError(stale, -32009, reason: "version_mismatch")
        #expect(stale["data"]["current_version"].int == 2)
        #expect(try c.result("profile.get", ["id": pid])["name"].string == "Ann B")

        let staleDelete = try c.error("profile.delete", ["id": pid, "expected_version": 1])
        expectRPCError(staleDelete, -32009, reason: "version_mismatch")
        #expect(staleDelete["data"]["current_version"].int == 2)
        #expect(try c.profileVersion(pid) == 2, "still there")

        try expectInvalidParam(c, "profile.update", ["id": pid, "name": "x", "expected_version": "2"], field: "expected_version")
        try expectInvalidParam(c, "profile.update", ["id": pid, "name": "x", "expected_version": 1.5], field: "expected_version")

        let deleted = try c.result("profile.delete", ["id": pid, "expected_version": 2])
        #expect(deleted["deleted"].bool == true)
    }

    @Test func deleteDetachesContactsKeepsMomentsAndDropsNotesAndValues() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        _ = try c.result("field.define", ["key": "vip", "label": "VIP", "type": "boolean"])
        let wa = try #require(try c.makeContact("whatsapp", "+4915112345678")["id"].int)
        let fb = try #require(try c.makeContact("facebook", "fb-1")["id"].int)
        let pid = try #require(try c.makeProfile("Ann", ["contact_ids": [wa, fb], "fields": ["vip": true]])["id"].int)
        let keep = try #require(try c.makeProfile("Bob", ["fields": ["vip": false]])["id"].int)
        for body in ["a", "b", "c"] { _ = try c.result("note.add", ["profile_id": pid, "body": body]) }
        let bobNote = try #require(try c.result("note.add", ["profile_id": keep, "body": "bob"])["id"].int)
        let moment = try #require(try c.result("moment.create", ["contact_id": wa, "ticket_id": "T-1"])["id"].int)

        let deleted = try c.result("profile.delete", ["id": pid])
        #expect(deleted["id"].int == pid)
        #expect(deleted["deleted"].bool == true)
        #expect(deleted["detached_contacts"].int == 2)
        #expect(deleted["deleted_notes"].int == 3)

        try expectNotFound(c, "profile.get", ["id": pid])
        try expectNotFound(c, "note.list", ["profile_id": pid])
        try expectNotFound(c, "profile.delete", ["id": pid])
        // Contacts survive, unassigned, with their moments.
        for id in [wa, fb] {
            let contact = try c.result("contact.get", ["id": id])
            #expect(contact["profile_id"].isNull)
        }
        #expect(try c.result("moment.get", ["id": moment])["contact_id"].int == wa)
        #expect(itemIDs(try c.result("moment.list", ["contact_id": wa])["items"].array) == [moment])
        #expect(itemIDs(try c.result("contact.list", ["unassigned": true])["items"].array) == [wa, fb])
        // The deleted profile's field value is gone: only Bob's is cleared.
        let cleared = try c.result("field.delete", ["key": "vip"])
        #expect(cleared["cleared_values"].int == 1)
        // Bob is untouched.
        #expect(itemIDs(try c.result("note.list", ["profile_id": keep])["items"].array) == [bobNote])
        // The contacts can join another profile without move.
        let attached = try c.result("profile.attach_contact", ["profile_id": keep, "contact_id": wa])
        #expect(attached["contact_count"].int == 1)
        // A deleted profile no longer matches searches.
        #expect(try c.result("profile.list", ["query": "ann"])["items"].array.isEmpty)
    }

    @Test func attachContactRules() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let wa = try #require(try c.makeContact("whatsapp", "+4915112345678")["id"].int)
        let a = try #require(try c.makeProfile("Ann")["id"].int)
        let b = try #require(try c.makeProfile("Bob")["id"].int)

        let attached = try c.result("profile.attach_contact", ["profile_id": a, "contact_id": wa])
        #expect(attached["id"].int == a)
        #expect(attached["contact_count"].int == 1)
        #expect(attached["version"].int == 2)
        #expect(try c.result("contact.get", ["id": wa])["profile_id"].int == a)

        // Again to its own profile: a no-op, no new version.
        let again = try c.result("profile.attach_contact", ["profile_id": a, "contact_id": wa])
        #expect(again["version"].int == 2)
        #expect(again["contact_count"].int == 1)
        let againMove = try c.result("profile.attach_contact", ["profile_id": a, "contact_id": wa, "move": true])
        #expect(againMove["version"].int == 2)

        // To another profile: a conflict unless move.
        let conflict = try c.error("profile.attach_contact", ["profile_id": b, "contact_id": wa])
        expectRPCError(conflict, -32009)
        #expect(conflict["data"]["profile_id"].int == a)
        #expect(try c.result("contact.get", ["id": wa])["profile_id"].int == a)
        #expect(try c.profileVersion(b) == 1)
        let notMoved = try c.error("profile.attach_contact", ["profile_id": b, "contact_id": wa, "move": false])
        expectRPCError(notMoved, -32009)

        let moved = try c.result("profile.attach_contact", ["profile_id": b, "contact_id": wa, "move": true])
        #expect(moved["contact_count"].int == 1)
        #expect(moved["version"].int == 2)
        let source = try c.result("profile.get", ["id": a])
        #expect(source["contact_count"].int == 0)
        #expect(source["version"].int == 3)
        #expect(try c.result("contact.get", ["id": wa])["profile_id"].int == b)
        // Search follows the move.
        let found = try c.result("profile.list", ["query": "4915112345678"])
        #expect(itemIDs(found["items"].array) == [b])

        try expectNotFound(c, "profile.attach_contact", ["profile_id": 999_999, "contact_id": wa])
        try expectNotFound(c, "profile.attach_contact", ["profile_id": a, "contact_id": 999_999])
        try expectInvalidParam(c, "profile.attach_contact", ["contact_id": wa], field: "profile_id")
        try expectInvalidParam(c, "profile.attach_contact", ["profile_id": a], field: "contact_id")
        try expectInvalidParam(c, "profile.attach_contact", ["profile_id": a, "contact_id": wa, "move": 1], field: "move")
    }

    @Test func detachContact() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let wa = try #require(try c.makeContact("whatsapp", "+4915112345678")["id"].int)
        let fb = try #require(try c.makeContact("facebook", "fb-1")["id"].int)
        let pid = try #require(try c.makeProfile("Ann", ["contact_ids": [wa, fb]])["id"].int)
        let moment = try #require(try c.result("moment.create", ["contact_id": wa])["id"].int)

        let detached = try c.result("profile.detach_contact", ["profile_id": pid, "contact_id": wa])
        #expect(detached["profile_id"].int == pid)
        #expect(detached["contact_id"].int == wa)
        #expect(detached["detached"].bool == true)
        #expect(try c.result("contact.get", ["id": wa])["profile_id"].isNull)
        let profile = try c.result("profile.get", ["id": pid, "include": ["contacts", "moments"]])
        #expect(profile["contact_count"].int == 1)
        #expect(profile["version"].int == 2)
        #expect(itemIDs(profile["contacts"].array) == [fb])
        #expect(profile["moments"].array.isEmpty, "the moment went with its contact")
        #expect(itemIDs(try c.result("moment.list", ["contact_id": wa])["items"].array) == [moment])

        // Not (or no longer) in this profile: not found (implementation's choice).
        try expectNotFound(c, "profile.detach_contact", ["profile_id": pid, "contact_id": wa])
        try expectNotFound(c, "profile.detach_contact", ["profile_id": 999_999, "contact_id": fb])
        try expectNotFound(c, "profile.detach_contact", ["profile_id": pid, "contact_id": 999_999])
        try expectInvalidParam(c, "profile.detach_contact", ["profile_id": pid], field: "contact_id")
        try expectInvalidParam(c, "profile.detach_contact", ["profile_id": "1", "contact_id": fb], field: "profile_id")
        #expect(try c.profileVersion(pid) == 2)
    }

    @Test func versionGrowsByOnePerChange() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        _ = try c.result("field.define", ["key": "score", "label": "Score", "type": "number"])
        let wa = try #require(try c.makeContact("whatsapp", "+4915112345678")["id"].int)
        let pid = try #require(try c.makeProfile("Ann")["id"].int)
        var expected = 1
        func step(_ what: String, _ change: () throws -> Void) throws {
            try change()
            expected += 1
            let version = try c.profileVersion(pid)
            #expect(version == expected, "after \(what)")
        }
        #expect(try c.profileVersion(pid) == 1)
        try step("rename") { _ = try c.result("profile.update", ["id": pid, "name": "Ann Lee"]) }
        try step("set field") { _ = try c.result("profile.update", ["id": pid, "fields": ["score": 7]]) }
        try step("change field") { _ = try c.result("profile.update", ["id": pid, "fields": ["score": 8.5]]) }
        try step("name and field at once") {
            _ = try c.result("profile.update", ["id": pid, "name": "Ann", "fields": ["score": 9]])
        }
        try step("remove field") { _ = try c.result("profile.update", ["id": pid, "fields": ["score": NSNull()]]) }
        try step("attach") { _ = try c.result("profile.attach_contact", ["profile_id": pid, "contact_id": wa]) }
        try step("detach") { _ = try c.result("profile.detach_contact", ["profile_id": pid, "contact_id": wa]) }
        var note = 0
        try step("note.add") { note = try c.result("note.add", ["profile_id": pid, "body": "hi"])["id"].int ?? 0 }
        try step("note.update") { _ = try c.result("note.update", ["id": note, "body": "hello"]) }
        try step("note.delete") { _ = try c.result("note.delete", ["id": note]) }
        // updated_at follows the changes.
        let p = try c.result("profile.get", ["id": pid])
        #expect((p["updated_at"].string ?? "") >= (p["created_at"].string ?? "~"))
    }
}
