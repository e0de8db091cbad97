import Foundation
import GRDB
import ProfilesTestSupport
import Testing

/// profile.list's `filter` (SPEC §8, issue 16): every operator against a
/// known set of profiles, paged, in both sorts, with and without a query;
/// the errors that name `filter.KEY`; and the strategies a store picks
/// (a selective filter's few profiles, a frequent one's walk) giving the
/// same pages.
@Suite struct ProfileFilterTests {
    /// One profile as the test made it.
    struct Made {
        let id: Int
        let name: String
        let fields: [String: Any]
    }

    private func defineFields(_ c: LineClient) throws {
        try c.result("field.define", ["key": "tier", "label": "Tier", "type": "select", "options": ["gold", "silver", "bronze"]])
        try c.result("field.define", ["key": "score", "label": "Score", "type": "number"])
        try c.result("field.define", ["key": "since", "label": "Customer since", "type": "date"])
        try c.result("field.define", ["key": "vip", "label": "VIP", "type": "boolean"])
        try c.result("field.define", ["key": "remark", "label": "Remark", "type": "text"])
        try c.result("field.define", ["key": "work_email", "label": "Work e-mail", "type": "email"])
    }

    /// 24 profiles with values that vary by index; some lack some fields.
    private func makeProfiles(_ c: LineClient) throws -> [Made] {
        let tiers = ["gold", "silver", "bronze"]
        let remarks = ["Likes ÄPFEL", "wants a call", "pays late", "äpfel und birnen"]
        var made: [Made] = []
        for i in 0..<24 {
            var fields: [String: Any] = [:]
            if i % 4 != 3 { fields["tier"] = tiers[i % 3] }
            if i % 5 != 4 { fields["score"] = Double(i * 3 % 37) + (i % 2 == 0 ? 0.5 : 0) }
            if i % 3 != 2 { fields["since"] = String(format: "20%02d-%02d-15", 20 + i % 6, 1 + i % 12) }
            if i % 6 != 5 { fields["vip"] = i % 2 == 0 }
            if i % 2 == 0 { fields["remark"] = remarks[(i / 2) % 4] }
            if i % 7 == 0 { fields["work_email"] = "person\(i)@example.com" }
            // Names not in id order, some alike but for case.
            let name = ["Zoe", "anna", "Bert", "Anna", "émile", "Carl"][i % 6] + " \(100 - i)"
            let profile = try c.result("profile.create", ["name": name, "fields": fields])
            made.append(Made(id: try #require(profile["id"].int), name: name, fields: fields))
        }
        return made
    }

    /// Names of every page of profile.list with these params, limit 4.
    private func listed(_ c: LineClient, _ params: [String: Any]) throws -> [String] {
        try c.collectPages("profile.list", params, limit: 4).items.compactMap { $0["name"].string }
    }

    /// The names `made` lists in name order (byte order of the lower-cased
    /// name, then id) or recent order (newest first), among `keep`.
    private func expected(_ made: [Made], sort: String, _ keep: (Made) -> Bool) -> [String] {
        let kept = made.filter(keep)
        let sorted = sort == "name"
            ? kept.sorted { a, b in
                let (x, y) = (a.name.lowercased(), b.name.lowercased())
                return x == y ? a.id < b.id : x.utf8.lexicographicallyPrecedes(y.utf8)
            }
            : kept.sorted { $0.id > $1.id }  // made one after another: newest is the highest id
        return sorted.map(\.name)
    }

    @Test func everyOperatorSelectsWhatItSays() throws {
        let s = try TestServer { $0.synchronous = .normal }
        defer { s.stop() }
        let c = try s.client()
        try defineFields(c)
        let made = try makeProfiles(c)
        func number(_ m: Made, _ key: String) -> Double? { m.fields[key] as? Double }
        func text(_ m: Made, _ key: String) -> String? { m.fields[key] as? String }
        let cases: [(String, [String: Any], (Made) -> Bool)] = [
            ("equality", ["tier": "gold"], { text($0, "tier") == "gold" }),
            ("eq", ["tier": ["eq": "silver"]], { text($0, "tier") == "silver" }),
            ("ne: absent or another value", ["tier": ["ne": "gold"]], { text($0, "tier") != "gold" }),
            ("in", ["tier": ["in": ["gold", "bronze"]]], { ["gold", "bronze"].contains(text($0, "tier") ?? "") }),
            ("contains, case-insensitive beyond ASCII", ["remark": ["contains": "ÄPFEL"]],
             { text($0, "remark")?.lowercased().contains("äpfel") == true }),
            ("a range", ["score": ["gte": 10, "lt": 20.5]], { number($0, "score").map { $0 >= 10 && $0 < 20.5 } == true }),
            ("gt on a date", ["since": ["gt": "2023-06-15"]], { text($0, "since").map { $0 > "2023-06-15" } == true }),
            ("lte on a date", ["since": ["lte": "2021-12-31"]], { text($0, "since").map { $0 <= "2021-12-31" } == true }),
            // Strict bounds that are stored values (profile 1's), which
            // they must leave out.
            ("lt on a date, a value", ["since": ["lt": "2021-02-15"]], { text($0, "since").map { $0 < "2021-02-15" } == true }),
            ("gt on a date, a value", ["since": ["gt": "2021-02-15"]], { text($0, "since").map { $0 > "2021-02-15" } == true }),
            ("a boolean", ["vip": true], { ($0.fields["vip"] as? Bool) == true }),
            ("present: false", ["vip": ["present": false]], { $0.fields["vip"] == nil }),
            ("present: true", ["work_email": ["present": true]], { $0.fields["work_email"] != nil }),
            ("an e-mail bound is normalized", ["work_email": "  PERSON7@Example.COM "], { text($0, "work_email") == "person7@example.com" }),
            ("two fields, AND", ["tier": "gold", "vip": true], { text($0, "tier") == "gold" && ($0.fields["vip"] as? Bool) == true }),
        ]
        for sort in ["name", "recent"] {
            for (label, filter, keep) in cases {
                let want = expected(made, sort: sort, keep)
                #expect(try listed(c, ["filter": filter, "sort": sort]) == want, "\(label), \(sort)")
            }
            // With a query: both must hold.
            let withQuery = try listed(c, ["filter": ["tier": "gold"], "query": "anna", "sort": sort])
            #expect(withQuery == expected(made, sort: sort) { text($0, "tier") == "gold" && $0.name.lowercased().contains("anna") })
            let shortQuery = try listed(c, ["filter": ["vip": false], "query": "a", "sort": sort])
            #expect(shortQuery == expected(made, sort: sort) {
                ($0.fields["vip"] as? Bool) == false && $0.name.lowercased().contains("a")
            })
        }
        // A profile that changes leaves or joins the filter's results.
        let first = made[0]
        try c.result("profile.update", ["id": first.id, "fields": ["tier": "bronze"]])
        #expect(!(try listed(c, ["filter": ["tier": "gold"]])).contains(first.name))
        #expect(try listed(c, ["filter": ["tier": "bronze"]]).contains(first.name))
    }

