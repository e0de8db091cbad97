import Foundation
import GRDB
import ProfilesTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `profiles-server backup`: an online copy taken from another process
/// while the server serves writers, and the restore the README describes.
@Suite(.serialized) struct BackupTests {
    private func backup(_ arguments: [String], environment: [String: String] = [:])
        throws -> (status: Int32?, stdout: String, stderr: String)
    {
        try ChildProcess.run(try Binaries.url("profiles-server"), ["backup"] + arguments, environment: environment, timeout: 60)
    }

    /// The request number at the end of a writer's name (`backup-w2-17`).
    private func sequence(_ name: String) -> Int { Int(name.split(separator: "-").last ?? "") ?? 0 }

    @Test func backupUnderWriteLoadIsConsistentAndRestores() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("live/profiles.sqlite").path
        // A folder that does not exist yet: the command creates it.
        let file = dir.appendingPathComponent("backups/profiles-backup.sqlite").path
        // Ballast, ~16 MB in a table of its own: the copy then takes
        // thousands of steps, and the server commits many times meanwhile.
        try FileManager.default.createDirectory(atPath: (db as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let seed = try DatabaseQueue(path: db)
        try seed.write { db in
            try db.execute(sql: "CREATE TABLE ballast(data BLOB NOT NULL)")
            try db.execute(sql: """
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4000)
                INSERT INTO ballast(data) SELECT randomblob(3500) FROM n
                """)
        }
        try seed.close()
        var server = try ServerProcess(["--port", "0", "--db", db])
        defer { server.child.killIfRunning() }

        // Some profiles first, then the backup while four writers keep going.
        let load = WriteLoad(port: server.port, prefix: "backup")
        defer {
            load.stop()
            _ = load.waitUntilFinished(timeout: 30)
        }
        try #require(load.waitForAcknowledged(atLeast: 500, timeout: 120), "writers did not get going: \(load.summary)")
        let before = load.acknowledged
        // One page per step, so that the server commits between steps: the
        // copy must still be one snapshot (SQLite restarts a backup whose
        // source changed between steps unless a read transaction holds it).
        let run = try backup(["--db", db, "--to", file, "--pages-per-step", "1"])
        let after = load.acknowledged
        #expect(run.status == 0, "exit \(String(describing: run.status)); stderr:\n\(run.stderr)")
        #expect(run.stdout.contains("backed up") && run.stdout.contains("pages") && run.stdout.contains("bytes"), "stdout:\n\(run.stdout)")
        let steps = run.stdout.components(separatedBy: " steps").first?.split(separator: " ").last.flatMap { Int($0) } ?? 0
        #expect(steps > 4000, "stdout:\n\(run.stdout)")
        // Some writes after it, to check that none of them leaked into it.
        #expect(load.waitForAcknowledged(atLeast: after.count + 40, timeout: 60), "\(load.summary)")
        load.stop()
        #expect(load.waitUntilFinished(timeout: 30), "\(load.summary)")
        #expect(load.summary.errorAnswers.isEmpty, "\(load.summary)")

        // The copy is a sound, self-contained file holding at least every
        // write acknowledged before the backup started.
        #expect(!FileManager.default.fileExists(atPath: file + "-wal"))
        #expect(!FileManager.default.fileExists(atPath: file + "-journal"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: (file as NSString).deletingLastPathComponent)
        #expect(leftovers == ["profiles-backup.sqlite"], "temporary files left behind: \(leftovers)")
        let copy = try StoredProfiles(path: file)
        #expect(copy.integrityCheck == "ok", "integrity_check: \(copy.integrityCheck)")
        #expect(copy.journalMode == "delete", "a backup is one self-contained file")
        let missing = copy.missing(before)
        #expect(missing.isEmpty, "\(missing.count) writes acknowledged before the backup are not in it: \(missing.prefix(20))")
        // One snapshot: nothing written after the command exited is in it.
        // Those are the writes acknowledged since, less each writer's first
        // one (it may have been in flight, even committed, before the exit).
        let late = Dictionary(grouping: load.acknowledged.keys.filter { after[$0] == nil }) { $0.split(separator: "-").dropLast().joined(separator: "-") }
            .values.flatMap { names in names.sorted { sequence($0) < sequence($1) }.dropFirst() }
        let lateInCopy = late.filter { copy.profiles[$0] != nil }
        #expect(lateInCopy.isEmpty, "written after the backup ended, yet in it: \(lateInCopy.prefix(20))")
        print("backup: \(before.count) writes acknowledged before it started, \(after.count - before.count) more during it, \(late.count) after it (none in the copy: \(lateInCopy.isEmpty)); copy holds \(copy.profiles.count) profiles, \(before.count - missing.count) of the \(before.count) verified, integrity_check \(copy.integrityCheck), \(fileSize(file)) bytes; command said: \(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines))")

        // An existing target is left alone without --force...
        let original = try Data(contentsOf: URL(fileURLWithPath: file))
        let refused = try backup(["--db", db, "--to", file])
        #expect(refused.status == 1, "exit \(String(describing: refused.status))")
        #expect(refused.stderr.contains("already exists") && refused.stderr.contains("--force"), "stderr:\n\(refused.stderr)")
        #expect(refused.stdout.isEmpty)
        let unchanged = try Data(contentsOf: URL(fileURLWithPath: file))
        #expect(unchanged == original, "the refused backup changed the file")
        // ...and replaced with it (here also verified by the command).
        let forced = try backup(["--db", db, "--to", file, "--force", "--verify"])
        #expect(forced.status == 0, "stderr:\n\(forced.stderr)")
        #expect(forced.stdout.contains("(replaced)") && forced.stdout.contains("integrity_check ok"), "stdout:\n\(forced.stdout)")
        // The server was never disturbed.
        let probe = try LineClient(port: server.port)
        let pong = try probe.result("ping")
        #expect(pong.string == "pong")

        // Restore as the README says: stop the server, copy the backup over
        // the database path, remove stale -wal/-shm files, start.
        server.child.send(signal: SIGTERM)
        #expect(server.child.waitForExit(timeout: 10))
        #expect(server.child.exitStatus == 0)
        let fm = FileManager.default
        try fm.removeItem(atPath: db)
        try fm.copyItem(atPath: file, toPath: db)
        for suffix in ["-wal", "-shm"] { try? fm.removeItem(atPath: db + suffix) }
        server = try ServerProcess(["--port", "0", "--db", db])
        let client = try LineClient(port: server.port)
        let newest = Dictionary(grouping: before, by: { String($0.key.split(separator: "-").dropLast().joined(separator: "-")) })
            .compactMap { $0.value.max { $0.value < $1.value } }
        for (name, id) in newest {
            let profile = try client.result("profile.get", ["id": id])
            #expect(profile["name"].string == name, "profile.get \(id) on the restored database")
        }
        let created = try client.result("profile.create", ["name": "after restore"])
        #expect(created["name"].string == "after restore")
        let health = try client.result("health")
        #expect(health["journal_mode"].string == "wal")
        server.child.send(signal: SIGTERM)
        #expect(server.child.waitForExit(timeout: 10))
        #expect(server.child.exitStatus == 0)
    }

    /// A stopped server's file backs up the same way; `PROFILES_DB` names
    /// it like it does for `serve`.
    @Test func backupOfAStoppedServersDatabase() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("p.sqlite").path
        let server = try ServerProcess(["--port", "0", "--db", db])
        defer { server.child.killIfRunning() }
        let c = try LineClient(port: server.port)
        let created = try c.result("profile.create", ["name": "Ada"])
        let id = try #require(created["id"].int)
        server.child.send(signal: SIGTERM)
        #expect(server.child.waitForExit(timeout: 10))

        let file = dir.appendingPathComponent("copy.sqlite").path
        let run = try backup(["--to", file], environment: ["PROFILES_DB": db])
        #expect(run.status == 0, "stderr:\n\(run.stderr)")
        #expect(run.stdout.contains("1 profiles"), "stdout:\n\(run.stdout)")
        let copy = try StoredProfiles(path: file)
        #expect(copy.integrityCheck == "ok")
        #expect(copy.profiles["Ada"] == Int64(id))
        #expect(copy.journalMode == "delete", "a backup is one self-contained file")
        // The source is only read: at most SQLite's empty WAL and its index
        // are left beside it (a read-only connection cannot remove them).
        #expect(fileSize(db + "-wal") == 0)
        #expect(copy.profiles.count == 1)
    }

