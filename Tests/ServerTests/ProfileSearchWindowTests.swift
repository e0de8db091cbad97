import Foundation
import GRDB
import ProfilesTestSupport
import Testing

/// Search over more profiles than one bounded walk covers: the strategy
/// switches (trigram index, walk, short pages) must never lose or repeat
/// a match. Profiles are inserted straight into the file for speed; the
/// search document and the trigram index follow by trigger, as in the
/// server.
@Suite struct ProfileSearchWindowTests {
    /// Inserts `count` profiles named `name-N`; `matching` of them, spread
    /// out, also carry `marker` in their name.
    private func seed(_ s: TestServer, count: Int, matching: Set<Int>, marker: String) throws {
        if let url = s.server.configuration.postgresURL {
            // The same rows in one statement (ids from the sequence).
            let marked = matching.sorted().map(String.init).joined(separator: ",")
            try TestPostgres.psql(url, """
                INSERT INTO profiles(workspace, name, name_key, created_at, updated_at, search_doc)
                SELECT 'default', n, lower(n), 1000 + i, 1000 + i, lower(n) FROM (
                    SELECT i, 'p' || lpad(i::text, 6, '0') || CASE WHEN i = ANY(ARRAY[\(marked)]::int[]) THEN ' \(marker)' ELSE '' END AS n
                    FROM generate_series(0, \(count - 1)) AS i) AS rows
                """)
            return
        }
        try s.server.database.write { db in
            let statement = try db.makeStatement(sql: """
                INSERT INTO profiles(workspace, name, name_key, created_at, updated_at, search_doc) VALUES ('default', ?, ?, ?, ?, ?)
                """)
            for i in 0..<count {
                let name = String(format: "p%06d", i) + (matching.contains(i) ? " \(marker)" : "")
                try statement.execute(arguments: [name, name.lowercased(), 1000 + i, 1000 + i, name.lowercased()])
            }
        }
    }

    /// Inserts profiles with the given names and search documents, in
    /// order (`created_at`/`updated_at` 1000, 1001, …). No name or
    /// document may hold a quote.
    private func insert(_ s: TestServer, _ rows: [(name: String, doc: String)]) throws {
        if let url = s.server.configuration.postgresURL {
            let values = rows.enumerated().map { i, row in
                "('default', '\(row.name)', '\(row.name.lowercased())', \(1000 + i), \(1000 + i), '\(row.doc)')"
            }
            for start in stride(from: 0, to: values.count, by: 1_000) {  // an argument holds at most 128 kB
                try TestPostgres.psql(url, "INSERT INTO profiles(workspace, name, name_key, created_at, updated_at, search_doc) VALUES "
                                      + values[start..<min(start + 1_000, values.count)].joined(separator: ","))
            }
        } else {
            try s.server.database.write { db in
                let statement = try db.makeStatement(sql: """
                    INSERT INTO profiles(workspace, name, name_key, created_at, updated_at, search_doc) VALUES ('default', ?, ?, ?, ?, ?)
                    """)
                for (i, row) in rows.enumerated() {
                    try statement.execute(arguments: [row.name, row.name.lowercased(), 1000 + i, 1000 + i, row.doc])
                }
            }
        }
    }

    /// Documents longer than what PostgreSQL's sort indexes carry of them
    /// (`search_head`, 500 characters): a match past the head is found by
    /// every strategy, and a long document that does not match is not
    /// taken for one.
    @Test func matchesPastTheFirst500CharactersAreFound() throws {
        let s = try TestServer { $0.synchronous = .normal }
        defer { s.stop() }
        let filler = String(repeating: "filler ", count: 100)  // 700 characters
        var rows = (0..<3_000).map { i -> (name: String, doc: String) in
            let name = String(format: "p%06d", i)
            return (name, name)
        }
        rows[50] = ("p000050 longer", "p000050 longer\n" + filler)                    // a full head, no match
        rows[100] = ("p000100 long", "p000100 long\n" + filler + "tailmatch kx")      // the match is past the head
        try insert(s, rows)
        let c = try s.client()
        for sort in ["name", "recent"] {
            for query in ["tailmatch", "kx"] {
                let found = try c.collectPages("profile.list", ["query": query, "sort": sort], limit: 20)
                #expect(found.items.compactMap { $0["name"].string } == ["p000100 long"], "\(sort) '\(query)'")
            }
            let both = try c.collectPages("profile.list", ["query": "filler", "sort": sort], limit: 20)
            #expect(Set(both.items.compactMap { $0["name"].string }) == ["p000050 longer", "p000100 long"], "\(sort)")
        }
        // A frequent term whose page holds both long documents.
        let page = try c.result("profile.list", ["query": "p0000", "limit": 60])["items"].array.compactMap { $0["name"].string }
        #expect(page.count == 60)
        #expect(page.contains("p000050 longer"))
        #expect(page == page.sorted())
    }

