import Foundation
import ProfilesTestSupport
import Testing

/// profile.erase, the right to erasure (SPEC §8): the data goes from the
/// tables, the change feed, the stored idempotent answers and the file.
@Suite struct EraseTests {
    /// Every string of the erased profile's data, current or earlier. None
    /// may be found anywhere afterwards.
    static let distinctive = [
        "Zelda Qwertyuiop", "Zelda Firstname Wibblewobble", "Zelda Oldprofile Snarkhunt",
        "zelda.qwertyuiop@example.org", "Zelda Mailname Vorpalblade", "zq-handle-7731", "+4915123456703",
        "Zelda Phonename Jabberwock", "zelda.oldbox@example.net", "ZT-998877", "Broken Frobnicator 9000",
        "Frobnicator Replaced Twice", "Secret note Quuxwobble", "Updated note Plughwaldo", "Doomed note Fnordquux",
        "Merged note Grommetfizz", "Xylophonequeen",
    ]

    /// The unrelated profile's strings, which must all survive.
    static let unrelated = ["Ursula Unrelated", "ursula.keeps@example.com", "Ursula keeps this note"]

    struct Story {
        let profile: Int
        let merged: Int
        let unrelated: Int
        let contacts: [Int]
        let moment: Int
        let notes: [Int]
    }

