import Foundation
import GRDB
import ProfilesServerKit
import ProfilesSQLite
import ProfilesStore
import ProfilesTestSupport
import Testing

/// `ping`, `hello`, `health`, `stats` over a real socket.
@Suite struct SystemMethodTests {
    @Test func pingAnswersPong() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        #expect(try c.result("ping").string == "pong")
    }

    @Test func helloDescribesTheServer() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let hello = try c.result("hello")
        #expect(hello["server"].string == "profiles-server")
        #expect(hello["version"].string == ProfilesServer.version)
        #expect(hello["protocol"].int == 1)
        #expect(hello["auth_required"].bool == false)
        let methods = hello["methods"].array.compactMap(\.string)
        for name in ["ping", "hello", "health", "stats"] {
            #expect(methods.contains(name), "\(name) missing from \(methods)")
        }
        // The list is the bus's registry, not a hand-kept copy.
        #expect(methods == s.server.bus.methodNames)
        #expect(methods == methods.sorted())
    }

    @Test func healthReportsWAL() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let health = try c.result("health")
        #expect(health["status"].string == "ok")
        #expect(health["database"].string == "ok")
        #expect(health["journal_mode"].string == (TestBackend.isPostgres ? "postgresql" : "wal"))
    }

    @Test func statsCountsConnectionsAndRequests() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        _ = try c.result("ping")
        _ = try c.result("ping")
        _ = try c.result("health")
        _ = try c.error("nope")                       // unknown method: pooled, an error
        _ = try c.error("ping", ["bogus": true])      // known method, failed
        try c.sendLine("not json")                    // never reaches a method
        _ = try c.readLine()
        try c.sendLine(#"{"method":"ping"}"#)         // notification: executed, counted
        let stats = try c.result("stats")
        #expect((stats["uptime_seconds"].double ?? -1) >= 0)
        #expect(stats["connections"]["current"].int == 1)
        #expect(stats["connections"]["total"].int == 1)
        let requests = stats["requests"]
        // The stats call itself is counted after it answers.
        #expect(requests["total"].int == 7)
        #expect(requests["errors"].int == 3)
        #expect(requests["by_method"]["ping"].int == 4)
        #expect(requests["by_method"]["health"].int == 1)
        #expect(requests["by_method"]["(unknown)"].int == 1)
        #expect(requests["by_method"]["nope"].exists == false, "unknown names are pooled")
        #expect(requests["by_method"]["stats"].exists == false)
        #expect((stats["database"]["size_bytes"].int ?? 0) > 0)
        #expect((stats["database"]["wal_bytes"].int ?? -1) >= 0)

        let again = try c.result("stats")
        #expect(again["requests"]["total"].int == 8)
        #expect(again["requests"]["by_method"]["stats"].int == 1)
        #expect((again["uptime_seconds"].double ?? -1) >= (stats["uptime_seconds"].double ?? 0))
    }

    @Test func statsSeesOtherConnectionsComeAndGo() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        do {
            let other = try s.client()
            _ = try other.result("ping")
            let stats = try c.result("stats")
            #expect(stats["connections"]["current"].int == 2)
            #expect(stats["connections"]["total"].int == 2)
            // Counters are server-wide, not per connection.
            #expect(stats["requests"]["by_method"]["ping"].int == 1)
        }
        let gone = eventually { (try? c.result("stats")["connections"]["current"].int) == 1 }
        #expect(gone)
        #expect(try c.result("stats")["connections"]["total"].int == 2)
    }

    @Test(.sqliteOnly) func walBytesGrowWithTheWAL() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let reported = try c.result("stats")["database"]
        let onDisk = (try? FileManager.default.attributesOfItem(atPath: s.databasePath + "-wal")[.size] as? NSNumber)?.intValue ?? 0
        #expect(reported["wal_bytes"].int == onDisk)
        let file = try FileManager.default.attributesOfItem(atPath: s.databasePath)[.size] as? NSNumber
        #expect(reported["size_bytes"].int == file?.intValue)
    }
}

/// The SQLite file behind the server (SPEC §2, §10).
@Suite struct StoreTests {
    @Test(.sqliteOnly) func databaseFileIsInWALMode() throws {
        let s = try TestServer(); defer { s.stop() }
        #expect(try s.server.database.journalMode() == "wal")
        // An independent connection sees the persistent journal mode too.
        var config = Configuration()
        config.readonly = true
        let queue = try DatabaseQueue(path: s.databasePath, configuration: config)
        let mode = try queue.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        try queue.close()
    }

    @Test(.sqliteOnly) func synchronousIsFullByDefault() throws {
        let s = try TestServer(); defer { s.stop() }
        #expect(s.server.configuration.synchronous == .full)
        #expect(try s.server.database.currentSynchronousLevel() == 2)
    }

    @Test(.sqliteOnly) func synchronousNormalWhenConfigured() throws {
        let s = try TestServer { $0.synchronous = .normal }; defer { s.stop() }
        #expect(try s.server.database.currentSynchronousLevel() == 1)
    }

    @Test(.sqliteOnly) func shutdownCheckpointsTheWALAndKeepsWALMode() throws {
        // Not `stop()`: the files are checked after the shutdown, before the
        // directory is removed.
        let s = try TestServer()
        defer { try? FileManager.default.removeItem(at: s.directory) }
        let c = try s.client()
        #expect(try c.result("ping").string == "pong")
        s.server.shutdown()
        // The open connection was closed by the shutdown.
        #expect(try c.readEOF())
        let wal = (try? FileManager.default.attributesOfItem(atPath: s.databasePath + "-wal")[.size] as? NSNumber)?.intValue ?? 0
        #expect(wal == 0)
        let queue = try DatabaseQueue(path: s.databasePath)
        #expect(try queue.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") } == "wal")
        #expect(try queue.read { db in try db.tableExists("profiles") }, "migrated")
        try queue.close()
    }
}