    @Test func shortQueryPagesResumeAcrossWalkWindows() throws {
        let s = try TestServer { $0.synchronous = .normal }
        defer { s.stop() }
        let matching: Set<Int> = [3, 20_500, 41_000, 41_001]  // beyond one window of 20,000
        try seed(s, count: 45_000, matching: matching, marker: "qz")
        let c = try s.client()
        for sort in ["name", "recent"] {
            let pages = try c.collectPages("profile.list", ["query": "qz", "sort": sort], limit: 10)
            let names = pages.items.compactMap { $0["name"].string }
            #expect(names.count == matching.count, "\(sort): \(names)")
            #expect(Set(names).count == names.count, "\(sort): repeated items")
            #expect(pages.pages > 1, "\(sort): a bounded walk should have split the search into pages")
        }
    }

    @Test func frequentAndRareTermsFindEveryMatch() throws {
        let s = try TestServer { $0.synchronous = .normal }
        defer { s.stop() }
        // 'xyzzy' is rare (trigram index path); every name has 'p0' (walk).
        let rare: Set<Int> = [10, 9_000, 24_999]
        try seed(s, count: 25_000, matching: rare, marker: "xyzzy")
        let c = try s.client()
        let found = try c.collectPages("profile.list", ["query": "XYZZY"], limit: 2)
        #expect(found.items.count == rare.count)
        let frequent = try c.result("profile.list", ["query": "p01", "limit": 50])
        let names = frequent["items"].array.compactMap { $0["name"].string }
        #expect(names.count == 50)
        #expect(names == names.sorted())
        #expect(names.first == "p010000")
        #expect(frequent["next_cursor"].string != nil)
    }

    /// A frequent term whose matches cluster late in name order ("phie"
    /// inside every "Sophie …") is paged by splitting off the cluster;
    /// the pages must equal a sort of every match by name bytes.
    @Test func clusteredMatchesPageInExactNameOrder() throws {
        let s = try TestServer { $0.synchronous = .normal }
        defer { s.stop() }
        // Matches outside the cluster, inserted first so the sample sees
        // them too, then 2,500 "sophie …" (ä sorts after z as bytes), then
        // 6,000 non-matching names ahead of the cluster in name order.
        var names = ["b phie 1", "c xphie 2", "zz phie 3"]
        names += (0..<2_500).map { String(format: "sophie %05d", $0) } + ["sophie ä", "sophie z", "Sophie Ärger"]
        names += (0..<6_000).map { String(format: "anna %05d", $0) }
        try insert(s, names.map { ($0, $0.lowercased()) })
        let expected = names.filter { $0.lowercased().contains("phie") }
            .sorted { $0.lowercased().utf8.lexicographicallyPrecedes($1.lowercased().utf8) }
        let c = try s.client()
        let pages = try c.collectPages("profile.list", ["query": "PHIE"], limit: 100)
        let found = pages.items.compactMap { $0["name"].string }
        #expect(found.count == expected.count)
        #expect(found == expected)
        let first = try c.result("profile.list", ["query": "sophie", "limit": 3])["items"].array.compactMap { $0["name"].string }
        #expect(first == ["sophie 00000", "sophie 00001", "sophie 00002"])
    }
}