    @Test func badFiltersNameTheirKey() throws {
        let s = try TestServer { $0.synchronous = .normal }
        defer { s.stop() }
        let c = try s.client()
        try defineFields(c)
        let cases: [([String: Any], String)] = [
            (["nope": "x"], "filter.nope"),                              // undefined field
            (["score": ["contains": "1"]], "filter.score"),              // operator does not fit the type
            (["tier": ["gt": "gold"]], "filter.tier"),
            (["score": ["gt": "ten"]], "filter.score"),                  // bound of the wrong type
            (["since": ["lt": "2024-02-30"]], "filter.since"),           // not a real date
            (["tier": "platinum"], "filter.tier"),                       // not an option
            (["vip": ["present": "yes"]], "filter.vip"),
            (["tier": ["like": "g%"]], "filter.tier"),                   // unknown operator
            (["tier": ["gold", "silver"]], "filter.tier"),               // an array is not a value
            (["tier": ["in": [] as [String]]], "filter.tier"),
            (["tier": [:] as [String: Any]], "filter.tier"),
            (["tier": NSNull()], "filter.tier"),
        ]
        for (filter, field) in cases {
            let error = try c.error("profile.list", ["filter": filter])
            #expect(error["code"].int == -32602, "\(filter)")
            #expect(error["data"]["field"].string == field, "\(filter): \(error)")
        }
        #expect(try c.error("profile.list", ["filter": "tier=gold"])["data"]["field"].string == "filter")
    }

    @Test func aCursorBelongsToItsFilter() throws {
        let s = try TestServer { $0.synchronous = .normal }
        defer { s.stop() }
        let c = try s.client()
        try defineFields(c)
        _ = try makeProfiles(c)
        let page = try c.result("profile.list", ["filter": ["tier": "gold"], "limit": 2])
        let cursor = try #require(page["next_cursor"].string)
        // The same filter written differently is the same filter.
        let same = try c.result("profile.list", ["filter": ["tier": ["eq": "gold"]], "limit": 2, "cursor": cursor])
        #expect(same["items"].array.count == 2)
        let other = try c.error("profile.list", ["filter": ["tier": "silver"], "limit": 2, "cursor": cursor])
        #expect(other["data"]["field"].string == "cursor")
        #expect(try c.error("profile.list", ["limit": 2, "cursor": cursor])["data"]["field"].string == "cursor")
    }

