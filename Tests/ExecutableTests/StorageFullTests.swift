import Foundation
import GRDB
import ProfilesTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A full disk (SPEC §4 `storage_full`), in a real small filesystem: a
/// 3 MiB tmpfs mounted in a private mount namespace of the server's own
/// (`unshare -m`), grown afterwards from outside with `nsenter`.
@Suite struct StorageFullTests {
    private static var canMount: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") && getuid() == 0
    }

    @Test(.enabled(if: canMount, "needs root and unshare(1) for a private tmpfs"))
    func aFullDiskRefusesWritesClearlyAndRecoversWithoutARestart() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let mountPoint = dir.appendingPathComponent("small")
        try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
        let db = mountPoint.appendingPathComponent("x.sqlite").path
        let server = try ServerProcess(["--port", "0", "--db", db], launcher: [
            "/usr/bin/unshare", "-m", "sh", "-c", #"mount -t tmpfs -o size=3m tmpfs "$0" && exec "$@""#, mountPoint.path,
        ])
        defer { server.child.killIfRunning() }
        func inNamespace(_ command: [String]) throws -> (status: Int32?, stdout: String, stderr: String) {
            try ChildProcess.run(URL(fileURLWithPath: "/usr/bin/nsenter"), ["-t", "\(server.child.pid)", "-m"] + command, timeout: 60)
        }

        let c = try LineClient(port: server.port)
        let pid = try #require(try c.result("profile.create", ["name": "Anna"])["id"].int)
        let body = String(repeating: "a long note to fill the disk ", count: 340)
        var written = 0
        var refusal: JSONObject?
        while written < 5_000 {
            let answer = try c.call("note.add", ["profile_id": pid, "body": body])
            if answer["error"].exists { refusal = answer["error"]; break }
            written += 1
        }
        let error = try #require(refusal, "3 MiB took \(written) notes of \(body.count) characters without a refusal")
        #expect(error["code"].int == -32010)
        #expect(error["data"]["type"].string == "storage_full")
        #expect(error["message"].string?.contains("is full") == true, "\(error)")
        #expect(error["message"].string?.contains(mountPoint.path) == true, "\(error)")

        // The connection, reads and other connections go on; health says why.
        #expect(try c.result("ping").string == "pong")
        let other = try LineClient(port: server.port)
        #expect(try other.result("profile.get", ["id": pid])["name"].string == "Anna")
        let health = try other.result("health")
        #expect(health["status"].string == "degraded")
        #expect(health["reason"].string?.contains("full") == true)
        // Nothing partial: exactly the acknowledged notes are there.
        var notes = 0
        var cursor: String?
        repeat {
            var params: [String: Any] = ["profile_id": pid, "limit": 500]
            params["cursor"] = cursor
            let page = try other.result("note.list", params)
            notes += page["items"].array.count
            cursor = page["next_cursor"].string
        } while cursor != nil
        #expect(notes == written)
        // More writes of that size still fail the same way, without harm.
        // (A small one may fit in what is left: a create without contacts
        // writes its row once and its search index with the batch.)
        #expect(try c.call("note.add", ["profile_id": pid, "body": body])["error"]["data"]["type"].string == "storage_full")

        // Room again: writes work, without a restart.
        let grow = try inNamespace(["mount", "-o", "remount,size=64m", mountPoint.path])
        #expect(grow.status == 0, "remount: \(grow)")
        #expect(try c.result("note.add", ["profile_id": pid, "body": "after"])["id"].int != nil)
        #expect(try other.result("health")["status"].string == "ok")

        // The file is whole: a verified online backup, taken inside the
        // namespace, is written outside it.
        let copy = dir.appendingPathComponent("copy.sqlite").path
        let backup = try inNamespace([try Binaries.url("profiles-server").path, "backup", "--db", db, "--to", copy, "--verify"])
        #expect(backup.status == 0, "backup: \(backup)")
        let check = try DatabaseQueue(path: copy)
        #expect(try check.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") } == "ok")
        #expect(try check.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM notes") } == written + 1)
    }
}
