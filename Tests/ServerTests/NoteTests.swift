import Foundation
import ProfilesTestSupport
import Testing

/// note.add / update / delete / list.
@Suite struct NoteTests {
    @Test func addReturnsTheNote() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let pid = try #require(try c.makeProfile("Ann")["id"].int)
        let note = try c.result("note.add", ["profile_id": pid, "body": "  Prefers WhatsApp.\nCall after 5pm.  ", "author": " agent-7 "])
        #expect((note["id"].int ?? 0) > 0)
        #expect(note["profile_id"].int == pid)
        #expect(note["body"].string == "Prefers WhatsApp.\nCall after 5pm.")
        #expect(note["author"].string == "agent-7")
        #expect(isRFC3339Millis(note["created_at"].string))
        #expect(note["updated_at"].string == note["created_at"].string)
        let anonymous = try c.result("note.add", ["profile_id": pid, "body": "x"])
        #expect(anonymous["author"].isNull)
        #expect(try c.profileVersion(pid) == 3)
    }

    @Test func bodyIsOneToTenThousandCharacters() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let pid = try #require(try c.makeProfile("Ann")["id"].int)
        let longest = String(repeating: "ä", count: 10_000)
        #expect(try c.result("note.add", ["profile_id": pid, "body": longest])["body"].string == longest)
        #expect(try c.result("note.add", ["profile_id": pid, "body": "1"])["body"].string == "1")
        for body: Any in ["", "  \n ", String(repeating: "a", count: 10_001), "bell\u{7}", 12, ["text"]] {
            try expectInvalidParam(c, "note.add", ["profile_id": pid, "body": body], field: "body")
        }
        try expectInvalidParam(c, "note.add", ["profile_id": pid], field: "body")
        try expectInvalidParam(c, "note.add", ["body": "x"], field: "profile_id")
        try expectInvalidParam(c, "note.add", ["profile_id": pid, "body": "x", "author": ""], field: "author")
        try expectInvalidParam(c, "note.add", ["profile_id": pid, "body": "x", "author": 7], field: "author")
        try expectNotFound(c, "note.add", ["profile_id": pid + 1, "body": "x"])
        #expect(try c.result("note.list", ["profile_id": pid])["items"].array.count == 2)
    }

    @Test func updateChangesTheBody() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let pid = try #require(try c.makeProfile("Ann")["id"].int)
        let note = try c.result("note.add", ["profile_id": pid, "body": "draft", "author": "me"])
        let id = try #require(note["id"].int)
        waitForNextMillisecond()
        let updated = try c.result("note.update", ["id": id, "body": " final "])
        #expect(updated["id"].int == id)
        #expect(updated["body"].string == "final")
        #expect(updated["author"].string == "me")
        #expect(updated["created_at"].string == note["created_at"].string)
        #expect((updated["updated_at"].string ?? "") > (note["updated_at"].string ?? "~"))
        #expect(try c.result("note.list", ["profile_id": pid])["items"][0]["body"].string == "final")

        try expectInvalidParam(c, "note.update", ["id": id, "body": ""], field: "body")
        try expectInvalidParam(c, "note.update", ["id": id, "body": String(repeating: "a", count: 10_001)], field: "body")
        try expectInvalidParam(c, "note.update", ["id": id], field: "body")
        try expectInvalidParam(c, "note.update", ["body": "x"], field: "id")
        try expectInvalidParam(c, "note.update", ["id": id, "body": "x", "author": "y"], field: "author")
        try expectNotFound(c, "note.update", ["id": id + 100, "body": "x"])
    }

    @Test func deleteRemovesTheNote() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let pid = try #require(try c.makeProfile("Ann")["id"].int)
        let keep = try #require(try c.result("note.add", ["profile_id": pid, "body": "keep"])["id"].int)
        let drop = try #require(try c.result("note.add", ["profile_id": pid, "body": "drop"])["id"].int)
        let deleted = try c.result("note.delete", ["id": drop])
        #expect(deleted["id"].int == drop)
        #expect(deleted["deleted"].bool == true)
        #expect(itemIDs(try c.result("note.list", ["profile_id": pid])["items"].array) == [keep])
        try expectNotFound(c, "note.delete", ["id": drop])
        try expectNotFound(c, "note.update", ["id": drop, "body": "x"])
        try expectInvalidParam(c, "note.delete", ["id": -drop], field: "id")
    }

    @Test func listIsNewestFirstAndPages() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let pid = try #require(try c.makeProfile("Ann")["id"].int)
        let other = try #require(try c.makeProfile("Bob")["id"].int)
        var ids: [Int] = []
        for i in 0..<7 {
            ids.append(try #require(try c.result("note.add", ["profile_id": pid, "body": "note \(i)"])["id"].int))
            if i == 3 { waitForNextMillisecond() }
            _ = try c.result("note.add", ["profile_id": other, "body": "other \(i)"])
        }
        let all = try c.result("note.list", ["profile_id": pid])
        #expect(itemIDs(all["items"].array) == ids.reversed())
        #expect(all["next_cursor"].isNull)
        let paged = try c.collectPages("note.list", ["profile_id": pid], limit: 3)
        #expect(itemIDs(paged.items) == ids.reversed())
        #expect(paged.pages == 3)
        // Paging survives a note added between pages (it is newer: not in the rest).
        var added = 0
        let during = try c.collectPages("note.list", ["profile_id": pid], limit: 2) {
            added += 1
            _ = try c.result("note.add", ["profile_id": pid, "body": "late \(added)"])
        }
        #expect(itemIDs(during.items) == ids.reversed())

        try expectInvalidParam(c, "note.list", [:], field: "profile_id")
        try expectInvalidParam(c, "note.list", ["profile_id": pid, "limit": 0], field: "limit")
        try expectInvalidParam(c, "note.list", ["profile_id": pid, "cursor": "nope"], field: "cursor")
        try expectNotFound(c, "note.list", ["profile_id": 999_999])
        let empty = try c.result("note.list", ["profile_id": try #require(try c.makeProfile("Cid")["id"].int)])
        #expect(empty["items"].array.isEmpty && empty["next_cursor"].isNull)
    }
}