    @Test func failuresAreClearAndLeaveNoFile() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("copy.sqlite").path

        // No database there: nothing is created, neither source nor copy.
        let absent = dir.appendingPathComponent("absent.sqlite").path
        let missing = try backup(["--db", absent, "--to", file])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no database at \(absent)"), "stderr:\n\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: absent))
        #expect(!FileManager.default.fileExists(atPath: file))

        // Onto the database itself.
        let db = dir.appendingPathComponent("p.sqlite").path
        let server = try ServerProcess(["--port", "0", "--db", db])
        defer { server.child.killIfRunning() }
        let same = try backup(["--db", db, "--to", db, "--force"])
        #expect(same.status == 1)
        #expect(same.stderr.contains("is the database itself"), "stderr:\n\(same.stderr)")

        // Onto a file that looks like a database in use (a -wal beside it).
        let busy = dir.appendingPathComponent("busy.sqlite").path
        _ = FileManager.default.createFile(atPath: busy, contents: Data())
        _ = FileManager.default.createFile(atPath: busy + "-wal", contents: Data())
        let inUse = try backup(["--db", db, "--to", busy, "--force"])
        #expect(inUse.status == 1)
        #expect(inUse.stderr.contains("-wal exists"), "stderr:\n\(inUse.stderr)")

        // Not a SQLite file at all.
        let junk = dir.appendingPathComponent("junk.sqlite").path
        _ = FileManager.default.createFile(atPath: junk, contents: Data(repeating: 0x41, count: 8192))
        let bad = try backup(["--db", junk, "--to", file])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("error:"), "stderr:\n\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: file))
        let partials = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("partial") }
        #expect(partials.isEmpty)

        // The required --to.
        let usage = try backup(["--db", db])
        #expect(usage.status != 0 && usage.status != nil)
        #expect(usage.stderr.contains("--to"), "stderr:\n\(usage.stderr)")
    }
}
