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
}
