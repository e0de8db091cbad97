import Foundation
import GRDB
import ProfilesSQLite
import ProfilesStore
import ProfilesTestSupport
import Testing

/// Group commit: concurrent writes share a transaction, but each stays
/// atomic on its own (SPEC §10, issue "Fast" item 4).
@Suite struct GroupCommitTests {
    struct Refused: Error {}

    @Test(.sqliteOnly) func failingWritesInABatchDoNotUndoTheOthers() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let database = try ProfilesDatabase(path: dir.appendingPathComponent("g.sqlite").path)
        defer { try? database.close() }
        let writers = 64
        let outcomes = OutcomeLog()
        let group = DispatchGroup()
        let box = DatabaseBox(database)
        for i in 0..<writers {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                let database = box.database
            do {
                try database.write { db in
                    try db.execute(sql: """
                        INSERT INTO profiles(workspace, name, name_key, created_at, updated_at) VALUES ('default', ?, ?, 0, 0)
                        """, arguments: ["w\(i)", "w\(i)"])
                    // Every third write fails after writing: its row must go.
                    if i % 3 == 0 { throw Refused() }
                }
                outcomes.record(i, ok: true)
            } catch {
                outcomes.record(i, ok: false)
            }
            }
        }
        group.wait()
        let counts = database.groupCommitCounts
        #expect(counts.writes == writers)
        #expect(counts.commits < writers, "64 concurrent writers should share commits: \(counts)")
        print("group commit: \(counts.writes) writes in \(counts.commits) commits")
        let names = try database.read { db in Set(try String.fetchAll(db, sql: "SELECT name FROM profiles")) }
        let expected = Set((0..<writers).filter { $0 % 3 != 0 }.map { "w\($0)" })
        #expect(names == expected)
        #expect(outcomes.succeeded == Set((0..<writers).filter { $0 % 3 != 0 }))
    }

    @Test(.sqliteOnly) func writesFromOneConnectionKeepTheirOrder() throws {
        let s = try TestServer { $0.synchronous = .normal }
        defer { s.stop() }
        let writers = try (0..<4).map { _ in try s.client() }
        let group = DispatchGroup()
        let failures = OutcomeLog()
        for (w, client) in writers.enumerated() {
            group.enter()
            let box = ClientBox(client)
            Thread.detachNewThread {
                defer { group.leave() }
                do {
                    let profile = try box.client.result("profile.create", ["name": "writer \(w)"])
                    let id = profile["id"].int!
                    // Each update depends on the one before: versions must climb by one.
                    for step in 1...25 {
                        let updated = try box.client.result("profile.update",
                                                            ["id": id, "name": "writer \(w) step \(step)", "expected_version": step])
                        if updated["version"].int != step + 1 { failures.record(w, ok: false) }
                    }
                } catch {
                    failures.record(w, ok: false)
                }
            }
        }
        group.wait()
        #expect(failures.failed.isEmpty)
    }
}

/// `ProfilesDatabase` is Sendable already; the box only keeps the test's
/// closure capture simple.
struct DatabaseBox: Sendable {
    let database: ProfilesDatabase
    init(_ database: ProfilesDatabase) { self.database = database }
}

/// `@unchecked Sendable`: guarded by `lock`.
final class OutcomeLog: @unchecked Sendable {
    private let lock = NSLock()
    private var ok = Set<Int>()
    private var bad = Set<Int>()
    func record(_ i: Int, ok success: Bool) { lock.withLock { _ = success ? ok.insert(i) : bad.insert(i) } }
    var succeeded: Set<Int> { lock.withLock { ok } }
    var failed: Set<Int> { lock.withLock { bad } }
}

/// `@unchecked Sendable`: each client is used by exactly one thread.
final class ClientBox: @unchecked Sendable {
    let client: LineClient
    init(_ client: LineClient) { self.client = client }
}