    /// A profile with contacts, moments, notes, a text field, an earlier
    /// name, a deleted note and a merged-in profile, written partly with
    /// idempotency keys; and an unrelated profile.
    private func story(_ c: LineClient) throws -> Story {
        _ = try c.result("field.define", ["key": "nickname", "label": "Nickname", "type": "text"])
        let unrelatedContact = try #require(try c.makeContact("email", "ursula.keeps@example.com")["id"].int)
        let unrelated = try #require(try c.result("profile.create", [
            "name": "Ursula Unrelated", "contact_ids": [unrelatedContact], "idempotency_key": "k-ursula",
        ])["id"].int)
        _ = try c.result("note.add", ["profile_id": unrelated, "body": "Ursula keeps this note"])

        let mail = try #require(try c.makeContact("email", "zelda.qwertyuiop@example.org", name: "Zelda Mailname Vorpalblade")["id"].int)
        let handle = try #require(try c.result("contact.upsert", [
            "channel": "custom", "identifier": "zq-handle-7731", "idempotency_key": "k-contact-zelda",
        ])["contact"]["id"].int)
        let phone = try #require(try c.makeContact("whatsapp", "+4915123456703", name: "Zelda Phonename Jabberwock")["id"].int)
        let profile = try #require(try c.result("profile.create", [
            "name": "Zelda Firstname Wibblewobble", "contact_ids": [mail], "fields": ["nickname": "Xylophonequeen"],
            "idempotency_key": "k-create-zelda",
        ])["id"].int)
        _ = try c.result("profile.update", ["id": profile, "name": "Zelda Qwertyuiop"])
        _ = try c.result("profile.attach_contact", ["profile_id": profile, "contact_id": handle, "idempotency_key": "k-attach-zelda"])
        _ = try c.result("profile.attach_contact", ["profile_id": profile, "contact_id": phone])
        let moment = try #require(try c.result("moment.create", [
            "contact_id": phone, "ticket_id": "ZT-998877", "subject": "Broken Frobnicator 9000", "idempotency_key": "k-moment-zelda",
        ])["id"].int)
        _ = try c.result("moment.update", ["id": moment, "subject": "Frobnicator Replaced Twice"])
        let note = try #require(try c.result("note.add", [
            "profile_id": profile, "body": "Secret note Quuxwobble", "idempotency_key": "k-note-zelda",
        ])["id"].int)
        _ = try c.result("note.update", ["id": note, "body": "Updated note Plughwaldo"])
        let doomed = try #require(try c.result("note.add", ["profile_id": profile, "body": "Doomed note Fnordquux"])["id"].int)
        _ = try c.result("note.delete", ["id": doomed])

        let oldBox = try #require(try c.makeContact("email", "zelda.oldbox@example.net")["id"].int)
        let merged = try #require(try c.makeProfile("Zelda Oldprofile Snarkhunt", ["contact_ids": [oldBox]])["id"].int)
        let mergedNote = try #require(try c.result("note.add", ["profile_id": merged, "body": "Merged note Grommetfizz"])["id"].int)
        _ = try c.result("profile.merge", ["into": profile, "from": merged, "idempotency_key": "k-merge-zelda"])
        return Story(profile: profile, merged: merged, unrelated: unrelated, contacts: [mail, handle, phone, oldBox],
                     moment: moment, notes: [note, doomed, mergedNote])
    }

    private func allEvents(_ c: LineClient) throws -> [JSONObject] {
        try c.result("events.read", ["after": 0, "limit": 500])["events"].array
    }

    @Test(.sqliteOnly) func eraseRemovesTheDataEverywhereAndADryRunNothing() throws {
        let s = try TestServer()
        var stopped = false
        defer {
            if !stopped { s.server.shutdown() }
            try? FileManager.default.removeItem(at: s.directory)
        }
        let c = try s.client()
        let story = try story(c)
        let unrelatedBefore = try c.result("profile.get", ["id": story.unrelated, "include": ["contacts", "notes", "moments"]])
        let eventsBefore = try allEvents(c)
        let unrelatedEvents = eventsBefore.filter { !touchesErased($0) }
        #expect(unrelatedEvents.count == 4, "the unrelated profile's own events: \(unrelatedEvents)")

        // Dry run: exact counts, nothing changes, no event.
        let dry = try c.result("profile.erase", ["id": story.profile, "dry_run": true])
        #expect(dry["dry_run"].bool == true)
        #expect(dry["erased"].bool == false)
        #expect(dry["id"].int == story.profile)
        #expect(dry["merged_profiles"].array.compactMap(\.int) == [story.merged])
        #expect(dry["contacts"].int == 4)
        #expect(dry["moments"].int == 1)
        #expect(dry["notes"].int == 2)
        #expect(dry["field_values"].int == 1)
        // Every event but the unrelated profile's four.
        #expect(dry["events_rewritten"].int == eventsBefore.count - 4)
        // k-contact-zelda, k-create-zelda, k-attach-zelda, k-moment-zelda, k-note-zelda, k-merge-zelda.
        #expect(dry["idempotency_keys_removed"].int == 6)
        #expect(try allEvents(c).map(\.canonical) == eventsBefore.map(\.canonical))
        #expect(try c.result("profile.get", ["id": story.profile])["name"].string == "Zelda Qwertyuiop")
        let replayed = try c.result("note.add", ["profile_id": story.profile, "body": "Secret note Quuxwobble",
                                                 "idempotency_key": "k-note-zelda"])
        #expect(replayed["id"].int == story.notes[0], "the stored answer is still there after a dry run")

        let erased = try c.result("profile.erase", ["id": story.profile, "idempotency_key": "k-erase-zelda"])
        #expect(erased["erased"].bool == true)
        #expect(erased["dry_run"].bool == false)
        for key in ["id", "merged_profiles", "contacts", "moments", "notes", "field_values", "events_rewritten",
                    "idempotency_keys_removed"] {
            #expect(erased[key].canonical == dry[key].canonical, "\(key)")
        }

        // Every entity is gone.
        try expectNotFound(c, "profile.get", ["id": story.profile])
        try expectNotFound(c, "profile.get", ["id": story.merged])
        for contact in story.contacts { try expectNotFound(c, "contact.get", ["id": contact]) }
        try expectNotFound(c, "moment.get", ["id": story.moment])
        for note in story.notes { try expectNotFound(c, "note.update", ["id": note, "body": "x"]) }
        #expect(try c.result("profile.list", ["query": "zelda"])["items"].array.isEmpty)
        #expect(try c.result("contact.list", ["query": "zelda"])["items"].array.isEmpty)

        // The unrelated profile, its data and its events are untouched.
        #expect(try c.result("profile.get", ["id": story.unrelated, "include": ["contacts", "notes", "moments"]]).canonical
                == unrelatedBefore.canonical)
        let eventsAfter = try allEvents(c)
        #expect(eventsAfter.filter { !touchesErased($0) && $0["type"].string != "profile.erased" }.map(\.canonical)
                == unrelatedEvents.map(\.canonical))

        // The feed keeps every seq, dense, plus one profile.erased with ids only.
        let seqs = eventsAfter.compactMap { $0["seq"].int }
        #expect(seqs == Array(1...(eventsBefore.count + 1)))
        let erasedEvents = eventsAfter.filter { $0["type"].string == "profile.erased" }
        #expect(erasedEvents.count == 1)
        let event = try #require(erasedEvents.first)
        #expect(event["id"].int == story.profile)
        #expect(event["data"]["params"].canonical == JSONObject(["id": story.profile]).canonical)
        #expect(event["data"]["result"].canonical == erased.canonical)
        for (before, after) in zip(eventsBefore, eventsAfter) where touchesErased(before) {
            #expect(after["data"].canonical == JSONObject(["erased": true]).canonical, "seq \(before["seq"].int ?? 0)")
            for key in ["seq", "type", "workspace", "id", "at"] {
                #expect(after[key].canonical == before[key].canonical, "\(key) of seq \(before["seq"].int ?? 0)")
            }
        }
        let feedText = eventsAfter.map(\.canonical).joined(separator: "\n")
        for text in Self.distinctive { #expect(!feedText.contains(text), "the feed still holds '\(text)'") }

        // Stored answers are gone: the keys run anew (the profile is gone,
        // and another request under the same key is no longer a conflict).
        try expectNotFound(c, "note.add", ["profile_id": story.profile, "body": "Secret note Quuxwobble",
                                           "idempotency_key": "k-note-zelda"])
        let fresh = try c.result("profile.create", ["name": "Someone Else", "idempotency_key": "k-create-zelda"])
        #expect(fresh["id"].int != story.profile)
        // The unrelated key still answers with its stored answer.
        let ursula = try c.result("profile.create", ["name": "Ursula Unrelated", "contact_ids": [unrelatedBefore["contacts"][0]["id"].int ?? 0],
                                                     "idempotency_key": "k-ursula"])
        #expect(ursula["id"].int == story.unrelated)
        // Replaying the erase answers as before and erases nothing more.
        #expect(try c.result("profile.erase", ["id": story.profile, "idempotency_key": "k-erase-zelda"]).canonical == erased.canonical)

        // The bytes: after the erase's checkpoint, and after a clean stop.
        try expectAbsentFromFiles(s.databasePath)
        s.server.shutdown()
        stopped = true
        try expectAbsentFromFiles(s.databasePath)
    }

    /// True for events of the story that concern the erased profile (all
    /// but the unrelated profile's contact, profile, note and field definition).
    private func touchesErased(_ event: JSONObject) -> Bool {
        let text = event.canonical
        if event["type"].string == "field.defined" { return false }
        return !Self.unrelated.contains { text.contains($0) }
    }

    private func expectAbsentFromFiles(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        if let wal = try? Data(contentsOf: URL(fileURLWithPath: path + "-wal")) { bytes += wal }
        for text in Self.distinctive {
            for variant in Set([text, text.lowercased()]) {
                let found = contains(bytes, Array(variant.utf8))
                #expect(!found, "the file still holds '\(variant)'", sourceLocation: sourceLocation)
            }
        }
        // A check of the search itself: the surviving data is found.
        let kept = contains(bytes, Array("Ursula keeps this note".utf8))
        #expect(kept, "the surviving note is not found in the file", sourceLocation: sourceLocation)
    }

    private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        let first = needle[0]
        var index = 0
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first, Array(haystack[index..<(index + needle.count)]) == needle { return true }
            index += 1
        }
        return false
    }

    @Test func eraseOfAMissingOrForeignProfileIsNotFoundAndParamsAreChecked() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let id = try #require(try c.makeProfile("Kept Around")["id"].int)
        try expectNotFound(c, "profile.erase", ["id": id + 100])
        try expectNotFound(c, "profile.erase", ["id": id, "workspace": "other"])
        try expectNotFound(c, "profile.erase", ["id": id, "workspace": "other", "dry_run": true])
        try expectInvalidParam(c, "profile.erase", [:], field: "id")
        try expectInvalidParam(c, "profile.erase", ["id": "one"], field: "id")
        try expectInvalidParam(c, "profile.erase", ["id": 0], field: "id")
        try expectInvalidParam(c, "profile.erase", ["id": id, "dry_run": "yes"], field: "dry_run")
        try expectInvalidParam(c, "profile.erase", ["id": id, "idempotency_key": ""], field: "idempotency_key")
        // Nothing was erased, and failures wrote no event.
        #expect(try c.result("profile.get", ["id": id])["name"].string == "Kept Around")
        #expect(try allEvents(c).compactMap { $0["type"].string } == ["profile.created"])
    }
}