    /// An equality pages in the list's order after the profiles change:
    /// a rename moves a profile in name order, any write moves it to the
    /// front of recent order, a value changed or removed takes it out,
    /// and a merge and its unmerge move the values with the profiles
    /// (SQLite pages an equality through copies of the sort keys kept
    /// with each value, migration v8).
    @Test func anEqualityFollowsRenamesWritesAndMerges() throws {
        let s = try TestServer { $0.synchronous = .normal }
        defer { s.stop() }
        let c = try s.client()
        try defineFields(c)
        var ids: [String: Int] = [:]
        for name in ["Dora", "Bea", "Ada", "Cleo", "Eve"] {
            ids[name] = try #require(try c.result("profile.create", ["name": name, "fields": ["tier": "gold"]])["id"].int)
        }
        _ = try c.result("profile.create", ["name": "Fay", "fields": ["tier": "silver"]])
        func gold(_ sort: String) throws -> [String] { try listed(c, ["filter": ["tier": "gold"], "sort": sort]) }
        #expect(try gold("name") == ["Ada", "Bea", "Cleo", "Dora", "Eve"])
        #expect(try gold("recent") == ["Eve", "Cleo", "Ada", "Bea", "Dora"])

        _ = try c.result("profile.update", ["id": ids["Ada"]!, "name": "Zara"])
        #expect(try gold("name") == ["Bea", "Cleo", "Dora", "Eve", "Zara"])
        #expect(try gold("recent") == ["Zara", "Eve", "Cleo", "Bea", "Dora"])
        // A note is a write to its profile too: it moves to the front.
        _ = try c.result("note.add", ["profile_id": ids["Dora"]!, "body": "called"])
        #expect(try gold("recent") == ["Dora", "Zara", "Eve", "Cleo", "Bea"])
        _ = try c.result("profile.update", ["id": ids["Cleo"]!, "fields": ["tier": "bronze"]])
        _ = try c.result("profile.update", ["id": ids["Eve"]!, "fields": ["tier": NSNull()]])
        #expect(try gold("name") == ["Bea", "Dora", "Zara"])

        // Dora absorbs Bea (both gold: Dora keeps hers, Bea's goes);
        // the unmerge brings Bea back with her gold, now written last.
        let merged = try c.result("profile.merge", ["into": ids["Dora"]!, "from": ids["Bea"]!])
        #expect(try gold("name") == ["Dora", "Zara"])
        let mergeID = try #require(merged["merge_id"].int)
        _ = try c.result("profile.unmerge", ["merge_id": mergeID])
        #expect(try gold("name") == ["Bea", "Dora", "Zara"])
        #expect(Set(try gold("recent").prefix(2)) == ["Bea", "Dora"])
        #expect(try gold("recent").last == "Zara")
    }

    /// Text values of several kB are stored, returned whole and found by
    /// every operator on both backends. PostgreSQL indexes a text value's
    /// first 200 characters (a btree entry holds ~2.7 kB), so values that
    /// share those must still be told apart, and a bound of exactly 200
    /// characters must not match a longer value.
    @Test func longTextValuesAreStoredAndFoundWhole() throws {
        let s = try TestServer { $0.synchronous = .normal }
        defer { s.stop() }
        let c = try s.client()
        try defineFields(c)
        let head = String(repeating: "ü", count: 120) + String(repeating: "x", count: 80)   // 200 characters
        // 4,000 letters that do not compress (an index entry may be
        // compressed to fit), the same in both long values.
        var seed: UInt32 = 16
        let noise = String((0..<4_000).map { _ in
            seed = seed &* 1_664_525 &+ 1_013_904_223
            return Character(Unicode.Scalar(UInt8(97 + (seed >> 24) % 26)))
        })
        let values = ["a": head + noise + "end-a", "b": head + noise + "end-b", "head": head, "short": String(head.dropLast())]
        var ids: [String: Int] = [:]
        for (name, value) in values {
            ids[name] = try #require(try c.result("profile.create", ["name": name, "fields": ["remark": value]])["id"].int)
            #expect(try c.result("profile.get", ["id": ids[name]!])["fields"]["remark"].string == value, "\(name) whole")
        }
        func names(_ filter: [String: Any]) throws -> [String] { try listed(c, ["filter": filter]) }
        for (name, value) in values {
            #expect(try names(["remark": value]) == [name], "eq \(name)")
            #expect(try names(["remark": ["ne": value]]) == values.keys.filter { $0 != name }.sorted(), "ne \(name)")
        }
        #expect(try names(["remark": ["in": [values["a"]!, values["head"]!]]]) == ["a", "head"])
        #expect(try names(["remark": ["contains": "END-B"]]) == ["b"])
        #expect(try listed(c, ["filter": ["remark": values["b"]!], "sort": "recent"]) == ["b"])
    }

