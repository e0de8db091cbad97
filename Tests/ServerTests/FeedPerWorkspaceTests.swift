import Foundation
import GRDB
import ProfilesSQLite
import ProfilesStore
import ProfilesTestSupport
import Testing

/// The change feed's seq counts per workspace (SPEC §9, issue 15 item 4):
/// dense (1, 2, 3, … with no gap) and in the workspace's commit order, as
/// the PostgreSQL store numbers it. A file from before keeps its seqs, and
/// every workspace continues after the largest (migration
/// v5-feed-per-workspace).
@Suite struct FeedPerWorkspaceTests {
    private static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/main-b20657d.sql")

    private func seqs(_ c: LineClient, _ workspace: String, after: Int? = nil) throws -> [Int] {
        var params: [String: Any] = ["workspace": workspace, "limit": 500]
        if let after { params["after"] = after }
        return try c.result("events.read", params)["events"].array.compactMap { $0["seq"].int }
    }

    @Test func twoWorkspacesWrittenInterleavedEachCountFromOne() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        for i in 0..<5 {
            _ = try c.makeProfile("acme \(i)", ["workspace": "acme"])
            _ = try c.makeProfile("globex \(i)", ["workspace": "globex"])
            if i % 2 == 0 { _ = try c.makeContact("sms", "+491510000000\(i)", workspace: "globex") }
        }
        #expect(try seqs(c, "acme") == Array(1...5))
        #expect(try seqs(c, "globex") == Array(1...8))
        let events = try c.result("events.read", ["workspace": "globex", "after": 0, "limit": 500])["events"].array
        #expect(events.allSatisfy { $0["workspace"].string == "globex" })
        #expect(events.compactMap { $0["type"].string }.prefix(3) == ["profile.created", "contact.created", "profile.created"])

