import Foundation
import ProfilesTestSupport
import Testing

/// profile.merge's merge_id and profile.unmerge (SPEC §8, "undo of a merge").
@Suite struct UnmergeTests {
    struct Story {
        let into: Int
        let from: Int
        /// into's contact, and from's three.
        let wa: Int
        let mail: Int
        let sms: Int
        let tg: Int
        /// from's two notes.
        let called: Int
        let second: Int
    }

    /// Two profiles of one person. from has values into lacks (city,
    /// score), one both have alike (vip), one both have differently (tier).
    private func story(_ c: LineClient) throws -> Story {
        _ = try c.result("field.define", ["key": "tier", "label": "Tier", "type": "select", "options": ["gold", "silver"]])
        _ = try c.result("field.define", ["key": "city", "label": "City", "type": "text"])
        _ = try c.result("field.define", ["key": "vip", "label": "VIP", "type": "boolean"])
        _ = try c.result("field.define", ["key": "score", "label": "Score", "type": "number"])
        let wa = try #require(try c.makeContact("whatsapp", "+4915111111111")["id"].int)
        let mail = try #require(try c.makeContact("email", "pe@example.com", name: "Peter M")["id"].int)
        let sms = try #require(try c.makeContact("sms", "+4915111111111")["id"].int)
        let tg = try #require(try c.makeContact("telegram", "petermeier")["id"].int)
        let into = try #require(try c.makeProfile("Peter", ["contact_ids": [wa], "fields": ["tier": "gold", "vip": true]])["id"].int)
        let from = try #require(try c.makeProfile("P. Meier", [
            "contact_ids": [mail, sms, tg], "fields": ["tier": "silver", "city": "Bern", "vip": true, "score": 7.5],
        ])["id"].int)
        let called = try #require(try c.result("note.add", ["profile_id": from, "body": "called twice", "author": "ann"])["id"].int)
        let second = try #require(try c.result("note.add", ["profile_id": from, "body": "second note"])["id"].int)
        _ = try c.result("note.add", ["profile_id": into, "body": "prefers WhatsApp"])
        return Story(into: into, from: from, wa: wa, mail: mail, sms: sms, tg: tg, called: called, second: second)
    }

    private func detail(_ c: LineClient, _ id: Int) throws -> JSONObject {
        try c.result("profile.get", ["id": id, "include": ["contacts", "notes"]])
    }

    /// What the issue compares: id, name, fields, contacts, notes (and created_at).
    private func expectSame(_ after: JSONObject, _ before: JSONObject, _ what: String,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        for key in ["id", "name", "fields", "contacts", "notes", "created_at"] {
            #expect(after[key].canonical == before[key].canonical, "\(what).\(key)", sourceLocation: sourceLocation)
        }
    }

    @Test func anUnmergeWithNothingChangedBringsBothProfilesBackAsTheyWere() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let story = try story(c)
        let beforeInto = try detail(c, story.into)
        let beforeFrom = try detail(c, story.from)

        let merge = try c.result("profile.merge", ["into": story.into, "from": story.from])
        let mergeID = try #require(merge["merge_id"].int)
        let unmerge = try c.result("profile.unmerge", ["merge_id": mergeID])
        #expect(unmerge["merge_id"].int == mergeID)
        #expect(unmerge["dry_run"].bool == false)
        #expect(unmerge["conflicts"].array.isEmpty, "\(unmerge["conflicts"])")
        #expect(unmerge["restored_contact_ids"].array.compactMap(\.int) == [story.mail, story.sms, story.tg])
        #expect(unmerge["restored_note_ids"].array.compactMap(\.int) == [story.called, story.second])
        #expect(unmerge["removed_fields"].array.compactMap(\.string) == ["city", "score"])
        #expect(unmerge["restored_fields"].array.compactMap(\.string) == ["city", "score", "tier", "vip"])

        let afterInto = try detail(c, story.into)
        let afterFrom = try detail(c, story.from)
        expectSame(afterInto, beforeInto, "into")
        expectSame(afterFrom, beforeFrom, "from")
        #expect(afterFrom["contact_count"].int == 3)
        #expect(afterInto["contact_count"].int == 1)
        // Both changed, so both have a new version; the answer shows them as stored.
        #expect(afterInto["version"].int == merge["profile"]["version"].int.map { $0 + 1 })
        #expect(afterFrom["version"].int == beforeFrom["version"].int.map { $0 + 1 })
        #expect(unmerge["profile"].canonical == (try c.result("profile.get", ["id": story.into])).canonical)
        #expect(unmerge["restored"].canonical == (try c.result("profile.get", ["id": story.from])).canonical)
        // Search finds from's contacts under from again, not under into.
        #expect(itemIDs(try c.result("profile.list", ["query": "pe@example"])["items"].array) == [story.from])

        // Both histories tell of the unmerge, under one seq.
        let intoEntry = try c.result("profile.history", ["id": story.into, "limit": 1])["items"][0]
        let fromEntry = try c.result("profile.history", ["id": story.from, "limit": 1])["items"][0]
        #expect(intoEntry["type"].string == "profile.unmerged")
        #expect(fromEntry["type"].string == "profile.unmerged")
        #expect(intoEntry["seq"].int != nil && intoEntry["seq"].int == fromEntry["seq"].int)
        #expect(intoEntry["changes"]["unmerge"]["merge_id"].int == mergeID)
        #expect(intoEntry["changes"]["unmerge"]["profile_id"].int == story.from)
        #expect(intoEntry["changes"]["fields"]["city"]["from"].string == "Bern")
        #expect(intoEntry["changes"]["fields"]["city"]["to"].isNull)
        #expect(intoEntry["changes"]["contacts"].array.compactMap { $0["action"].string } == ["detached", "detached", "detached"])
        #expect(intoEntry["changes"]["contacts"].array.compactMap { $0["to_profile_id"].int } == [story.from, story.from, story.from])
        #expect(intoEntry["changes"]["notes"].array.compactMap { $0["id"].int } == [story.called, story.second])
        #expect(fromEntry["changes"]["unmerge"]["profile_id"].int == story.into)
        #expect(fromEntry["changes"]["name"]["to"].string == "P. Meier")
        #expect(fromEntry["changes"]["fields"]["score"]["to"].double == 7.5)
        #expect(fromEntry["changes"]["contacts"].array.compactMap(\.self["id"].int) == [story.mail, story.sms, story.tg])
        #expect(fromEntry["changes"]["notes"].array.compactMap { $0["from_profile_id"].int } == [story.into, story.into])
    }

    /// The issue's test: merge, change things, unmerge, compare field by
    /// field with before the merge; what changed is reported and left.
    @Test func whatChangedSinceTheMergeIsReportedAndLeftAsItIs() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let story = try story(c)
        let beforeInto = try detail(c, story.into)
        let beforeFrom = try detail(c, story.from)
        let third = try #require(try c.makeProfile("Someone else")["id"].int)

        let mergeID = try #require(try c.result("profile.merge", ["into": story.into, "from": story.from])["merge_id"].int)
        // Since the merge: into's city changed, one of from's contacts was
        // detached, one moved to another profile, one of its notes deleted,
        // and a note added to into.
        _ = try c.result("profile.update", ["id": story.into, "fields": ["city": "Basel"]])
        _ = try c.result("profile.detach_contact", ["profile_id": story.into, "contact_id": story.sms])
        _ = try c.result("profile.attach_contact", ["profile_id": third, "contact_id": story.tg, "move": true])
        _ = try c.result("note.delete", ["id": story.second])
        let newNote = try #require(try c.result("note.add", ["profile_id": story.into, "body": "after the merge"])["id"].int)
        let changedInto = try detail(c, story.into)

        let unmerge = try c.result("profile.unmerge", ["merge_id": mergeID])
        let conflicts = unmerge["conflicts"].array.map(\.canonical)
        let expected: [[String: Any]] = [
            ["kind": "field_changed", "key": "city", "taken": "Bern", "current": "Basel"],
            ["kind": "contact_moved", "contact_id": story.sms, "profile_id": NSNull()],
            ["kind": "contact_moved", "contact_id": story.tg, "profile_id": third],
            ["kind": "note_deleted", "note_id": story.second],
        ]
        #expect(conflicts == expected.map { JSONObject($0).canonical })
        #expect(unmerge["restored_contact_ids"].array.compactMap(\.int) == [story.mail])
        #expect(unmerge["restored_note_ids"].array.compactMap(\.int) == [story.called])
        #expect(unmerge["removed_fields"].array.compactMap(\.string) == ["score"])

        // from: back with its id, name, values and created_at, with what
        // was still on into.
        let from = try detail(c, story.from)
        #expect(from["id"].int == story.from)
        #expect(from["name"].canonical == beforeFrom["name"].canonical)
        #expect(from["fields"].canonical == beforeFrom["fields"].canonical)
        #expect(from["created_at"].canonical == beforeFrom["created_at"].canonical)
        #expect(from["contacts"].canonical == JSONObject(beforeFrom["contacts"].array.filter { $0["id"].int == story.mail }.map(\.raw)).canonical)
        #expect(from["notes"].canonical == JSONObject(beforeFrom["notes"].array.filter { $0["id"].int == story.called }.map(\.raw)).canonical)
        #expect(from["contact_count"].int == 1)

        // into: as before the merge, except what changed since, left as changed.
        let into = try detail(c, story.into)
        #expect(into["id"].int == story.into)
        #expect(into["name"].canonical == beforeInto["name"].canonical)
        #expect(into["fields"].canonical == JSONObject(["tier": "gold", "vip": true, "city": "Basel"]).canonical)
        #expect(into["contacts"].canonical == beforeInto["contacts"].canonical)
        #expect(Set(itemIDs(into["notes"].array)) == Set(itemIDs(beforeInto["notes"].array) + [newNote]))
        #expect(into["version"].int == changedInto["version"].int.map { $0 + 1 })
        // The contacts reported stay where they are now.
        #expect(try c.result("contact.get", ["id": story.sms])["profile_id"].isNull)
        #expect(try c.result("contact.get", ["id": story.tg])["profile_id"].int == third)
    }

    @Test func aDryRunReportsThePlanAndChangesNothing() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let story = try story(c)
        let dryMerge = try c.result("profile.merge", ["into": story.into, "from": story.from, "dry_run": true])
        #expect(dryMerge["merge_id"].isNull, "a dry-run merge keeps no record: \(dryMerge)")
        let mergeID = try #require(try c.result("profile.merge", ["into": story.into, "from": story.from])["merge_id"].int)
        _ = try c.result("profile.update", ["id": story.into, "fields": ["score": 9]])
        _ = try c.result("note.delete", ["id": story.called])

        let before = try detail(c, story.into)
        let lastSeq = try c.result("events.read", ["after": 0, "limit": 500])["last_seq"].int
        let dry = try c.result("profile.unmerge", ["merge_id": mergeID, "dry_run": true])
        #expect(dry["dry_run"].bool == true)
        #expect(dry["restored"]["id"].int == story.from)
        #expect(dry["conflicts"].array.map { $0["kind"].string } == ["field_changed", "note_deleted"])
        #expect(try detail(c, story.into).canonical == before.canonical)
        try expectNotFound(c, "profile.get", ["id": story.from])
        #expect(try c.result("events.read", ["after": 0, "limit": 500])["last_seq"].int == lastSeq)

        // The unmerge then does what the dry run said.
        let done = try c.result("profile.unmerge", ["merge_id": mergeID])
        #expect(done["dry_run"].bool == false)
        for key in ["merge_id", "into", "from", "conflicts", "restored_contact_ids", "restored_note_ids", "restored_fields",
                    "removed_fields"] {
            #expect(done[key].canonical == dry[key].canonical, "\(key)")
        }
        for key in ["id", "name", "fields", "contact_count", "version", "created_at"] {
            #expect(done["profile"][key].canonical == dry["profile"][key].canonical, "profile.\(key)")
            #expect(done["restored"][key].canonical == dry["restored"][key].canonical, "restored.\(key)")
        }
    }

    @Test func aMergeIsUndoneOnceAndOnlyInItsWorkspace() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let story = try story(c)
        let mergeID = try #require(try c.result("profile.merge", ["into": story.into, "from": story.from])["merge_id"].int)
        try expectNotFound(c, "profile.unmerge", ["merge_id": mergeID + 1000])
        try expectNotFound(c, "profile.unmerge", ["merge_id": mergeID, "workspace": "other"])
        try expectInvalidParam(c, "profile.unmerge", [:], field: "merge_id")
        try expectInvalidParam(c, "profile.unmerge", ["merge_id": "one"], field: "merge_id")

        _ = try c.result("profile.unmerge", ["merge_id": mergeID])
        let again = try c.error("profile.unmerge", ["merge_id": mergeID])
        expectRPCError(again, -32009, reason: "already_unmerged")
        #expect(again["message"].string?.contains("already undone") == true, "\(again)")
        let dryAgain = try c.error("profile.unmerge", ["merge_id": mergeID, "dry_run": true])
        expectRPCError(dryAgain, -32009, reason: "already_unmerged")
    }

    @Test func aSurvivorDeletedSinceIsAConflict() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let story = try story(c)
        let mergeID = try #require(try c.result("profile.merge", ["into": story.into, "from": story.from])["merge_id"].int)
        _ = try c.result("profile.delete", ["id": story.into])
        expectRPCError(try c.error("profile.unmerge", ["merge_id": mergeID]), -32009, reason: "survivor_gone")
        try expectNotFound(c, "profile.get", ["id": story.from])
    }

    @Test func theFeedHasTheMergeIDAndTheUnmergeEvent() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let story = try story(c)
        let mergeID = try #require(try c.result("profile.merge", ["into": story.into, "from": story.from])["merge_id"].int)
        let unmerge = try c.result("profile.unmerge", ["merge_id": mergeID])
        let events = try c.result("events.read", ["after": 0, "limit": 500])["events"].array
        let merged = try #require(events.first { $0["type"].string == "profile.merged" })
        #expect(merged["data"]["result"]["merge_id"].int == mergeID)
        let last = try #require(events.last)
        #expect(last["type"].string == "profile.unmerged")
        #expect(last["id"].int == story.from)
        #expect(last["data"]["params"]["merge_id"].int == mergeID)
        #expect(last["data"]["result"]["restored_contact_ids"].canonical == unmerge["restored_contact_ids"].canonical)
        // Both profiles, with the versions they now have, for a mirror.
        let versions = Dictionary(uniqueKeysWithValues: last["data"]["profiles"].array.compactMap { p in
            p["id"].int.map { ($0, p["version"].int) }
        })
        #expect(versions == [story.into: unmerge["profile"]["version"].int, story.from: unmerge["restored"]["version"].int])
        #expect(events.filter { $0["type"].string == "profile.unmerged" }.count == 1)
    }

    @Test func eraseOfEitherProfileRemovesTheMergeRecord() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let story = try story(c)
        // Erasing the survivor: the record (with from's name and values)
        // goes too; were it kept, the unmerge would say survivor_gone.
        let first = try #require(try c.result("profile.merge", ["into": story.into, "from": story.from])["merge_id"].int)
        _ = try c.result("profile.erase", ["id": story.into])
        try expectNotFound(c, "profile.unmerge", ["merge_id": first])

        // Erasing a profile brought back: its record goes (it would say
        // already_unmerged), and erasing the survivor then leaves the
        // restored profile's own events alone (its data is its own again).
        let other = try #require(try c.makeProfile("Other Survivor")["id"].int)
        let back = try #require(try c.makeProfile("Brought Back")["id"].int)
        let second = try #require(try c.result("profile.merge", ["into": other, "from": back])["merge_id"].int)
        _ = try c.result("profile.unmerge", ["merge_id": second])
        let erasedOther = try c.result("profile.erase", ["id": other])
        #expect(erasedOther["merged_profiles"].array.isEmpty, "\(erasedOther)")
        let events = try c.result("events.read", ["after": 0, "limit": 500])["events"].array
        let created = events.first { $0["type"].string == "profile.created" && $0["id"].int == back }
        #expect(created?["data"]["params"]["name"].string == "Brought Back")
        #expect(try c.result("profile.get", ["id": back])["name"].string == "Brought Back")

        let third = try #require(try c.makeProfile("Third Survivor")["id"].int)
        let fourth = try #require(try c.result("profile.merge", ["into": third, "from": back])["merge_id"].int)
        _ = try c.result("profile.unmerge", ["merge_id": fourth])
        _ = try c.result("profile.erase", ["id": back])
        try expectNotFound(c, "profile.unmerge", ["merge_id": fourth])
        // The survivor's history of that merge and unmerge named the
        // erased profile: only their seq and type remain.
        let history = try c.result("profile.history", ["id": third])["items"].array
        let about = history.filter { ["profile.merged", "profile.unmerged"].contains($0["type"].string ?? "") }
        #expect(about.count == 2, "\(history)")
        for entry in about { #expect(entry["changes"].object?.keys.sorted() == ["erased"], "\(entry)") }
    }

    @Test func aMergeOlderThanTheRetentionCannotBeUndone() throws {
        let s = try TestServer { $0.eventsRetention = 1 }
        defer { s.stop() }
        let c = try s.client()
        let story = try story(c)
        let mergeID = try #require(try c.result("profile.merge", ["into": story.into, "from": story.from])["merge_id"].int)
        // The pruner removes the record with the feed's events.
        #expect(try eventually(timeout: 10) {
            try c.call("profile.unmerge", ["merge_id": mergeID, "dry_run": true])["error"]["code"].int == -32004
        })
        #expect(try c.error("profile.unmerge", ["merge_id": mergeID])["message"].string?.contains("retention") == true)
        try expectNotFound(c, "profile.get", ["id": story.from])
    }
}
