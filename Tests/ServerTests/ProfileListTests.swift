import Foundation
import ProfilesTestSupport
import Testing

/// profile.list: sorting, keyset paging under concurrent inserts, search.
@Suite struct ProfileListTests {
    @Test func sortsByNameCaseInsensitivelyByDefault() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        var ids: [String: Int] = [:]
        for name in ["bob", "Alice", "carol", "ALAN", "Bea", "alan"] { ids[name] = try c.makeProfile(name)["id"].int }
        let expected = ["ALAN", "alan", "Alice", "Bea", "bob", "carol"]  // equal keys: by id
        let byDefault = try c.result("profile.list", [:])
        #expect(byDefault["items"].array.map { $0["name"].string ?? "" } == expected)
        #expect(byDefault["next_cursor"].isNull)
        let byName = try c.result("profile.list", ["sort": "name"])
        #expect(itemIDs(byName["items"].array) == expected.map { ids[$0]! })
        let paged = try c.collectPages("profile.list", ["sort": "name"], limit: 2)
        #expect(paged.items.map { $0["name"].string ?? "" } == expected)
        #expect(paged.pages == 3)
        // Items are full profiles.
        let first = byDefault["items"][0]
        #expect(first["version"].int == 1 && first["contact_count"].int == 0 && first["fields"].object != nil)
    }

    @Test func sortsByMostRecentChange() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let a = try #require(try c.makeProfile("A")["id"].int)
        let b = try #require(try c.makeProfile("B")["id"].int)
        let cc = try #require(try c.makeProfile("C")["id"].int)
        let recent = try c.result("profile.list", ["sort": "recent"])
        #expect(itemIDs(recent["items"].array) == [cc, b, a])
        waitForNextMillisecond()
        _ = try c.result("note.add", ["profile_id": a, "body": "touch"])
        let after = try c.result("profile.list", ["sort": "recent"])
        #expect(itemIDs(after["items"].array) == [a, cc, b])
        let paged = try c.collectPages("profile.list", ["sort": "recent"], limit: 1)
        #expect(itemIDs(paged.items) == [a, cc, b])
        try expectInvalidParam(c, "profile.list", ["sort": "oldest"], field: "sort")
        try expectInvalidParam(c, "profile.list", ["sort": 1], field: "sort")
    }

    /// SPEC §7: keyset paging, so no item is skipped or repeated while
    /// others are inserted between page calls.
    @Test(arguments: ["name", "recent"])
    func pagingSurvivesInsertsBetweenPages(sort: String) throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let originalNames = ["Mia", "Ben", "zoe", "Carl", "anna", "Otto", "Lena", "finn", "Paul", "Emma", "ida", "Jonas", "Rosa"]
        var originals = Set<Int>()
        for name in originalNames { originals.insert(try #require(try c.makeProfile(name)["id"].int)) }

        // A second connection inserts profiles that sort before, between
        // and after the ones already seen.
        let writer = try s.client()
        var round = 0
        let (items, pages) = try c.collectPages("profile.list", ["sort": sort], limit: 3) {
            round += 1
            for name in ["Aaron \(round)", "Kim \(round)", "Zack \(round)", "mia \(round)", "Carla \(round)"] {
                _ = try writer.makeProfile(name)
            }
        }
        let seen = itemIDs(items)
        #expect(Set(seen).count == seen.count, "no item repeated: \(seen)")
        for id in originals {
            #expect(seen.filter { $0 == id }.count == 1, "profile \(id) seen exactly once")
        }
        #expect(pages >= 5)
        // Seen items are in the list's order.
        if sort == "name" {
            let keys = items.map { ($0["name"].string ?? "").lowercased() }
            #expect(keys == keys.sorted())
        } else {
            let stamps = items.map { $0["updated_at"].string ?? "" }
            #expect(stamps == stamps.sorted(by: >))
        }
    }

    @Test func limitIsBetween1And500() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        for i in 0..<3 { _ = try c.makeProfile("P\(i)") }
        let one = try c.result("profile.list", ["limit": 1])
        #expect(one["items"].array.count == 1)
        #expect(one["next_cursor"].string != nil)
        let max = try c.result("profile.list", ["limit": 500])
        #expect(max["items"].array.count == 3)
        #expect(max["next_cursor"].isNull)
        for bad: Any in [0, -1, 501, 100_000, 1.5, "10", true] {
            try expectInvalidParam(c, "profile.list", ["limit": bad], field: "limit")
        }
        for bad: Any in ["garbage", "", 17, ["x"]] {
            try expectInvalidParam(c, "profile.list", ["cursor": bad], field: "cursor")
        }
        // A name cursor is not a recent cursor.
        let nameCursor = try #require(one["next_cursor"].string)
        try expectInvalidParam(c, "profile.list", ["cursor": nameCursor, "sort": "recent"], field: "cursor")
    }

    @Test func queryMatchesNameContactIdentifierAndContactName() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let wa = try #require(try c.makeContact("whatsapp", "+49 151 1234 5678")["id"].int)
        let em = try #require(try c.makeContact("email", "j.smith@Example.org", name: "Johnny")["id"].int)
        let fb = try #require(try c.makeContact("facebook", "FB-Psid-777")["id"].int)
        let ann = try #require(try c.makeProfile("Ann Lee", ["contact_ids": [wa]])["id"].int)
        let john = try #require(try c.makeProfile("J. Smith", ["contact_ids": [em, fb]])["id"].int)
        let jurgen = try #require(try c.makeProfile("Jürgen Groß")["id"].int)
        let lee = try #require(try c.makeProfile("Leela")["id"].int)

        func found(_ query: String, sort: String = "name") throws -> [Int] {
            itemIDs(try c.result("profile.list", ["query": query, "sort": sort])["items"].array)
        }
        // Name, case-insensitively, anywhere inside.
        #expect(try found("LEE") == [ann, lee])
        #expect(try found("nn l") == [ann])
        #expect(try found("jÜRGEN") == [jurgen])
        #expect(try found("groß") == [jurgen])
        // Contact identifiers and contact names.
        #expect(try found("example.ORG") == [john])
        #expect(try found("johnny") == [john])
        #expect(try found("psid-7") == [john])
        // Phone digits with or without '+', in any usual spelling.
        for query in ["+4915112345678", "4915112345678", "151 1234", "+49 151 1234-5678", "(151) 12.34", "12345678"] {
            #expect(try found(query) == [ann], "query \(query)")
        }
        // Short queries (1–2 characters) work too.
        #expect(try found("ü") == [jurgen])
        #expect(try found("Ee") == [ann, lee])
        #expect(try found("j") == [john, jurgen])
        #expect(try found("78") == [ann])
        #expect(try found("qx") == [])
        #expect(try found("nobody here") == [])
        #expect(try found("   ") == [ann, john, jurgen, lee], "a blank query filters nothing")
        #expect(try found("lee", sort: "recent") == [lee, ann])

        // Search follows changes: detach, rename, delete.
        _ = try c.result("profile.detach_contact", ["profile_id": john, "contact_id": em])
        #expect(try found("johnny") == [])
        #expect(try found("psid") == [john])
        _ = try c.result("profile.update", ["id": lee, "name": "Lara"])
        #expect(try found("lee") == [ann])
        _ = try c.result("profile.attach_contact", ["profile_id": lee, "contact_id": em])
        #expect(try found("johnny") == [lee])
        _ = try c.result("contact.delete", ["id": wa])
        #expect(try found("4915112345678") == [])

        try expectInvalidParam(c, "profile.list", ["query": 42], field: "query")
        try expectInvalidParam(c, "profile.list", ["query": String(repeating: "q", count: 201)], field: "query")
    }

    @Test func queryResultsPage() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        var smiths: [Int] = []
        for i in 0..<7 {
            smiths.append(try #require(try c.makeProfile("Smith \(i)")["id"].int))
            _ = try c.makeProfile("Other \(i)")
        }
        for query in ["smith", "sm", "S"] {
            let paged = try c.collectPages("profile.list", ["query": query], limit: 2)
            #expect(itemIDs(paged.items) == smiths, "query \(query)")
            #expect(paged.pages == 4)
        }
        let recent = try c.collectPages("profile.list", ["query": "mith", "sort": "recent"], limit: 3)
        #expect(itemIDs(recent.items) == smiths.reversed())
    }
}