        let page = try c.result("events.read", ["workspace": "acme", "after": 3, "limit": 1])
        #expect(page["events"].array.compactMap { $0["seq"].int } == [4])
        #expect(page["first_seq"].int == 1 && page["head_seq"].int == 5 && page["last_seq"].int == 4)
        // A workspace that never wrote: nothing, from 0.
        let empty = try c.result("events.read", ["workspace": "initech"])
        #expect(empty["events"].array.isEmpty && empty["first_seq"].isNull && empty["head_seq"].int == 0)
        #expect(empty["last_seq"].int == 0)
        // The newest seq is the workspace's own: 8 exists in globex only.
        try expectInvalidParam(c, "events.read", ["workspace": "acme", "after": 8], field: "after")
        try expectInvalidParam(c, "events.subscribe", ["workspace": "acme", "after": 6], field: "after")
        #expect(try seqs(c, "globex", after: 5) == [6, 7, 8])
        // Subscribing without `after` starts at the workspace's newest.
        let sub = try s.client()
        #expect(try sub.result("events.subscribe", ["workspace": "acme"])["after"].int == 5)
        _ = try c.makeProfile("globex later", ["workspace": "globex"])
        _ = try c.makeProfile("acme later", ["workspace": "acme"])
        let pushed = JSONObject(try sub.readJSON())["params"]
        #expect(pushed["workspace"].string == "acme" && pushed["seq"].int == 6)
        #expect(try seqs(c, "globex", after: 8) == [9])
    }

    /// Four writers in two workspaces, every other request failing, while a
    /// subscriber per workspace follows: each workspace's events arrive as
    /// 1, 2, 3, … with nothing missing and nothing twice.
    @Test func concurrentWritersInTwoWorkspacesGiveDenseSeqsToTheirSubscribers() throws {
        let s = try TestServer { $0.synchronous = .normal }
        defer { s.stop() }
        let workspaces = ["acme", "globex"]
        let perWriter = 60
        let subscribers = try workspaces.map { workspace in
            let sub = try s.client()
            #expect(try sub.result("events.subscribe", ["workspace": workspace, "after": 0])["after"].int == 0)
            return sub
        }
        let done = DispatchGroup()
        let port = s.port
        let failures = OutcomeLog()
        for w in 0..<4 {
            let workspace = workspaces[w % 2]
            DispatchQueue.global().async(group: done) {
                guard let client = try? LineClient(port: port) else { return failures.record(w, ok: false) }
                for i in 0..<perWriter {
                    if (try? client.result("profile.create", ["workspace": workspace, "name": "w\(w)-\(i)"])) == nil {
                        failures.record(w, ok: false)
                    }
                    // Fails, in the same batches as the others' writes.
                    _ = try? client.call(i % 2 == 0 ? "profile.update" : "profile.create",
                                         i % 2 == 0 ? ["workspace": workspace, "id": 999_999, "name": "x"]
                                                    : ["workspace": workspace, "name": ""])
                }
            }
        }
        for (workspace, sub) in zip(workspaces, subscribers) {
            var seen: [Int] = []
            for _ in 0..<(2 * perWriter) {
                let line = try #require(try sub.readLine(), "\(workspace): closed after \(seen.count) events")
                let event = JSONObject(try JSONSerialization.jsonObject(with: Data(line.utf8)))["params"]
                #expect(event["workspace"].string == workspace)
                seen.append(try #require(event["seq"].int))
            }
            #expect(seen == Array(1...(2 * perWriter)), "\(workspace): gap or duplicate in \(seen)")
        }
        #expect(done.wait(timeout: .now() + 60) == .success)
        #expect(failures.failed.isEmpty)
        let c = try s.client()
        for workspace in workspaces {
            #expect(try c.result("events.read", ["workspace": workspace, "limit": 1])["head_seq"].int == 2 * perWriter)
        }
    }

    /// Writes that fail after their event was written (here: their
    /// idempotency key is taken, the last step of Journal.record) roll back
    /// with their savepoint, seq included, and the other writes of the same
    /// group-commit transaction keep dense seqs.
    @Test(.sqliteOnly) func aWriteRolledBackInABatchGivesItsSeqBack() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let database = try ProfilesDatabase(path: dir.appendingPathComponent("f.sqlite").path)
        defer { try? database.close() }
        try database.write { db in
            try db.execute(sql: """
                INSERT INTO idempotency_keys(workspace, key, method, request, answer, at) VALUES
                    ('acme', 'taken', 'profile.create', '{}', '{}', ?1), ('globex', 'taken', 'profile.create', '{}', '{}', ?1)
                """, arguments: [Int64(Date().timeIntervalSince1970 * 1000)])
        }
        let commitsBefore = database.groupCommitCounts.commits
        let outcomes = OutcomeLog()
        let finished = DispatchSemaphore(value: 0)
        let box = DatabaseBox(database)
        // One submitted body: every write in it runs in one transaction,
        // each in a savepoint of its own.
        database.submit({
            for i in 0..<12 {
                let workspace = i % 2 == 0 ? "acme" : "globex"
                let intent = WriteIntent(workspace: workspace, method: "profile.create", request: #"{"name":"w\#(i)"}"#,
                                         idempotencyKey: i % 3 == 0 ? "taken" : nil) { _ in
                    WriteIntent.Record(eventType: "profile.created", entity: "\(i)", answer: "{}")
                }
                do {
                    _ = try WriteIntent.$current.withValue(intent) {
                        try box.database.write { db in
                            try db.execute(sql: """
                                INSERT INTO profiles(workspace, name, name_key, created_at, updated_at) VALUES (?, ?, ?, 0, 0)
                                """, arguments: [workspace, "w\(i)", "w\(i)"])
                            return i
                        }
                    }
                    outcomes.record(i, ok: true)
                } catch is IdempotencyKeyTaken {
                    outcomes.record(i, ok: false)
                }
            }
        }, done: { failure in
            if failure != nil { outcomes.record(-1, ok: false) }
            finished.signal()
        })
        finished.wait()
        #expect(outcomes.failed == [0, 3, 6, 9])
        #expect(database.groupCommitCounts.commits == commitsBefore + 1, "the twelve writes shared one commit")
        let (rows, heads, names) = try database.read { db in
            (try Row.fetchAll(db, sql: "SELECT workspace, seq, entity FROM events ORDER BY workspace, seq")
                .map { "\($0[0] as String) \($0[1] as Int64) \($0[2] as String)" },
             try Row.fetchAll(db, sql: "SELECT workspace, last_seq FROM feed_heads ORDER BY workspace")
                .map { "\($0[0] as String) \($0[1] as Int64)" },
             Set(try String.fetchAll(db, sql: "SELECT name FROM profiles")))
        }
        // acme: 2, 4, 8, 10 (0 and 6 failed); globex: 1, 5, 7, 11 (3 and 9 failed).
        #expect(rows == ["acme 1 2", "acme 2 4", "acme 3 8", "acme 4 10",
                         "globex 1 1", "globex 2 5", "globex 3 7", "globex 4 11"])
        #expect(heads == ["acme 4", "globex 4"])
        #expect(names == Set([1, 2, 4, 5, 7, 8, 10, 11].map { "w\($0)" }))
        let page = try database.feedPage(workspace: "globex", after: nil, limit: 50)
        #expect(page.events.map(\.seq) == [1, 2, 3, 4] && page.firstSeq == 1 && page.headSeq == 4)
    }

    @Test func retentionPrunesEachWorkspaceFromItsOwnSeqs() throws {
        let s = try TestServer { $0.eventsRetention = 1 }
        defer { s.stop() }
        let c = try s.client()
        for i in 0..<3 { _ = try c.makeProfile("acme \(i)", ["workspace": "acme"]) }
        _ = try c.makeProfile("globex", ["workspace": "globex"])
        #expect(try eventually(timeout: 10) {
            try c.call("events.read", ["workspace": "acme", "after": 0])["error"]["data"]["pruned_through"].int == 3
                && c.call("events.read", ["workspace": "globex", "after": 0])["error"]["data"]["pruned_through"].int == 1
        })
        let acme = try c.result("events.read", ["workspace": "acme"])
        #expect(acme["events"].array.isEmpty && acme["first_seq"].isNull)
        #expect(acme["head_seq"].int == 3 && acme["last_seq"].int == 3, "the head is not pruned: follow from it")
        // Subscribing at the head works once the events are gone.
        #expect(try s.client().result("events.subscribe", ["workspace": "acme", "after": 3])["after"].int == 3)
        _ = try c.makeProfile("globex new", ["workspace": "globex"])
        #expect(try seqs(c, "globex", after: 1) == [2])
        #expect(try seqs(c, "acme", after: 3).isEmpty)
    }

    /// profile.erase rewrites the events of its own workspace only, though
    /// another workspace has events with the same seqs.
    @Test(.sqliteOnly) func eraseRewritesOnlyItsWorkspacesEvents() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        for workspace in ["acme", "globex"] {
            let id = try #require(try c.makeProfile("\(workspace) Person", ["workspace": workspace])["id"].int)
            _ = try c.result("note.add", ["workspace": workspace, "profile_id": id, "body": "\(workspace) note"])
        }
        let globexBefore = try c.result("events.read", ["workspace": "globex"])["events"].array.map(\.canonical)
        let acmeProfile = try #require(try c.result("events.read", ["workspace": "acme"])["events"][0]["id"].int)
        #expect(try c.result("profile.erase", ["workspace": "acme", "id": acmeProfile])["events_rewritten"].int == 2)
        let acme = try c.result("events.read", ["workspace": "acme"])["events"].array
        #expect(acme.compactMap { $0["seq"].int } == [1, 2, 3])
        #expect(acme.prefix(2).allSatisfy { $0["data"]["erased"].bool == true })
        #expect(try c.result("events.read", ["workspace": "globex"])["events"].array.map(\.canonical) == globexBefore)
    }

    // MARK: - Migration of an older file

    /// Loads the old file (Tests/Fixtures/main-b20657d.sql: eleven events
    /// of `default`, seq 1…11, from the global counter), then runs `more`
    /// on it in its old schema.
    private func oldFile(_ directory: URL, _ more: String) throws -> String {
        let path = directory.appendingPathComponent("old.sqlite").path
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: try String(contentsOf: Self.fixture, encoding: .utf8))
            try db.execute(sql: more)
        }
        try queue.close()
        return path
    }

    @Test(.sqliteOnly) func anOldFileKeepsItsSeqsAndEveryWorkspaceContinuesAfterTheLargest() throws {
        let directory = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: directory) }
        // Two more workspaces wrote in the old global numbering: acme got
        // 12 and 13, default 14, and 15 (initech's) was deleted since.
        let path = try oldFile(directory, """
            INSERT INTO events(seq, workspace, type, entity, at, data) VALUES
                (12, 'acme', 'profile.created', '3', 1796113418680, '{"params":{},"profiles":[],"result":{}}'),
                (13, 'acme', 'profile.updated', '3', 1796113418681, '{"params":{},"profiles":[],"result":{}}'),
                (14, 'default', 'profile.created', '4', 1796113418682, '{"params":{},"profiles":[],"result":{}}'),
                (15, 'initech', 'profile.created', '5', 1796113418683, '{"params":{},"profiles":[],"result":{}}');
            DELETE FROM events WHERE seq = 15;
            """)
        #expect(try DatabaseQueue(path: path).read { try Int.fetchOne($0, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'events'") } == 15)

        let s = try TestServer { $0.databasePath = path }
        defer { s.stop() }
        let c = try s.client()
        // Every old seq is kept, in its workspace.
        #expect(try seqs(c, "default") == Array(1...11) + [14])
        #expect(try seqs(c, "acme") == [12, 13])
        for workspace in ["default", "acme", "initech", "globex"] {
            let page = try c.result("events.read", ["workspace": workspace, "limit": 1])
            #expect(page["head_seq"].int == 15, "\(workspace): the old feed's last seq")
        }
        #expect(try c.result("events.read", ["workspace": "acme", "limit": 1])["first_seq"].int == 12)
        // A seq the old feed handed out in another workspace is no seq
        // beyond this one's head: a subscriber told 15 resumes from it.
        #expect(try seqs(c, "acme", after: 15).isEmpty)
        #expect(try s.client().result("events.subscribe", ["workspace": "globex"])["after"].int == 15)

        // New events continue after the largest, then count by one in
        // each workspace.
        _ = try c.makeProfile("default new")
        _ = try c.makeProfile("acme new", ["workspace": "acme"])
        _ = try c.makeProfile("acme newer", ["workspace": "acme"])
        _ = try c.makeProfile("globex new", ["workspace": "globex"])
        _ = try c.makeProfile("initech new", ["workspace": "initech"])
        #expect(try seqs(c, "default", after: 11) == [14, 16])
        #expect(try seqs(c, "acme") == [12, 13, 16, 17])
        #expect(try seqs(c, "globex") == [16])
        #expect(try seqs(c, "initech") == [16])
        try expectInvalidParam(c, "events.read", ["workspace": "globex", "after": 17], field: "after")

        let check = try DatabaseQueue(path: path, configuration: { var c = Configuration(); c.readonly = true; return c }())
        let (integrity, oldTable, key) = try check.read { db in
            (try String.fetchOne(db, sql: "PRAGMA integrity_check"), try db.tableExists("feed_state"),
             try db.primaryKey("events").columns)
        }
        #expect(integrity == "ok" && !oldTable && key == ["workspace", "seq"])
    }

    @Test(.sqliteOnly) func anOldFileKeepsWhatRetentionRemoved() throws {
        let directory = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: directory) }
        // Retention had removed seqs 1…3.
        let path = try oldFile(directory, """
            DELETE FROM events WHERE seq <= 3;
            UPDATE feed_state SET pruned_through = 3;
            """)
        let s = try TestServer { $0.databasePath = path }
        defer { s.stop() }
        let c = try s.client()
        let page = try c.result("events.read", ["limit": 500])
        #expect(page["events"].array.compactMap { $0["seq"].int } == Array(4...11))
        #expect(page["first_seq"].int == 4 && page["head_seq"].int == 11)
        for workspace in ["default", "globex"] {
            let error = try c.error("events.read", ["workspace": workspace, "after": 2])
            #expect(error["data"]["reason"].string == "events_pruned" && error["data"]["pruned_through"].int == 3)
        }
        // A workspace with no event yet starts after the old feed's last seq.
        _ = try c.makeProfile("globex new", ["workspace": "globex"])
        #expect(try seqs(c, "globex", after: 3) == [12])
        _ = try c.makeProfile("default new")
        #expect(try seqs(c, "default", after: 11) == [12])
    }
}