    /// More profiles than a selective filter's candidates (2,000): a
    /// frequent value is paged by walking the sort order, a rare one by
    /// sorting its few profiles; both page exactly.
    @Test func frequentAndRareValuesPageExactly() throws {
        let s = try TestServer { $0.synchronous = .normal }
        defer { s.stop() }
        let c = try s.client()
        try defineFields(c)
        let count = 2_600
        let silver: Set<Int> = Set(stride(from: 7, to: count, by: 13))   // 200: few
        // Profiles and values straight into the tables (the API would
        // take a while); gold for everyone else.
        if let url = s.server.configuration.postgresURL {
            try TestPostgres.psql(url, """
                INSERT INTO profiles(workspace, name, name_key, created_at, updated_at, search_doc)
                SELECT 'default', n, n, 1000 + i, 1000 + i, n FROM (
                    SELECT i, 'q' || lpad(((i * 7919) % \(count))::text, 5, '0') AS n FROM generate_series(0, \(count - 1)) AS i) AS rows;
                INSERT INTO field_values(workspace, profile_id, key, text_value)
                SELECT 'default', id, 'tier', CASE WHEN (created_at - 1000) % 13 = 7 THEN 'silver' ELSE 'gold' END FROM profiles;
                INSERT INTO field_values(workspace, profile_id, key, number_value)
                SELECT 'default', id, 'score', created_at - 1000 FROM profiles;
                """)
        } else {
            try s.server.database.write { db in
                for i in 0..<count {
                    let name = String(format: "q%05d", (i * 7919) % count)
                    try db.execute(sql: """
                        INSERT INTO profiles(workspace, name, name_key, created_at, updated_at, search_doc) VALUES ('default', ?, ?, ?, ?, ?)
                        """, arguments: [name, name, 1000 + i, 1000 + i, name])
                    let id = db.lastInsertedRowID
                    try db.execute(sql: "INSERT INTO field_values(profile_id, workspace, key, value) VALUES (?, 'default', 'tier', ?)",
                                   arguments: [id, silver.contains(i) ? "silver" : "gold"])
                    try db.execute(sql: "INSERT INTO field_values(profile_id, workspace, key, value) VALUES (?, 'default', 'score', ?)",
                                   arguments: [id, Double(i)])
                }
            }
        }
        let names = (0..<count).map { String(format: "q%05d", ($0 * 7919) % count) }
        for (tier, keep) in [("gold", { (i: Int) in !silver.contains(i) }), ("silver", { (i: Int) in silver.contains(i) })] {
            let byName = names.indices.filter(keep).map { names[$0] }.sorted()
            let byRecent = names.indices.filter(keep).reversed().map { names[$0] }
            let pages = try c.collectPages("profile.list", ["filter": ["tier": tier]], limit: 500)
            #expect(pages.items.compactMap { $0["name"].string } == byName, "\(tier) by name")
            let recent = try c.collectPages("profile.list", ["filter": ["tier": tier], "sort": "recent"], limit: 500)
            #expect(recent.items.compactMap { $0["name"].string } == byRecent, "\(tier) by recent")
            // Small pages: each fills within the first profiles walked
            // (SQLite's filteredWalk), the large ones above do not.
            let small = try c.collectPages("profile.list", ["filter": ["tier": tier]], limit: tier == "gold" ? 50 : 10)
            #expect(small.items.compactMap { $0["name"].string } == byName, "\(tier) by name, small pages")
            let smallRecent = try c.collectPages("profile.list", ["filter": ["tier": tier], "sort": "recent"], limit: tier == "gold" ? 50 : 10)
            #expect(smallRecent.items.compactMap { $0["name"].string } == byRecent, "\(tier) by recent, small pages")
            // With a query of three characters.
            let queried = try c.collectPages("profile.list", ["filter": ["tier": tier], "query": "q01"], limit: 50)
            #expect(queried.items.compactMap { $0["name"].string } == byName.filter { $0.contains("q01") }, "\(tier) with a query")
            // A frequent equality and a narrow range on another field: the
            // range's few profiles are looked up, then tested.
            let ranged = try c.collectPages("profile.list", ["filter": ["tier": tier, "score": ["gte": 100, "lt": 140]]], limit: 7)
            let inRange = names.indices.filter { keep($0) && (100..<140).contains($0) }.map { names[$0] }.sorted()
            #expect(ranged.items.compactMap { $0["name"].string } == inRange, "\(tier) and a range")
        }
    }
}
